"""utils.data against torch, draw for draw: the random samplers, random_split, shuffled
DataLoaders and worker processes give the same indices and leave the global generator in the
same state as torch under the same seed; collation and conversion give the same structures."""
import collections
import importlib
import itertools
import random
import time

import numpy as np
import pytest
import torch

import minigrad

LIBS = {"torch": torch, "minigrad": minigrad}


def _data(lib):
    return importlib.import_module(lib.__name__ + ".utils.data")


def _plain(x):
    """Tensors -> (dtype name, shape, values); containers walked, so structures compare."""
    if isinstance(x, (torch.Tensor, minigrad.Tensor)):
        return ("tensor", str(x.dtype).split(".")[-1], tuple(x.shape), x.tolist())
    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return (type(x).__name__, *(_plain(v) for v in x))
    if isinstance(x, (list, tuple)):
        return (type(x).__name__, [_plain(v) for v in x])
    if isinstance(x, np.ndarray):
        return ("ndarray", x.tolist())
    return x


def _both(fn):
    """fn(lib, data) run under each library after the same seed; also the next global draw."""
    out = {}
    for name, lib in LIBS.items():
        lib.manual_seed(7)
        result = fn(lib, _data(lib))
        out[name] = (_plain(result), lib.rand(3).tolist())
    return out["torch"], out["minigrad"]


@pytest.mark.parametrize("n, kwargs", [(7, {}), (5, {"num_samples": 12}), (5, {"num_samples": 3}),
                                       (9, {"replacement": True}), (6, {"replacement": True, "num_samples": 70})])
def test_random_sampler_draws_as_torch(n, kwargs):
    expected, got = _both(lambda lib, d: [list(d.RandomSampler(range(n), **kwargs)) for _ in range(2)])
    assert got == expected


def test_samplers_with_a_generator_draw_as_torch():
    def run(lib, d):
        g = lib.Generator().manual_seed(3)
        return (list(d.RandomSampler(range(10), generator=g)),
                list(d.RandomSampler(range(10), replacement=True, num_samples=33, generator=g)),
                list(d.SubsetRandomSampler([10, 20, 30, 40], generator=g)),
                list(d.WeightedRandomSampler([0.1, 0.9, 0.4, 0.7, 3.0], 8, generator=g)),
                list(d.WeightedRandomSampler([0.9, 0.4, 0.05, 0.2], 3, replacement=False, generator=g)))
    expected, got = _both(run)
    assert got == expected


def test_global_generator_samplers_and_random_split_draw_as_torch():
    def run(lib, d):
        return (list(d.SubsetRandomSampler(list(range(8)))),
                list(d.WeightedRandomSampler(np.array([1.0, 2.0, 3.0]), 6)),
                [list(s.indices) for s in d.random_split(range(10), [3, 7])],
                [list(s.indices) for s in d.random_split(range(11), [0.3, 0.3, 0.4])],
                [list(s.indices) for s in d.random_split(range(6), [2, 4], generator=lib.Generator().manual_seed(1))])
    expected, got = _both(run)
    assert got == expected


@pytest.mark.parametrize("args, kwargs", [((5, (3,)), {}), ((2, 9, (4,)), {}), ((7,), {"size": (2,)}),
                                          ((), {"high": 6, "size": (3,)}), ((), {"low": 2, "high": 6, "size": (3,)})])
def test_randint_call_forms_draw_as_torch(args, kwargs):
    """The forms the samplers and programs use: randint(high, size=...), randint(high=..., size=...)."""
    expected, got = _both(lambda lib, d: lib.randint(*args, **kwargs))
    assert got == expected


def test_replacement_sampler_is_lazy():
    """A GPT trainer's idiom: 10**10 draws with replacement must not be drawn up front."""
    start = time.perf_counter()
    sampler = minigrad.utils.data.RandomSampler(range(100), replacement=True, num_samples=10 ** 10)
    first = list(itertools.islice(iter(sampler), 70))
    assert time.perf_counter() - start < 5.0 and len(sampler) == 10 ** 10
    torch_sampler = torch.utils.data.RandomSampler(range(100), replacement=True, num_samples=10 ** 10,
                                                   generator=torch.Generator().manual_seed(2))
    ours = minigrad.utils.data.RandomSampler(range(100), replacement=True, num_samples=10 ** 10,
                                             generator=minigrad.Generator().manual_seed(2))
    assert list(itertools.islice(iter(ours), 70)) == list(itertools.islice(iter(torch_sampler), 70))
    assert all(0 <= i < 100 for i in first)


def test_sampler_argument_errors_as_torch():
    for lib in LIBS.values():
        d = _data(lib)
        with pytest.raises(ValueError, match="num_samples should be a positive integer"):
            d.RandomSampler(range(3), num_samples=0)
        with pytest.raises(TypeError, match="replacement should be a boolean"):
            d.RandomSampler(range(3), replacement=1)
        with pytest.raises(ValueError, match="num_samples should be a positive integer"):
            d.WeightedRandomSampler([1.0, 2.0], True)
        with pytest.raises(ValueError, match="weights should be a 1d sequence"):
            d.WeightedRandomSampler([[1.0, 2.0]], 2)


@pytest.mark.parametrize("kwargs", [{"batch_size": 3, "shuffle": True}, {"batch_size": 4, "shuffle": True,
                                    "drop_last": True}, {"batch_size": None, "shuffle": True},
                                    {"batch_size": 2}])
def test_shuffled_loader_batches_and_global_state_as_torch(kwargs):
    """Each epoch draws the iterator's base seed and then the sampler's seed, as torch."""
    def run(lib, d):
        ds = d.TensorDataset(lib.arange(10), lib.arange(10) * 2.0)
        loader = d.DataLoader(ds, **kwargs)
        return [list(loader) for _ in range(2)]
    expected, got = _both(run)
    assert got == expected


def test_loader_with_generator_leaves_global_generator_alone_as_torch():
    def run(lib, d):
        loader = d.DataLoader(list(range(9)), batch_size=4, shuffle=True, generator=lib.Generator().manual_seed(4))
        return [list(loader) for _ in range(2)]
    expected, got = _both(run)
    assert got == expected


Point = collections.namedtuple("Point", "x y")


@pytest.mark.parametrize("samples", [
    [{"a": 1, "b": 2.5, "s": "u"}, {"a": 3, "b": -1.0, "s": "v"}],
    [(1, True), (2, False)],
    [Point(np.float32(1.5), np.int16(2)), Point(np.float32(2.5), np.int16(-3))],
    [[np.arange(3), np.ones((2,), np.float32)], [np.arange(3) + 1, np.zeros((2,), np.float32)]],
    [collections.OrderedDict(k=np.float64(1.0)), collections.OrderedDict(k=np.float64(2.0))],
    [b"x", b"y"],
])
def test_default_collate_as_torch(samples):
    expected = _plain(torch.utils.data.default_collate(samples))
    got = _plain(minigrad.utils.data.default_collate(samples))
    assert got == expected
    assert type(minigrad.utils.data.default_collate(samples)) is type(torch.utils.data.default_collate(samples))


@pytest.mark.parametrize("sample", [np.arange(4), np.float32(2.5), (np.arange(2), 3, "s"),
                                    {"a": np.ones(2), "b": [np.int64(1), 2]}, Point(np.arange(2), 1.0), "text",
                                    np.array(["a", "b"])])
def test_default_convert_as_torch(sample):
    assert _plain(minigrad.utils.data.default_convert(sample)) == _plain(torch.utils.data.default_convert(sample))


def test_unbatched_loader_converts_as_torch():
    samples = [(np.arange(2) + i, i) for i in range(3)]
    expected = [_plain(b) for b in torch.utils.data.DataLoader(samples, batch_size=None)]
    assert [_plain(b) for b in minigrad.utils.data.DataLoader(samples, batch_size=None)] == expected


def test_chain_and_stack_datasets_as_torch():
    def run(lib, d):
        class Stream(d.IterableDataset):
            def __init__(self, start):
                self.start = start

            def __iter__(self):
                return iter(range(self.start, self.start + 3))

            def __len__(self):
                return 3
        chain = d.ChainDataset([Stream(0), Stream(10)])
        stacked = d.StackDataset(lib.arange(4), lib.arange(4) * 10)
        named = d.StackDataset(x=lib.arange(4), y=list("abcd"))
        return (list(chain), len(chain), stacked[2], len(stacked), named[1],
                list(d.DataLoader(named, batch_size=3)), list(d.DataLoader(chain, batch_size=4)))
    expected, got = _both(run)
    assert got == expected
    for lib in LIBS.values():
        d = _data(lib)
        with pytest.raises(ValueError, match="Size mismatch"):
            d.StackDataset(lib.arange(3), lib.arange(4))
        with pytest.raises(ValueError, match="At least one dataset"):
            d.StackDataset()
        with pytest.raises(AssertionError, match="only supports IterableDataset"):
            list(d.ChainDataset([lib.arange(3)]))


class _WorkerSeeds:
    """A map-style dataset whose samples record what the worker process drew."""

    def __init__(self, lib):
        self.lib = lib

    def __len__(self):
        return 10

    def __getitem__(self, i):
        info = _data(self.lib).get_worker_info()
        return {"i": i, "worker": info.id, "workers": info.num_workers, "seed": info.seed % 10 ** 6,
                "draw": self.lib.rand(1).item(), "np": float(np.random.rand()), "py": random.random()}


def _init(worker_id):
    np.random.rand()   # the worker_init_fn runs in the worker, after its seeding


def test_worker_processes_draw_and_batch_as_torch():
    """Worker seeds (minigrad, NumPy, random), batches, persistent workers over two epochs and
    prefetching: all as torch's worker processes give them."""
    def run(lib, d):
        loader = d.DataLoader(_WorkerSeeds(lib), batch_size=3, shuffle=True, num_workers=2, worker_init_fn=_init,
                              persistent_workers=True, prefetch_factor=3)
        epochs = [list(loader) for _ in range(2)]
        single = list(d.DataLoader(_WorkerSeeds(lib), batch_size=4, num_workers=1))
        return epochs, single
    expected, got = _both(run)
    assert got == expected
    assert minigrad.utils.data.get_worker_info() is None


class _Stream:
    def __init__(self, lib):
        self.data = _data(lib)

    def __iter__(self):
        info = self.data.get_worker_info()
        start = 0 if info is None else 100 * info.id
        return iter(range(start, start + 5))


def test_iterable_dataset_in_workers_as_torch():
    def run(lib, d):
        stream = type("Stream", (_Stream, d.IterableDataset), {})(lib)
        return (list(d.DataLoader(stream, batch_size=2, num_workers=2)),
                list(d.DataLoader(stream, batch_size=2, num_workers=2, drop_last=True)))
    expected, got = _both(run)
    assert got == expected


class _Failing:
    def __len__(self):
        return 4

    def __getitem__(self, i):
        if i == 2:
            raise KeyError("sample two is broken")
        return i


def test_worker_errors_reach_the_caller_as_torch():
    for lib in LIBS.values():
        loader = _data(lib).DataLoader(_Failing(), batch_size=1, num_workers=2)
        with pytest.raises(KeyError, match="sample two is broken"):
            list(loader)


def test_loader_option_errors_and_pin_memory_warning_as_torch():
    for lib in LIBS.values():
        d = _data(lib)
        with pytest.raises(ValueError, match="prefetch_factor option could only be specified in multiprocessing"):
            d.DataLoader(range(3), prefetch_factor=2)
        with pytest.raises(ValueError, match="persistent_workers option needs num_workers > 0"):
            d.DataLoader(range(3), persistent_workers=True)
        with pytest.raises(ValueError, match="timeout option should be non-negative"):
            d.DataLoader(range(3), timeout=-1)
        with pytest.warns(UserWarning, match="'pin_memory' argument is set as true but no accelerator is found"):
            assert [b.tolist() for b in d.DataLoader(range(3), batch_size=2, pin_memory=True)] == [[0, 1], [2]]

"""utils.data: datasets, samplers, collation and the DataLoader (against torch.utils.data)."""
import collections

import numpy as np
import pytest
import torch.utils.data as tdata

import minigrad
from minigrad.utils import data


def _tensors(n=10):
    x = minigrad.tensor(np.arange(n * 3, dtype=np.float32).reshape(n, 3))
    y = minigrad.tensor(np.arange(n) % 4)
    return x, y


def test_tensor_dataset_and_sequential_batches():
    x, y = _tensors(10)
    ds = data.TensorDataset(x, y)
    assert len(ds) == 10
    xi, yi = ds[3]
    np.testing.assert_array_equal(xi.numpy(), [9, 10, 11])
    assert yi.item() == 3 and yi.shape == ()
    batches = list(data.DataLoader(ds, batch_size=4))
    assert [len(b[1]) for b in batches] == [4, 4, 2]
    np.testing.assert_array_equal(np.concatenate([b[0].numpy() for b in batches]), x.numpy())
    assert batches[0][0].dtype == minigrad.float32 and batches[0][1].dtype == minigrad.int64
    assert [len(b[1]) for b in data.DataLoader(ds, batch_size=4, drop_last=True)] == [4, 4]
    assert len(data.DataLoader(ds, batch_size=4)) == 3 and len(data.DataLoader(ds, batch_size=4, drop_last=True)) == 2
    with pytest.raises(AssertionError, match="Size mismatch"):
        data.TensorDataset(x, minigrad.zeros(3))


def test_fast_path_equals_per_sample_collation():
    x, y = _tensors(23)
    ds = data.TensorDataset(x, y)
    g1, g2 = minigrad.Generator().manual_seed(5), minigrad.Generator().manual_seed(5)
    fast = list(data.DataLoader(ds, batch_size=5, shuffle=True, generator=g1))
    slow = list(data.DataLoader(ds, batch_size=5, shuffle=True, generator=g2,
                                collate_fn=lambda b: data.default_collate(b)))
    assert len(fast) == len(slow) == 5
    for (a, b), (c, d) in zip(fast, slow):
        np.testing.assert_array_equal(a.numpy(), c.numpy())
        np.testing.assert_array_equal(b.numpy(), d.numpy())


def test_shuffle_is_a_permutation_reproducible_and_checkpointable():
    ds = data.TensorDataset(minigrad.arange(50))
    gen = minigrad.Generator().manual_seed(0)
    loader = data.DataLoader(ds, batch_size=7, shuffle=True, generator=gen)
    epoch1 = np.concatenate([b[0].numpy() for b in loader])
    assert sorted(epoch1.tolist()) == list(range(50)) and epoch1.tolist() != list(range(50))
    state = gen.get_state()
    epoch2 = np.concatenate([b[0].numpy() for b in loader])
    assert epoch2.tolist() != epoch1.tolist()
    gen.set_state(state)                       # restoring the state replays the same epoch
    np.testing.assert_array_equal(np.concatenate([b[0].numpy() for b in loader]), epoch2)
    again = data.DataLoader(ds, batch_size=7, shuffle=True, generator=minigrad.Generator().manual_seed(0))
    np.testing.assert_array_equal(np.concatenate([b[0].numpy() for b in again]), epoch1)
    # without a generator, the global seed decides
    minigrad.manual_seed(3)
    a = [b[0].numpy().tolist() for b in data.DataLoader(ds, batch_size=50, shuffle=True)]
    minigrad.manual_seed(3)
    b = [b[0].numpy().tolist() for b in data.DataLoader(ds, batch_size=50, shuffle=True)]
    assert a == b


def test_default_collate_matches_torch_structure():
    samples = [{"img": np.full((2, 2), i, np.float32), "label": i, "score": 0.5 * i, "name": f"s{i}",
                "flag": i % 2 == 0, "pair": (i, np.float64(i))} for i in range(3)]
    ours, theirs = data.default_collate(samples), tdata.default_collate(samples)
    assert sorted(ours) == sorted(theirs)
    for key in ("img", "label", "score", "flag"):
        assert ours[key].dtype.name == str(theirs[key].dtype).split(".")[1], key
        np.testing.assert_array_equal(ours[key].numpy(), theirs[key].numpy())
    assert ours["name"] == theirs["name"]
    assert isinstance(ours["pair"], list) and len(ours["pair"]) == 2
    np.testing.assert_array_equal(ours["pair"][1].numpy(), theirs["pair"][1].numpy())
    Point = collections.namedtuple("Point", "x y")
    collated = data.default_collate([Point(1, 2.0), Point(3, 4.0)])
    assert isinstance(collated, Point) and collated.x.tolist() == [1, 3]
    tensors = data.default_collate([minigrad.ones(2), minigrad.zeros(2)])
    assert tensors.shape == (2, 2)


def test_subset_random_split_and_concat():
    ds = data.TensorDataset(minigrad.arange(10))
    sub = data.Subset(ds, [9, 0, 4])
    assert len(sub) == 3 and sub[0][0].item() == 9
    assert [b[0].tolist() for b in data.DataLoader(sub, batch_size=2)] == [[9, 0], [4]]
    parts = data.random_split(ds, [3, 7], generator=minigrad.Generator().manual_seed(1))
    assert [len(p) for p in parts] == [3, 7]
    assert sorted(parts[0].indices + parts[1].indices) == list(range(10))
    fractions = data.random_split(ds, [0.25, 0.25, 0.5])
    assert [len(p) for p in fractions] == [len(p) for p in tdata.random_split(range(10), [0.25, 0.25, 0.5])]
    with pytest.raises(ValueError, match="Sum of input lengths"):
        data.random_split(ds, [3, 3])
    both = data.ConcatDataset([ds, data.TensorDataset(minigrad.arange(10, 13))])
    assert len(both) == 13 and both[11][0].item() == 11 and both[-1][0].item() == 12


def test_custom_dataset_samplers_and_batch_size_none():
    class Squares(data.Dataset):
        def __len__(self):
            return 6

        def __getitem__(self, i):
            return np.float32(i * i), i

    batches = list(data.DataLoader(Squares(), batch_size=4))
    np.testing.assert_array_equal(batches[0][0].numpy(), [0, 1, 4, 9])
    assert batches[1][1].tolist() == [4, 5]
    singles = list(data.DataLoader(Squares(), batch_size=None))
    assert len(singles) == 6 and singles[2][1] == 2
    bs = data.BatchSampler(data.SequentialSampler(range(5)), 2, drop_last=False)
    assert list(bs) == list(tdata.BatchSampler(tdata.SequentialSampler(range(5)), 2, drop_last=False))
    loader = data.DataLoader(Squares(), batch_sampler=[[5, 0], [1]])
    assert [b[1].tolist() for b in loader] == [[5, 0], [1]]
    rs = data.RandomSampler(range(4), replacement=True, num_samples=20, generator=minigrad.Generator())
    assert len(list(rs)) == 20 and set(rs) <= {0, 1, 2, 3}
    idx = list(data.SubsetRandomSampler([7, 8, 9], generator=minigrad.Generator()))
    assert sorted(idx) == [7, 8, 9]
    with pytest.raises(ValueError, match="mutually exclusive"):
        data.DataLoader(Squares(), sampler=data.SequentialSampler(range(6)), shuffle=True)
    with pytest.raises(ValueError, match="positive integer"):
        data.DataLoader(Squares(), batch_size=0)


def test_iterable_dataset():
    class Stream(data.IterableDataset):
        def __iter__(self):
            return iter(range(7))

    assert [b.tolist() for b in data.DataLoader(Stream(), batch_size=3)] == [[0, 1, 2], [3, 4, 5], [6]]
    assert [b.tolist() for b in data.DataLoader(Stream(), batch_size=3, drop_last=True)] == [[0, 1, 2], [3, 4, 5]]

"""torch's module paths: classes live (and record, in pickles) where torch's do, with 'torch' read
as 'minigrad'. Every class minigrad shares with torch.nn, torch.optim and torch.utils.data is
checked, not a list."""
import importlib
import inspect
import io
import pickle

import numpy as np
import pytest
import torch
import torch.utils.data as tdata

import minigrad
import minigrad.utils.data as mdata


def _shared_classes():
    """(minigrad class, torch class) for every public class both namespaces have."""
    pairs = []
    for mg_ns, torch_ns in ((minigrad, torch), (minigrad.nn, torch.nn), (minigrad.optim, torch.optim), (mdata, tdata),
                            (minigrad.optim.lr_scheduler, torch.optim.lr_scheduler)):
        for name in dir(mg_ns):
            ours, theirs = getattr(mg_ns, name), getattr(torch_ns, name, None)
            if not name.startswith("_") and inspect.isclass(ours) and inspect.isclass(theirs):
                pairs.append(pytest.param(ours, theirs, id=f"{torch_ns.__name__}.{name}"))
    return pairs


def _as_minigrad(path: str) -> str:
    """torch's module path read in minigrad (a class from the standard library keeps its path)."""
    return "minigrad" + path[len("torch"):] if path.split(".")[0] == "torch" else path


@pytest.mark.parametrize("ours, theirs", _shared_classes())
def test_every_shared_class_records_torchs_module_path(ours, theirs):
    if theirs.__module__.startswith("torch._C"):
        pytest.skip(f"torch defines {theirs.__name__} in its C extension")
    expected = _as_minigrad(theirs.__module__)
    assert ours.__module__ == expected
    assert getattr(importlib.import_module(expected), ours.__qualname__) is ours


@pytest.mark.parametrize("path, name", [
    ("nn.modules.linear", "Linear"), ("nn.modules.linear", "NonDynamicallyQuantizableLinear"),
    ("nn.modules.linear", "Identity"), ("nn.modules.conv", "Conv2d"), ("nn.modules.activation", "ReLU"),
    ("nn.modules.loss", "CrossEntropyLoss"), ("nn.modules.container", "Sequential"),
    ("nn.modules.pooling", "MaxPool2d"), ("nn.modules.normalization", "LayerNorm"),
    ("nn.modules.batchnorm", "BatchNorm2d"), ("nn.modules.dropout", "Dropout"), ("nn.modules.flatten", "Flatten"),
    ("nn.modules.sparse", "Embedding"), ("nn.modules.module", "Module"), ("nn.parameter", "Parameter"),
    ("optim.optimizer", "Optimizer"), ("utils.data.dataloader", "DataLoader"), ("utils.data.dataset", "Dataset"),
    ("utils.data.dataset", "TensorDataset"), ("utils.data.sampler", "RandomSampler"),
    ("utils.data.sampler", "BatchSampler"), ("utils.data._utils.collate", "default_collate"),
    ("nn.parallel", "DistributedDataParallel"), ("nn.parallel.distributed", "DistributedDataParallel"),
    ("nn.parallel.data_parallel", "DataParallel"), ("nn.modules.utils", "_pair"), ("nn.modules.utils", "_triple"),
    ("nn.modules.utils", "consume_prefix_in_state_dict_if_present"),
])
def test_import_paths_real_programs_use(path, name):
    """`from torch.<path> import <name>` works with minigrad, and names the same kind of object."""
    theirs = getattr(importlib.import_module("torch." + path), name)
    ours = getattr(importlib.import_module("minigrad." + path), name)
    assert inspect.isclass(ours) == inspect.isclass(theirs)
    if inspect.isclass(theirs):
        assert ours.__module__ == _as_minigrad(theirs.__module__)


def test_functional_and_data_namespaces_stay_reachable():
    import minigrad.nn.functional as F
    assert F is minigrad.nn.functional
    assert minigrad.utils.data.DataLoader is minigrad.utils.data.dataloader.DataLoader
    assert minigrad.utils.data.default_collate is minigrad.utils.data._utils.collate.default_collate
    assert not hasattr(torch.nn, "NonDynamicallyQuantizableLinear")
    assert not hasattr(minigrad.nn, "NonDynamicallyQuantizableLinear")
    assert issubclass(minigrad.nn.modules.linear.NonDynamicallyQuantizableLinear, minigrad.nn.Linear)


def _build(lib):
    lib.manual_seed(0)
    nn = lib.nn
    body = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Dropout(0.1), nn.Linear(8, 3), nn.modules.linear.NonDynamicallyQuantizableLinear(3, 2),
                         nn.LayerNorm(2))
    return nn.ModuleDict({"body": body, "extra": nn.ModuleList([nn.Tanh(), nn.Embedding(4, 2)])})


def _pickled_globals(data: bytes) -> set:
    """The 'module.name' globals a pickle refers to, as the unpickler resolves them."""
    found = set()

    class Recording(pickle.Unpickler):
        def find_class(self, module, name):
            found.add(f"{module}.{name}")
            return super().find_class(module, name)

    Recording(io.BytesIO(data)).load()
    return found


def test_a_pickled_model_names_torchs_class_paths_and_they_resolve():
    ours, theirs = _build(minigrad), _build(torch)
    our_classes = {f"{type(m).__module__}.{type(m).__qualname__}" for m in ours.modules()}
    their_classes = {_as_minigrad(f"{type(m).__module__}.{type(m).__qualname__}") for m in theirs.modules()}
    assert our_classes == their_classes
    data = pickle.dumps(ours)
    named = _pickled_globals(data)
    assert our_classes <= named
    for path in named:   # every recorded path is importable where it says
        module, _, name = path.rpartition(".")
        assert getattr(importlib.import_module(module), name) is not None
    back = pickle.loads(data)
    x = np.random.default_rng(0).standard_normal((2, 1, 6, 6)).astype(np.float32)
    ours.eval(), back.eval()
    np.testing.assert_array_equal(back["body"](minigrad.tensor(x)).detach().numpy(),
                                  ours["body"](minigrad.tensor(x)).detach().numpy())


def test_pickled_dataset_and_loader_name_torchs_data_modules():
    ds = mdata.TensorDataset(minigrad.arange(6.).reshape(3, 2))
    loader = mdata.DataLoader(ds, batch_size=2)
    named = _pickled_globals(pickle.dumps(loader))
    assert "minigrad.utils.data.dataset.TensorDataset" in named
    assert "minigrad.utils.data.dataloader.DataLoader" in named
    t_named = _pickled_globals(pickle.dumps(tdata.DataLoader(tdata.TensorDataset(torch.arange(6.).reshape(3, 2)),
                                                             batch_size=2)))
    assert "torch.utils.data.dataset.TensorDataset" in t_named and "torch.utils.data.dataloader.DataLoader" in t_named
    back = pickle.load(io.BytesIO(pickle.dumps(loader)))
    assert [b[0].tolist() for b in back] == [b[0].tolist() for b in loader]


@pytest.mark.parametrize("triple", [(2, (2, 2, 2)), ((1, 2, 3), (1, 2, 3))])
def test_ntuple_helpers_at_torchs_path(triple):
    from minigrad.nn.modules.utils import _pair, _triple
    from torch.nn.modules.utils import _pair as t_pair, _triple as t_triple
    value, expected = triple
    assert _triple(value) == t_triple(value) == expected
    assert _pair(4) == t_pair(4) == (4, 4)


def test_a_wrapped_models_state_dict_loads_into_the_bare_model_after_consuming_the_prefix():
    for lib in (minigrad, torch):
        lib.manual_seed(0)
        wrapped = lib.nn.DataParallel(lib.nn.Sequential(lib.nn.Linear(2, 3), lib.nn.Linear(3, 1)))
        state = wrapped.state_dict()
        assert list(state) == ["module.0.weight", "module.0.bias", "module.1.weight", "module.1.bias"]
        lib.nn.modules.utils.consume_prefix_in_state_dict_if_present(state, "module.")
        assert list(state) == ["0.weight", "0.bias", "1.weight", "1.bias"]
        bare = lib.nn.Sequential(lib.nn.Linear(2, 3), lib.nn.Linear(3, 1))
        bare.load_state_dict(state)
        assert lib.equal(bare[0].weight, wrapped.module[0].weight)

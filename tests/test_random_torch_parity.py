"""minigrad's random numbers are torch's, bit for bit: after the same seed, every factory and
in-place fill gives torch's values (compared as raw bytes), across seeds, sizes on both sides of
torch's 16-element normal_fill threshold, dtypes, the generator's cached Box-Muller sample, and
the state both ways."""
import subprocess
import sys

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import minigrad

SIZES = [0, 1, 2, 15, 16, 17, 31, 32, 33, 1000, 1001]
SEEDS = [0, 1, 42, 2 ** 32 + 7, 2 ** 64 - 1]
FLOATS = ["float32", "float64"]


def _torch_draws_bernoulli_from_mkl():
    """torch's bernoulli_(p: float), and so dropout, draws from MKL's own stream on Intel CPUs
    (when built with MKL); minigrad has torch's other kernel (AMD, ARM, no MKL): docs/parity.md."""
    try:
        with open("/proc/cpuinfo") as f:
            intel = "GenuineIntel" in f.read(4096)
    except OSError:
        intel = False
    return intel and torch.backends.mkl.is_available()


needs_torchs_bernoulli_kernel = pytest.mark.skipif(
    _torch_draws_bernoulli_from_mkl(), reason="torch draws bernoulli_(p) from MKL on this CPU")


def same_bits(ours, theirs):
    """Equal dtype, shape and bytes (so -0.0 vs 0.0 and NaN payloads count too)."""
    a, b = ours.detach().numpy(), theirs.detach().numpy()
    assert a.dtype == b.dtype and a.shape == b.shape
    assert a.tobytes() == b.tobytes(), f"first difference at {np.flatnonzero(a != b)[:5]}"


def both(seed, call):
    """``call`` run on torch and on minigrad, each right after ``manual_seed(seed)``."""
    torch.manual_seed(seed)
    theirs = call(torch)
    minigrad.manual_seed(seed)
    ours = call(minigrad)
    return ours, theirs


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", ["rand", "randn"])
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("seed", SEEDS)
def test_rand_and_randn_are_torchs(seed, n, name, dtype):
    # two draws in a row: the second starts where the first left the engine and the normal cache
    ours, theirs = both(seed, lambda m: [getattr(m, name)(n, dtype=getattr(m, dtype)),
                                         getattr(m, name)(3, 5, dtype=getattr(m, dtype))])
    for o, t in zip(ours, theirs):
        same_bits(o, t)


@pytest.mark.parametrize("n", [5, 15, 16, 17, 40, 1001])
def test_float16_draws_are_torchs(n):
    """float16 draws float32 values and narrows them: uniform maps a value rounded up to the upper
    bound back to the lower one, and normal transforms whole blocks of 16 (its last block drawn
    fresh, right after the whole ones)."""
    ours, theirs = both(3, lambda m: [m.rand(n, dtype=m.float16), m.randn(n, dtype=m.float16),
                                      m.randn(n, dtype=m.float16),
                                      m.empty(n * 100, dtype=m.float16).uniform_(0.1, 0.7)])
    for o, t in zip(ours, theirs):
        same_bits(o, t)


@given(seed=st.integers(0, 2 ** 64 - 1), shape=st.lists(st.integers(0, 9), min_size=0, max_size=3),
       dtype=st.sampled_from(FLOATS), name=st.sampled_from(["rand", "randn"]))
def test_drawn_seeds_and_shapes_are_torchs(seed, shape, dtype, name):
    ours, theirs = both(seed, lambda m: getattr(m, name)(tuple(shape), dtype=getattr(m, dtype)))
    same_bits(ours, theirs)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("n", [1, 5, 16, 17, 100, 1001])
@pytest.mark.parametrize("low,high", [(-0.3, 0.7), (-3.7, 1e3), (2.5, 2.5000001)])
def test_uniform_and_normal_with_parameters_are_torchs(n, dtype, low, high):
    for seed in (0, 7):
        ours, theirs = both(seed, lambda m: [m.empty(n, dtype=getattr(m, dtype)).uniform_(low, high),
                                             m.empty(n, dtype=getattr(m, dtype)).normal_(low, abs(high))])
        for o, t in zip(ours, theirs):
            same_bits(o, t)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("view", ["transposed", "strided", "sliced", "permuted"])
@pytest.mark.parametrize("fill", ["uniform_", "normal_",
                                  pytest.param("bernoulli_", marks=needs_torchs_bernoulli_kernel)])
def test_fills_of_non_contiguous_tensors_are_torchs(view, fill, dtype):
    """torch fills a view in memory order, and a non-contiguous one takes normal's serial path."""
    make = {"transposed": lambda m: m.zeros(6, 5, dtype=getattr(m, dtype)).t(),
            "strided": lambda m: m.zeros(40, dtype=getattr(m, dtype))[::2],
            "sliced": lambda m: m.zeros(4, 9, dtype=getattr(m, dtype))[:, 1:],
            "permuted": lambda m: m.zeros(3, 4, 5, dtype=getattr(m, dtype)).permute(2, 0, 1)}[view]
    args = {"uniform_": (-1, 2), "normal_": (1, 2), "bernoulli_": (0.4,)}[fill]
    ours, theirs = both(3, lambda m: getattr(make(m), fill)(*args))
    same_bits(ours.contiguous(), theirs.contiguous())


@pytest.mark.parametrize("low,high", [(0, 10), (-5, 3), (0, 2 ** 40), (-2 ** 62, 2 ** 62)])
@pytest.mark.parametrize("dtype", [None, "int32", "float32", "float64"])
@pytest.mark.parametrize("n", [0, 1, 17, 1000])
def test_randint_is_torchs(low, high, dtype, n):
    if dtype is not None and high > 2 ** 31:
        pytest.skip("the bound does not fit the dtype")
    kw = lambda m: {} if dtype is None else {"dtype": getattr(m, dtype)}
    ours, theirs = both(11, lambda m: [m.randint(low, high, (n,), **kw(m)), m.randint(high, (2, 3))])
    for o, t in zip(ours, theirs):
        same_bits(o, t)


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool", "int16", "float32", "float64"])
def test_random_full_range_and_to_are_torchs(dtype):
    ours, theirs = both(5, lambda m: m.empty(50, dtype=getattr(m, dtype)).random_())
    same_bits(ours, theirs)
    if dtype != "bool":
        ours, theirs = both(5, lambda m: [m.empty(50, dtype=getattr(m, dtype)).random_(7),
                                          m.empty(50, dtype=getattr(m, dtype)).random_(2, 9)])
        for o, t in zip(ours, theirs):
            same_bits(o, t)


@given(seed=st.integers(0, 2 ** 32), n=st.integers(0, 300))
def test_randperm_is_torchs(seed, n):
    ours, theirs = both(seed, lambda m: m.randperm(n))
    same_bits(ours, theirs)
    ours, theirs = both(seed, lambda m: m.randperm(n, dtype=m.int32))
    same_bits(ours, theirs)


@needs_torchs_bernoulli_kernel
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("p", [0.0, 0.3, 1.0])
def test_bernoulli_with_a_probability_is_torchs(dtype, p):
    """torch's non-MKL kernel: what it runs on AMD CPUs and without MKL (see docs/parity.md)."""
    ours, theirs = both(2, lambda m: m.empty(1001, dtype=getattr(m, dtype)).bernoulli_(p))
    same_bits(ours, theirs)


@pytest.mark.parametrize("p_dtype", FLOATS)
def test_bernoulli_with_a_tensor_of_probabilities_is_torchs(p_dtype):
    probs = np.random.default_rng(0).random((7, 9)).astype(p_dtype)
    ours, theirs = both(4, lambda m: [m.empty(7, 9).bernoulli_(m.tensor(probs)), m.bernoulli(m.tensor(probs))])
    for o, t in zip(ours, theirs):
        same_bits(o, t)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("lambd", [1.0, 2.5, 0.3])
def test_exponential_is_torchs(dtype, lambd):
    ours, theirs = both(8, lambda m: m.empty(1001, dtype=getattr(m, dtype)).exponential_(lambd))
    same_bits(ours, theirs)


@given(seed=st.integers(0, 2 ** 32), rows=st.sampled_from([None, 1, 4]), n_cat=st.integers(1, 60),
       num_samples=st.integers(1, 80), replacement=st.booleans(), dtype=st.sampled_from(FLOATS))
def test_multinomial_is_torchs(seed, rows, n_cat, num_samples, replacement, dtype):
    """Both of torch's samplers: Exp(1) keys and top-k (without replacement, or one sample), and
    the binary search of the normalised running sum (with replacement); a zero weight included."""
    if not replacement:
        num_samples = min(num_samples, n_cat)
    shape = (n_cat,) if rows is None else (rows, n_cat)
    weights = np.random.default_rng(seed).random(shape).astype(dtype)
    weights[..., n_cat // 2] = 0
    weights[..., 0] += 0.1
    ours, theirs = both(seed, lambda m: [m.multinomial(m.tensor(weights), num_samples, replacement),
                                         m.tensor(weights).multinomial(num_samples, replacement), m.rand(2)])
    for o, t in zip(ours, theirs):
        same_bits(o, t)


@needs_torchs_bernoulli_kernel
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("p", [0.1, 0.5])
def test_dropout_masks_are_torchs(dtype, p):
    x = np.random.default_rng(1).standard_normal((13, 17)).astype(dtype)
    ours, theirs = both(9, lambda m: m.nn.functional.dropout(m.tensor(x), p))
    same_bits(ours, theirs)
    ours, theirs = both(9, lambda m: m.nn.Dropout(p)(m.tensor(x)))
    same_bits(ours, theirs)


@pytest.mark.parametrize("seed", [0, 1, 123])
@pytest.mark.parametrize("layer", ["Linear(10, 5)", "Linear(3, 2, bias=False)", "Conv2d(3, 8, 3)",
                                   "Conv1d(4, 6, 5)", "Embedding(20, 7)", "Embedding(3, 4)"])
def test_default_initialisations_are_torchs(seed, layer):
    """``manual_seed(s); nn.Layer(...)`` starts from torch's weights (kaiming_uniform_, uniform_
    bias bounds, Embedding's normal_), and the stream continues in step afterwards."""
    ours, theirs = both(seed, lambda m: [eval(f"m.nn.{layer}"), m.rand(2)])
    (our_layer, our_next), (their_layer, their_next) = ours, theirs
    assert list(our_layer.state_dict()) == list(their_layer.state_dict())
    for name, value in their_layer.state_dict().items():
        same_bits(our_layer.state_dict()[name], value)
    same_bits(our_next, their_next)


@pytest.mark.parametrize("init", ["xavier_uniform_", "xavier_normal_", "kaiming_normal_", "kaiming_uniform_",
                                  "uniform_", "normal_"])
def test_init_functions_are_torchs(init):
    ours, theirs = both(6, lambda m: getattr(m.nn.init, init)(m.empty(33, 7)))
    same_bits(ours, theirs)


@pytest.mark.parametrize("args", [(), (0.1, 0.5, -0.4, 0.9), (0.0, 1.0, 1.5, 3.0), (2.0, 0.5, -1.0, 1.0)])
@pytest.mark.parametrize("dtype", FLOATS)
def test_trunc_normal_is_torchs(args, dtype):
    """Both of torch's samplers: redrawing normals (most of the mass inside [a, b]) and the
    uniform rejection sampler (little of it, and a mean outside [a, b])."""
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours, theirs = both(6, lambda m: [m.nn.init.trunc_normal_(m.empty(40, 30, dtype=getattr(m, dtype)), *args),
                                          m.rand(3)])
    for o, t in zip(ours, theirs):
        same_bits(o, t)


@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (4, 2, 3), (6, 6)])
@pytest.mark.parametrize("dtype", FLOATS)
def test_orthogonal_draws_torchs_numbers_and_agrees_to_rounding(shape, dtype):
    """The normal draws are torch's; the QR is LAPACK's through NumPy, equal to rounding."""
    ours, theirs = both(1, lambda m: [m.nn.init.orthogonal_(m.empty(shape, dtype=getattr(m, dtype)), 1.5),
                                      m.rand(2)])
    assert ours[0].dtype == getattr(minigrad, dtype)
    tol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(ours[0].numpy(), theirs[0].numpy(), rtol=tol, atol=tol)
    same_bits(ours[1], theirs[1])


def test_sparse_and_dirac_are_torchs():
    ours, theirs = both(1, lambda m: [m.nn.init.sparse_(m.empty(10, 6), 0.3), m.rand(2)])
    for o, t in zip(ours, theirs):
        same_bits(o, t)
    for shape, groups in [((4, 2, 3), 1), ((6, 3, 3, 3), 2), ((2, 2, 3, 3, 3), 1)]:
        same_bits(minigrad.nn.init.dirac_(minigrad.empty(shape), groups), torch.nn.init.dirac_(torch.empty(shape), groups))
    for call in (lambda m: m.nn.init.dirac_(m.empty(3, 3)), lambda m: m.nn.init.dirac_(m.empty(3, 3, 3), 2),
                 lambda m: m.nn.init.orthogonal_(m.empty(3)), lambda m: m.nn.init.sparse_(m.empty(3, 3, 3), 0.1)):
        with pytest.raises(ValueError) as theirs:
            call(torch)
        with pytest.raises(ValueError, match=str(theirs.value)[:20]):
            call(minigrad)


def test_state_is_torchs_byte_layout_and_moves_both_ways():
    torch.manual_seed(17)
    minigrad.manual_seed(17)
    for draw in (lambda m: m.randn(3), lambda m: m.rand(1000), lambda m: m.randn(20)):
        same_bits(minigrad.get_rng_state(), torch.get_rng_state())
        draw(torch), draw(minigrad)
    # torch's state (with a cached normal sample) into minigrad, and minigrad's into torch
    torch.randn(5)
    minigrad.set_rng_state(minigrad.tensor(torch.get_rng_state().numpy()))
    same_bits(minigrad.randn(7), torch.randn(7))
    minigrad.randn(3)
    torch.set_rng_state(torch.from_numpy(minigrad.get_rng_state().numpy()))
    same_bits(minigrad.randn(9), torch.randn(9))


def test_state_round_trips_and_replays_the_stream():
    g = minigrad.Generator().manual_seed(3)
    g_state = g.get_state()
    first = [minigrad.randn(5, generator=g), minigrad.randint(0, 9, (4,), generator=g)]
    g.set_state(g_state)
    again = [minigrad.randn(5, generator=g), minigrad.randint(0, 9, (4,), generator=g)]
    for a, b in zip(first, again):
        assert a.tolist() == b.tolist()


def test_a_new_generator_is_torchs():
    ours, theirs = minigrad.Generator(), torch.Generator()
    assert ours.initial_seed() == theirs.initial_seed()
    same_bits(ours.get_state(), theirs.get_state())
    same_bits(minigrad.randn(20, generator=ours), torch.randn(20, generator=theirs))


def test_a_state_of_the_wrong_size_raises_torchs_error():
    with pytest.raises(RuntimeError) as theirs:
        torch.set_rng_state(torch.zeros(64, dtype=torch.uint8))
    with pytest.raises(RuntimeError, match="size to be 64"):
        minigrad.set_rng_state(minigrad.zeros(64, dtype=minigrad.uint8))
    assert "5056" in str(theirs.value)


def test_bad_parameters_raise_torchs_errors():
    for call in (lambda m: m.empty(3).normal_(0, -1), lambda m: m.empty(3).bernoulli_(1.5),
                 lambda m: m.empty(3).uniform_(2, 1), lambda m: m.randperm(-1),
                 lambda m: m.randint(5, 5, (2,)), lambda m: m.empty(3).random_(4, 2),
                 lambda m: m.empty(3).exponential_(0), lambda m: m.multinomial(m.ones(3), 4),
                 lambda m: m.multinomial(m.ones(3), 0), lambda m: m.multinomial(m.zeros(3), 1),
                 lambda m: m.multinomial(m.tensor([1.0, -1.0]), 2, True),
                 lambda m: m.multinomial(m.ones(2, 2, 2), 1)):
        with pytest.raises(Exception) as theirs:
            call(torch)
        with pytest.raises(type(theirs.value)):
            call(minigrad)


@pytest.mark.parametrize("capability", ["default", "avx2"])
def test_the_cpu_capability_paths_are_torchs(capability):
    """torch's float32 normal_fill is the AVX2 polynomial kernel or the libm one depending on the
    CPU (ATEN_CPU_CAPABILITY forces it); minigrad follows the same switch."""
    code = ("import numpy as np, torch, minigrad\n"
            "for seed in (0, 5):\n"
            "    torch.manual_seed(seed); minigrad.manual_seed(seed)\n"
            "    a = torch.empty(1001).normal_(0.5, 3.0); b = minigrad.empty(1001).normal_(0.5, 3.0)\n"
            "    assert a.numpy().tobytes() == b.numpy().tobytes(), seed\n")
    import os
    env = dict(os.environ, ATEN_CPU_CAPABILITY=capability)
    subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=os.path.dirname(os.path.dirname(__file__)))


def test_import_loads_no_numba():
    out = subprocess.run([sys.executable, "-c", "import minigrad, sys; print('numba' in sys.modules)"],
                         check=True, capture_output=True, text=True,
                         cwd=__import__("os").path.dirname(__import__("os").path.dirname(__file__)))
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("n", [4095, 4096, 4097, 2 * 4096 + 3, 20_000])
def test_fills_drawn_in_bulk_are_torchs_across_chunks(n, dtype):
    """The fills take their words in bulk, 4096 draws at a time (kernels.mt19937.words): sizes on
    both sides of a chunk, each fill starting where the one before left the engine."""
    def draws(m):
        out = [m.empty(n, dtype=getattr(m, dtype)).uniform_(-2.0, 3.0), m.rand(5, dtype=getattr(m, dtype)),
               m.empty(n, dtype=getattr(m, dtype)).normal_(0.5, 2.0), m.randn(7, dtype=getattr(m, dtype))]
        if not _torch_draws_bernoulli_from_mkl():
            out.append(m.empty(n, dtype=getattr(m, dtype)).bernoulli_(0.3))
        return out + [m.rand(3, dtype=getattr(m, dtype))]
    ours, theirs = both(11, draws)
    for o, t in zip(ours, theirs):
        same_bits(o, t)


@given(left=st.integers(1, 624), n=st.integers(0, 3000), seed=st.integers(0, 2 ** 32 - 1))
def test_bulk_words_are_random32s_words_and_state(left, n, seed):
    """``words`` gives the words of ``n`` random32 calls and leaves the state as they would,
    from any point of the state's 624-word cycle."""
    from minigrad.kernels import mt19937
    mt = np.zeros(mt19937.STATE_WORDS, np.uint32)
    mt[:mt19937.N] = np.random.default_rng(seed).integers(0, 2 ** 32, mt19937.N, dtype=np.uint64)
    mt[mt19937.LEFT] = left
    mt[mt19937.NEXT] = (mt19937.N + 1 - left) % (mt19937.N + 1) if left > 1 else 0
    bulk, one_by_one = mt.copy(), mt.copy()
    got = np.empty(n, np.uint32)
    mt19937.words(bulk, got)
    expected = np.array([mt19937.random32(one_by_one) for _ in range(n)], np.uint32)
    assert np.array_equal(got, expected)
    assert np.array_equal(bulk, one_by_one)

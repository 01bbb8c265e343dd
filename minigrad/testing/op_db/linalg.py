"""Op table: matrix products (matmul in all its 1-D / 2-D / batched forms, mm, bmm, mv, dot, outer,
addmm) and einsum over a catalogue of equations (diagonals, traces, ellipses, broadcast labels).

Sizes run from 0 to 4, so empty products (a sum over nothing is 0) and size-1 dims are drawn;
batch dims broadcast.
"""
import numpy as np
import torch
from hypothesis import strategies as st

import minigrad
from ..opinfo import ErrorCase, OpInfo, Sample
from ..strategies import arrays, broadcastable_shapes

_size = st.integers(0, 4)


def _matmul_sample(dtype):
    """Operands of 1 to 4 dims with matching inner sizes and broadcastable batch dims."""
    def build(a):
        na, nb, m, k, n, (batch_a, batch_b) = a
        sa = (k,) if na == 1 else tuple(batch_a[len(batch_a) - (na - 2):]) + (m, k)
        sb = (k,) if nb == 1 else tuple(batch_b[len(batch_b) - (nb - 2):]) + (k, n)
        return st.tuples(arrays(dtype, sa), arrays(dtype, sb))
    return st.tuples(st.integers(1, 4), st.integers(1, 4), _size, _size, _size,
                     broadcastable_shapes(2, min_dims=2, max_dims=2, max_side=3)).flatmap(build).map(Sample)


def _two(make_shapes):
    """Sample(a, b) with shapes from ``make_shapes(m, k, n, batch)``."""
    def strategy(dtype):
        return st.tuples(_size, _size, _size, st.integers(0, 3)).flatmap(
            lambda s: st.tuples(*(arrays(dtype, shape) for shape in make_shapes(*s)))).map(Sample)
    return strategy


def _addmm_sample(dtype):
    """addmm(input, mat1, mat2, beta=, alpha=): input of any shape that broadcasts to (m, n)."""
    def build(s):
        m, k, n = s
        inputs = st.sampled_from([(m, n), (n,), (1, n), (m, 1), (), (1,), (1, 1)])
        return st.tuples(inputs.flatmap(lambda shape: arrays(dtype, shape)), arrays(dtype, (m, k)),
                         arrays(dtype, (k, n)), st.sampled_from([1, 0, 0.5, -2]), st.sampled_from([1, 0.5, -1.5]))
    return st.tuples(_size, _size, _size).flatmap(build).map(
        lambda a: Sample(a[:3], {"beta": a[3], "alpha": a[4]}))


# Equations and, for each operand, its subscripts; "..." draws 0 to 2 broadcast batch dims.
_EQUATIONS = [
    "ij,jk->ik", "ij,jk", "bij,bjk->bik", "i,i->", "i,i", "i,j->ij", "ij->ji", "ij->", "ij->j", "ii->i",
    "ii", "iij->j", "ij,ij->ij", "ijk,kl->ijl", "ij,jk,kl->il", "i,i,i->i", "ij,kl->ijkl", "bn,anm,bm->ba",
    "...ij,...jk->...ik", "...ij,...jk", "i...j,j...k", "...i,...i->...", "...ii->...i", "ba->ab", "ab",
    "i,i->i", "Ab,bC->AC", "ij,jk->", " i j , j k -> i k ",
]


def _einsum_sample(dtype):
    """An equation from the catalogue, label sizes 0 to 3, and operands of those sizes; a label that
    is shared may be 1 in some operands (einsum broadcasts it), as may the ellipsis dims."""
    def build(eq):
        terms = eq.replace(" ", "").split("->")[0].split(",")
        labels = sorted(set("".join(terms).replace(".", "")))
        return st.tuples(st.fixed_dictionaries({l: st.integers(0, 3) for l in labels}),
                         broadcastable_shapes(len(terms), 0, 2, 0, 3),
                         st.lists(st.booleans(), min_size=sum(len(t) for t in terms),
                                  max_size=sum(len(t) for t in terms))).flatmap(
            lambda a: st.tuples(st.just(eq), *(arrays(dtype, shape) for shape in _operand_shapes(terms, *a))))
    return st.sampled_from(_EQUATIONS).flatmap(build).map(lambda a: Sample((a[0],) + tuple(a[1:])))


def _operand_shapes(terms, sizes, ellipsis_shapes, ones):
    """Each operand's shape; where ``ones`` says so, a label used by several operands is 1 in this one
    (never a repeated label, whose sizes must agree)."""
    uses = {}
    for t in terms:
        for l in set(t.replace(".", "")):
            uses[l] = uses.get(l, 0) + 1
    flags = iter(ones)
    out = []
    for t, ell in zip(terms, ellipsis_shapes):
        shape = []
        for l in t.replace("...", "."):
            if l == ".":
                shape.extend(ell)
                continue
            one = next(flags) and uses[l] > 1 and t.count(l) == 1
            shape.append(1 if one else sizes[l])
        out.append(tuple(shape))
    return out


def _einsum_sublist_sample(dtype):
    """einsum(a, [0, 1], b, [1, 2], [0, 2]) and friends (labels as integers)."""
    forms = [([0, 1], [1, 2], [0, 2]), ([0, 1], [1, 2], None), ([Ellipsis, 0], [Ellipsis, 0], [Ellipsis]),
             ([0, 27], [27, 51], [51, 0])]

    def build(form):
        sa, sb, out = form
        return st.tuples(_size, _size, _size, st.integers(0, 3)).flatmap(lambda s: st.tuples(
            arrays(dtype, _sublist_shape(sa, s)), arrays(dtype, _sublist_shape(sb, s)))).map(
            lambda ab: Sample((ab[0], sa, ab[1], sb) + (() if out is None else (out,))))
    return st.sampled_from(forms).flatmap(build)


def _sublist_shape(sublist, sizes):
    by_label = {0: sizes[0], 1: sizes[1], 2: sizes[2], 27: sizes[1], 51: sizes[2]}
    shape = []
    for s in sublist:
        shape.extend((sizes[3],) if s is Ellipsis else (by_label[s],))
    return tuple(shape)


_real = ("float32", "float64")
_with_int = _real + ("int64",)

OPS = [
    OpInfo("matmul", minigrad.matmul, torch.matmul, _matmul_sample, dtypes=_with_int),
    OpInfo("mm", minigrad.mm, torch.mm, _two(lambda m, k, n, b: [(m, k), (k, n)]), dtypes=_with_int),
    OpInfo("bmm", minigrad.bmm, torch.bmm, _two(lambda m, k, n, b: [(b, m, k), (b, k, n)]), dtypes=_with_int),
    OpInfo("mv", minigrad.mv, torch.mv, _two(lambda m, k, n, b: [(m, k), (k,)]), dtypes=_with_int),
    OpInfo("dot", minigrad.dot, torch.dot, _two(lambda m, k, n, b: [(k,), (k,)]), dtypes=_with_int),
    OpInfo("outer", minigrad.outer, torch.outer, _two(lambda m, k, n, b: [(m,), (n,)]), dtypes=_with_int),
    OpInfo("addmm", minigrad.addmm, torch.addmm, _addmm_sample),
    OpInfo("einsum", minigrad.einsum, torch.einsum, _einsum_sample, dtypes=_with_int),
    OpInfo("einsum_sublist", minigrad.einsum, torch.einsum, _einsum_sublist_sample),
]

ERRORS = [
    ErrorCase("matmul_0d", lambda lib: lib.matmul(lib.tensor(1.0), lib.ones(3)), ("0D", "1D")),
    ErrorCase("matmul_dot_size", lambda lib: lib.matmul(lib.ones(3), lib.ones(4)), ("[3]", "[4]")),
    ErrorCase("matmul_mm_shapes", lambda lib: lib.ones(2, 3) @ lib.ones(4, 3), ("2x3 and 4x3",)),
    ErrorCase("matmul_folded_shapes", lambda lib: lib.ones(2, 5, 2, 3) @ lib.ones(4, 3), ("20x3 and 4x3",)),
    ErrorCase("matmul_vec_shapes", lambda lib: lib.ones(1, 3) @ lib.ones(4, 5), ("1x3 and 4x5",)),
    ErrorCase("matmul_mv_shapes", lambda lib: lib.ones(2, 3) @ lib.ones(4), ("(2x3)", "(4)")),
    ErrorCase("matmul_batch_shapes", lambda lib: lib.ones(5, 2, 3) @ lib.ones(5, 4, 3), ("[5, 3]", "[5, 4]")),
    ErrorCase("matmul_batch_broadcast", lambda lib: lib.ones(5, 2, 3) @ lib.ones(6, 3, 3), ("5", "6")),
    ErrorCase("matmul_dtypes", lambda lib: lib.ones(2, 3) @ lib.ones(3, 2, dtype=lib.float64), ("float", "double")),
    ErrorCase("matmul_bool", lambda lib: lib.ones(2, 3, dtype=lib.bool) @ lib.ones(3, 2, dtype=lib.bool),
              ("Bool",)),
    ErrorCase("mm_not_matrix", lambda lib: lib.mm(lib.ones(3), lib.ones(3, 2)), ("self", "matrix")),
    ErrorCase("mm_mat2_not_matrix", lambda lib: lib.mm(lib.ones(2, 3), lib.ones(3)), ("mat2", "matrix")),
    ErrorCase("mm_shapes", lambda lib: lib.mm(lib.ones(2, 3), lib.ones(4, 3)), ("2x3 and 4x3",)),
    ErrorCase("mm_dtypes", lambda lib: lib.mm(lib.ones(2, 3), lib.ones(3, 2, dtype=lib.float64)),
              ("float != double",)),
    ErrorCase("bmm_not_3d", lambda lib: lib.bmm(lib.ones(2, 3), lib.ones(3, 2)), ("batch1", "3D")),
    ErrorCase("bmm_mat2_not_3d", lambda lib: lib.bmm(lib.ones(2, 2, 3), lib.ones(3, 2)), ("batch2", "3D")),
    ErrorCase("bmm_shapes", lambda lib: lib.bmm(lib.ones(2, 2, 3), lib.ones(3, 3, 2)), ("[2, 3]", "[3, 3]")),
    ErrorCase("bmm_dtypes", lambda lib: lib.bmm(lib.ones(2, 2, 3), lib.ones(2, 3, 2, dtype=lib.float64)),
              ("Float", "Double")),
    ErrorCase("mv_dims", lambda lib: lib.mv(lib.ones(2, 3), lib.ones(3, 1)), ("got 1, 2, 2",)),
    ErrorCase("mv_shapes", lambda lib: lib.mv(lib.ones(2, 3), lib.ones(4)), ("(2x3)", "(4)")),
    ErrorCase("dot_sizes", lambda lib: lib.dot(lib.ones(3), lib.ones(4)), ("[3]", "[4]")),
    ErrorCase("dot_dims", lambda lib: lib.dot(lib.ones(2, 3), lib.ones(3)), ("2D and 1D",)),
    ErrorCase("dot_dtypes", lambda lib: lib.dot(lib.ones(3), lib.ones(3, dtype=lib.float64)), ("Float", "Double")),
    ErrorCase("outer_dims", lambda lib: lib.outer(lib.ones(2, 3), lib.ones(4)), ("self", "2-D")),
    ErrorCase("addmm_shapes", lambda lib: lib.addmm(lib.ones(2, 4), lib.ones(2, 3), lib.ones(5, 4)),
              ("2x3 and 5x4",)),
    ErrorCase("addmm_mat1_dims", lambda lib: lib.addmm(lib.ones(2, 4), lib.ones(2, 3, 1), lib.ones(3, 4)),
              ("mat1", "3-D")),
    ErrorCase("addmm_input_shape", lambda lib: lib.addmm(lib.ones(3, 4), lib.ones(2, 3), lib.ones(3, 4)),
              ("[2, 4]", "[3, 4]")),
    ErrorCase("addmm_dtypes", lambda lib: lib.addmm(lib.ones(2, 4), lib.ones(2, 3), lib.ones(3, 4, dtype=lib.float64)),
              ("self and mat2", "Float", "Double")),
    ErrorCase("einsum_too_few_operands", lambda lib: lib.einsum("ij,jk", lib.ones(2, 3)), ("fewer operands",)),
    ErrorCase("einsum_too_many_operands", lambda lib: lib.einsum("ij", lib.ones(2, 3), lib.ones(3)),
              ("more operands",)),
    ErrorCase("einsum_wrong_ndim", lambda lib: lib.einsum("ij", lib.ones(2, 3, 4)), ("(2)", "(3)", "operand 0")),
    ErrorCase("einsum_size_mismatch", lambda lib: lib.einsum("ij,jk", lib.ones(2, 3), lib.ones(4, 4)),
              ("subscript j", "4", "3")),
    ErrorCase("einsum_repeated_sizes", lambda lib: lib.einsum("ii->i", lib.ones(2, 3)), ("subscript i", "3 != 2")),
    ErrorCase("einsum_output_repeated", lambda lib: lib.einsum("ij,jk->ikk", lib.ones(2, 3), lib.ones(3, 4)),
              ("output subscript k",)),
    ErrorCase("einsum_output_unknown", lambda lib: lib.einsum("ij,jk->il", lib.ones(2, 3), lib.ones(3, 4)),
              ("output subscript l",)),
    ErrorCase("einsum_bad_subscript", lambda lib: lib.einsum("i1", lib.ones(2, 3)), ("index 1", "[a-zA-Z]")),
    ErrorCase("einsum_dtypes", lambda lib: lib.einsum("ij,jk", lib.ones(2, 3), lib.ones(3, 4, dtype=lib.float64)),
              ("Float", "Double")),
]


# -- the fused products and the products built on matmul ------------------------------------------
def _fused_sample(kind):
    """input (any shape broadcasting to the product's), the two factors, beta and alpha. addmv's matrix
    is never empty: torch then returns beta*input in input's shape, and its backward fails."""
    def strategy(dtype):
        def build(s):
            m, k, n, b = s
            out, a, c = {"addmv": ((m,), (m, k), (k,)), "addr": ((m, n), (m,), (n,)),
                         "addbmm": ((m, n), (b, m, k), (b, k, n)), "baddbmm": ((b, m, n), (b, m, k), (b, k, n))}[kind]
            inputs = st.sampled_from([out, out[1:], (), (1,) * len(out)])
            return st.tuples(inputs.flatmap(lambda shape: arrays(dtype, shape)), arrays(dtype, a), arrays(dtype, c),
                             st.sampled_from([1, 0, 0.5]), st.sampled_from([1, -1.5]))
        sizes = st.integers(1, 4) if kind == "addmv" else _size
        return st.tuples(sizes, sizes, _size, st.integers(0, 3)).flatmap(build).map(
            lambda a: Sample(a[:3], {"beta": a[3], "alpha": a[4]}))
    return strategy


def _tensordot_sample(dtype):
    """dims as a count or as two lists (in any order, negative too)."""
    forms = [((2, 3, 4), (3, 4, 2), 2), ((2, 3), (3, 4), 1), ((2, 3), (4,), 0), ((2, 3, 4), (4, 2, 3), ([1, 2], [2, 0])),
             ((3, 4), (4, 3), ([-1, 0], [0, 1])), ((0, 3), (3, 2), 1)]
    return st.sampled_from(forms).flatmap(lambda f: st.tuples(arrays(dtype, f[0]), arrays(dtype, f[1])).map(
        lambda ab: Sample(ab, {"dims": f[2]})))


def _shapes_sample(*pairs):
    """Sample(a, b, ...) with one of the listed tuples of shapes."""
    def strategy(dtype):
        return st.sampled_from(pairs).flatmap(lambda shapes: st.tuples(*(arrays(dtype, s) for s in shapes))).map(Sample)
    return strategy


def _cross_sample(dtype):
    forms = [((3,), (3,), -1), ((2, 3), (1, 3), 1), ((3, 2), (3, 2), 0), ((4, 3, 3), (4, 3, 3), -2), ((0, 3), (0, 3), 1)]
    return st.sampled_from(forms).flatmap(lambda f: st.tuples(arrays(dtype, f[0]), arrays(dtype, f[1])).map(
        lambda ab: Sample(ab, {"dim": f[2]})))


def _cdist_sample(dtype):
    """Batched point sets (well separated, so no zero distances: the gradient has a kink there)."""
    forms = [((3, 2), (4, 2)), ((2, 3, 4), (5, 4)), ((1, 2, 3), (2, 1, 3)), ((0, 3), (2, 3))]
    return st.tuples(st.sampled_from(forms), st.sampled_from([2.0, 1.0, 0.5, 3.0, float("inf"), 0.0]),
                     st.sampled_from(["use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist",
                                      "donot_use_mm_for_euclid_dist"])).flatmap(
        lambda f: st.tuples(arrays(dtype, f[0][0], unique=True), arrays(dtype, f[0][1], unique=True)).map(
            lambda ab: Sample(ab, {"p": f[1], "compute_mode": f[2]}))).filter(_separated)


def _separated(sample):
    a, b = sample.args
    if not a.size or not b.size:
        return True
    diff = np.abs(a[..., :, None, :] - b[..., None, :, :])
    return bool(diff.min() > 0.05)


def _block_diag_sample(dtype):
    return st.lists(st.sampled_from([(), (3,), (2, 3), (0, 2), (1, 1), (2, 0)]), min_size=0, max_size=4).flatmap(
        lambda shapes: st.tuples(*(arrays(dtype, s) for s in shapes))).map(Sample)


def _cartesian_sample(dtype):
    return st.lists(_size, min_size=1, max_size=3).flatmap(
        lambda sizes: st.tuples(*(arrays(dtype, (n,)) for n in sizes))).map(Sample)


def _combinations_sample(dtype):
    return st.tuples(st.integers(0, 5), st.integers(0, 4), st.booleans()).flatmap(
        lambda f: arrays(dtype, (f[0],)).map(lambda a: Sample((a,), {"r": f[1], "with_replacement": f[2]})))


def _chain_sample(dtype):
    return st.lists(_size, min_size=2, max_size=5).flatmap(
        lambda sizes: st.tuples(*(arrays(dtype, (sizes[i], sizes[i + 1])) for i in range(len(sizes) - 1)))).map(Sample)


def _multi_dot_sample(dtype):
    """A list of 2 to 4 matrices; the first and the last may be vectors."""
    def build(f):
        sizes, first_vec, last_vec = f
        shapes = [(sizes[i], sizes[i + 1]) for i in range(len(sizes) - 1)]
        if first_vec:
            shapes[0] = shapes[0][1:]
        if last_vec:
            shapes[-1] = shapes[-1][:1]
        return st.tuples(*(arrays(dtype, s) for s in shapes)).map(lambda ms: Sample((list(ms),)))
    return st.tuples(st.lists(_size, min_size=3, max_size=5), st.booleans(), st.booleans()).flatmap(build)


def _quiet(fn):
    """Call a deprecated torch function without its warning (minigrad warns the same)."""
    import warnings

    def call(*args, **kwargs):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn(*args, **kwargs)
    return call


OPS += [
    OpInfo("addmv", minigrad.addmv, torch.addmv, _fused_sample("addmv")),
    OpInfo("addr", minigrad.addr, torch.addr, _fused_sample("addr")),
    OpInfo("addbmm", minigrad.addbmm, torch.addbmm, _fused_sample("addbmm")),
    OpInfo("baddbmm", minigrad.baddbmm, torch.baddbmm, _fused_sample("baddbmm")),
    OpInfo("inner", minigrad.inner, torch.inner,
           _shapes_sample(((2, 3), (4, 3)), ((3,), (3,)), ((), (2, 3)), ((2, 1, 3), (3,)), ((0,), (0,)))),
    OpInfo("vdot", minigrad.vdot, torch.vdot, _two(lambda m, k, n, b: [(k,), (k,)])),
    OpInfo("kron", minigrad.kron, torch.kron,
           _shapes_sample(((2, 3), (3, 2)), ((2,), (3, 2)), ((), (2,)), ((2, 1, 3), (2, 2)), ((0, 2), (2, 2)))),
    OpInfo("tensordot", minigrad.tensordot, torch.tensordot, _tensordot_sample),
    OpInfo("chain_matmul", _quiet(minigrad.chain_matmul), _quiet(torch.chain_matmul), _chain_sample),
    OpInfo("linalg.multi_dot", lambda ms: minigrad.linalg.multi_dot(ms), torch.linalg.multi_dot, _multi_dot_sample),
    OpInfo("cross", minigrad.cross, torch.cross, _cross_sample),
    OpInfo("linalg.cross", lambda a, b, dim: minigrad.linalg.cross(a, b, dim=dim),
           lambda a, b, dim: torch.linalg.cross(a, b, dim=dim), _cross_sample),
    OpInfo("cdist", minigrad.cdist, torch.cdist, _cdist_sample, gradgrad=False,
           notes="torch's _cdist_backward has no derivative (nor has minigrad's)"),
    OpInfo("block_diag", minigrad.block_diag, torch.block_diag, _block_diag_sample, dtypes=_with_int),
    OpInfo("cartesian_prod", minigrad.cartesian_prod, torch.cartesian_prod, _cartesian_sample, dtypes=_with_int),
    OpInfo("combinations", minigrad.combinations, torch.combinations, _combinations_sample, dtypes=_with_int),
]

ERRORS += [
    ErrorCase("addmv_sizes", lambda lib: lib.addmv(lib.ones(2), lib.ones(2, 3), lib.ones(4)), ("(2x3)", "vec (4)")),
    ErrorCase("addmv_dims", lambda lib: lib.addmv(lib.ones(2), lib.ones(2, 3, 1), lib.ones(3)), ("got 1, 3, 1",)),
    ErrorCase("addr_vec1_dims", lambda lib: lib.addr(lib.ones(2, 3), lib.ones(2, 1), lib.ones(3)), ("vec1", "2-D")),
    ErrorCase("addr_input_shape", lambda lib: lib.addr(lib.ones(2, 4), lib.ones(2), lib.ones(3)), ("[2, 3]",)),
    ErrorCase("addbmm_sizes", lambda lib: lib.addbmm(lib.ones(2, 4), lib.ones(2, 2, 3), lib.ones(2, 4, 4)),
              ("2x3 and 4x4",)),
    ErrorCase("baddbmm_batch2", lambda lib: lib.baddbmm(lib.ones(2, 2, 4), lib.ones(2, 2, 3), lib.ones(3, 3, 4)),
              ("[2, 3]", "[3, 3]")),
    ErrorCase("inner_sizes", lambda lib: lib.inner(lib.ones(2, 3), lib.ones(4)), ("[2, 3]", "[4]")),
    ErrorCase("tensordot_sizes", lambda lib: lib.tensordot(lib.ones(2, 3), lib.ones(4, 3), 1),
              ("size 3 in dim -1", "size 4 in dim 0")),
    ErrorCase("multi_dot_one", lambda lib: lib.linalg.multi_dot([lib.ones(2, 3)]), ("at least 2 tensors",)),
    ErrorCase("multi_dot_shapes", lambda lib: lib.linalg.multi_dot([lib.ones(2, 3), lib.ones(4, 3)]),
              ("tensors 0 and 1", "[2, 3] and [4, 3]")),
    ErrorCase("cross_length", lambda lib: lib.linalg.cross(lib.ones(2, 4), lib.ones(2, 4)), ("dimension -1", "length 3")),
    ErrorCase("cross_no_dim_of_3", lambda lib: _quiet(lib.cross)(lib.ones(2, 4), lib.ones(2, 4)), ("size 3",)),
    ErrorCase("cdist_columns", lambda lib: lib.cdist(lib.ones(2, 3), lib.ones(4, 2)), ("X1: 3", "X2: 2")),
    ErrorCase("cdist_1d", lambda lib: lib.cdist(lib.ones(3), lib.ones(4, 3)), ("X1", "1D")),
    ErrorCase("cdist_negative_p", lambda lib: lib.cdist(lib.ones(2, 3), lib.ones(4, 3), p=-1), ("non-negative p",)),
    ErrorCase("combinations_2d", lambda lib: lib.combinations(lib.ones(2, 3)), ("1D vector", "[2, 3]")),
    ErrorCase("cartesian_prod_2d", lambda lib: lib.cartesian_prod(lib.ones(2, 3)), ("1D vector", "[2, 3]")),
    ErrorCase("block_diag_3d", lambda lib: lib.block_diag(lib.ones(2, 3, 3)), ("Input 0", "3 dimensions")),
]

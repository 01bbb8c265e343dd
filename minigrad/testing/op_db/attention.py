"""Op table: attention (ops/attention.py): scaled_dot_product_attention with every mask kind, the
causal flag, scale and grouped-query heads, and multi_head_attention_forward with packed and
separate projections, bias_k/bias_v, add_zero_attn and both need_weights paths.

Dropout inside attention draws torch's mask (tests/nn/test_attention.py compares it after the
same seed); the table keeps dropout_p = 0 so that hypothesis' samples stay deterministic.
"""
import numpy as np
import torch.nn.functional as TF
from hypothesis import strategies as st

import minigrad.nn.functional as F
from ..opinfo import ErrorCase, OpInfo, Sample
from ..strategies import arrays

_SDPA_TOL = {"float32": 1e-4}
# multi_head_attention_forward composes linear, bmm, softmax and the attention above, whose own
# entries run the numerical gradchecks; its gradients and grad-of-grad are still compared with
# torch's. (Its numerical gradcheck, over a dozen weight tensors, took minutes of CI.)
_COMPOSED = {"gradcheck": False}


def _math_backend(fn):
    """``fn`` under torch's math backend for attention, the arithmetic minigrad follows (its CPU
    flash kernel, which torch picks for some shapes, has no double backward)."""
    def call(*args, **kwargs):
        from torch.nn.attention import SDPBackend, sdpa_kernel
        with sdpa_kernel(SDPBackend.MATH):
            return fn(*args, **kwargs)
    return call


_sdpa_math = _math_backend(TF.scaled_dot_product_attention)
_mha_math = _math_backend(TF.multi_head_attention_forward)


def _sdpa(dtype, mask=None, gqa=False):
    """(*batch, heads, L, E) query, (*batch, kv_heads, S, E) key and (..., S, Ev) value."""
    def build(a):
        batch, heads, length, source, embed, embed_v, causal, scale = a
        kv_heads = 1 if gqa else heads
        q = arrays(dtype, batch + (heads, length, embed), -2, 2)
        k = arrays(dtype, batch + (kv_heads, source, embed), -2, 2)
        v = arrays(dtype, batch + (kv_heads, source, embed_v), -2, 2)
        kwargs = {"is_causal": True} if causal and mask is None else {}
        if scale is not None:
            kwargs["scale"] = scale
        if gqa:
            kwargs["enable_gqa"] = True
        if mask == "bool":
            m = arrays(np.bool_, (length, source))
        elif mask == "float":
            m = arrays(dtype, (heads, length, source), -2, 2)
        else:
            m = st.none()
        return st.tuples(q, k, v, m).map(lambda t: Sample(t[:3], {**kwargs, **({} if t[3] is None else
                                                                                {"attn_mask": t[3]})}))
    return st.tuples(st.lists(st.integers(1, 2), max_size=1).map(tuple), st.integers(1, 3), st.integers(1, 4),
                     st.integers(1, 4), st.integers(1, 4), st.integers(1, 3), st.booleans(),
                     st.sampled_from([None, 0.5, -0.7])).flatmap(build)


def _mha(dtype, separate=False, bias_kv=False, zero_attn=False, need_weights=True, key_padding=False):
    """multi_head_attention_forward on (L, N, E) query and (S, N, kdim/vdim) key and value."""
    heads, head_dim, length, source, batch = 2, 2, 3, 4, 2
    embed = heads * head_dim
    kdim, vdim = (3, 5) if separate else (embed, embed)

    def a(*shape):
        return arrays(dtype, shape, -1.5, 1.5)

    parts = [a(length, batch, embed), a(source, batch, kdim), a(source, batch, vdim),
             st.none() if separate else a(3 * embed, embed), a(3 * embed),
             a(1, 1, embed) if bias_kv else st.none(), a(1, 1, embed) if bias_kv else st.none(),
             a(embed, embed), a(embed),
             a(embed, embed) if separate else st.none(), a(embed, kdim) if separate else st.none(),
             a(embed, vdim) if separate else st.none(),
             arrays(np.bool_, (batch, source)) if key_padding else st.none(),
             arrays(np.bool_, (length, source)), st.booleans()]

    def sample(t):
        q, k, v, w_in, b_in, b_k, b_v, w_out, b_out, w_q, w_k, w_v, padding, mask, average = t
        kwargs = {"training": False, "need_weights": need_weights, "attn_mask": mask,
                  "average_attn_weights": average}
        if padding is not None:
            padding[:, 0] = False    # keep one key visible per row: a fully masked row is NaN in torch too
            kwargs["key_padding_mask"] = padding
        mask[:, 0] = False
        if separate:
            kwargs.update(use_separate_proj_weight=True, q_proj_weight=w_q, k_proj_weight=w_k, v_proj_weight=w_v)
        return Sample((q, k, v, embed, heads, w_in, b_in, b_k, b_v, zero_attn, 0.0, w_out, b_out), kwargs)
    return st.tuples(*parts).map(sample)


OPS = [
    OpInfo("scaled_dot_product_attention", F.scaled_dot_product_attention, _sdpa_math, _sdpa, rtol=_SDPA_TOL),
    OpInfo("scaled_dot_product_attention_bool_mask", F.scaled_dot_product_attention, _sdpa_math,
           lambda d: _sdpa(d, "bool"), rtol=_SDPA_TOL),
    OpInfo("scaled_dot_product_attention_float_mask", F.scaled_dot_product_attention, _sdpa_math,
           lambda d: _sdpa(d, "float"), rtol=_SDPA_TOL),
    OpInfo("scaled_dot_product_attention_gqa", F.scaled_dot_product_attention, _sdpa_math,
           lambda d: _sdpa(d, gqa=True), rtol=_SDPA_TOL),
    OpInfo("multi_head_attention_forward", F.multi_head_attention_forward, _mha_math, _mha, rtol=_SDPA_TOL,
           **_COMPOSED),
    OpInfo("multi_head_attention_forward_sdpa", F.multi_head_attention_forward, _mha_math,
           lambda d: _mha(d, need_weights=False, key_padding=True), rtol=_SDPA_TOL,
           **_COMPOSED),
    OpInfo("multi_head_attention_forward_separate", F.multi_head_attention_forward, _mha_math,
           lambda d: _mha(d, separate=True, bias_kv=True, zero_attn=True), rtol=_SDPA_TOL, **_COMPOSED),
    OpInfo("multi_head_attention_forward_padding", F.multi_head_attention_forward, _mha_math,
           lambda d: _mha(d, bias_kv=True, zero_attn=True, key_padding=True), rtol=_SDPA_TOL,
           **_COMPOSED),
]


def _qkv(lib, q_dtype="float32", k_dtype="float32", dims=4):
    shape = (2, 3, 4, 8)[4 - dims:]
    return (lib.zeros(shape, dtype=getattr(lib, q_dtype)), lib.zeros(shape, dtype=getattr(lib, k_dtype)),
            lib.zeros(shape, dtype=getattr(lib, q_dtype)))


def _mha_call(lib, query_shape=(3, 2, 4), key_shape=(3, 2, 4), **kwargs):
    q, k = lib.zeros(query_shape), lib.zeros(key_shape)
    w_in, b_in, w_out, b_out = lib.zeros(12, 4), lib.zeros(12), lib.zeros(4, 4), lib.zeros(4)
    args = dict(embed_dim_to_check=4, num_heads=2)
    args.update({k2: kwargs.pop(k2) for k2 in list(kwargs) if k2 in args})
    return lib.nn.functional.multi_head_attention_forward(q, k, k, args["embed_dim_to_check"], args["num_heads"],
                                                          w_in, b_in, None, None, False, 0.0, w_out, b_out,
                                                          **kwargs)


ERRORS = [
    ErrorCase("sdpa_dtype_mismatch", lambda lib: lib.nn.functional.scaled_dot_product_attention(
        *_qkv(lib, k_dtype="float64")), ("query.dtype: float", "key.dtype: double")),
    ErrorCase("sdpa_int_mask", lambda lib: lib.nn.functional.scaled_dot_product_attention(
        *_qkv(lib), attn_mask=lib.zeros(3, 3, dtype=lib.int64)), ("attn_mask.dtype: long int",)),
    ErrorCase("sdpa_causal_with_mask", lambda lib: lib.nn.functional.scaled_dot_product_attention(
        *_qkv(lib, dims=3), attn_mask=lib.ones(4, 4, dtype=lib.bool), is_causal=True), ("is_causal=True",)),
    ErrorCase("sdpa_1d", lambda lib: lib.nn.functional.scaled_dot_product_attention(*_qkv(lib, dims=1)),
              ("at least 2 dimensional",)),
    ErrorCase("sdpa_dropout_p", lambda lib: lib.nn.functional.scaled_dot_product_attention(
        *_qkv(lib), dropout_p=1.5), ("dropout probability", "1.5")),
    ErrorCase("sdpa_gqa_heads", lambda lib: lib.nn.functional.scaled_dot_product_attention(
        lib.zeros(1, 3, 2, 4), lib.zeros(1, 2, 2, 4), lib.zeros(1, 2, 2, 4), enable_gqa=True),
        ("Number of heads",)),
    ErrorCase("mha_4d_query", lambda lib: _mha_call(lib, (1, 3, 2, 4), (1, 3, 2, 4)), ("4-D query",)),
    ErrorCase("mha_embed_dim", lambda lib: _mha_call(lib, embed_dim_to_check=6), ("embedding dimension of 6",)),
    ErrorCase("mha_heads_divide", lambda lib: _mha_call(lib, num_heads=3), ("not divisible by num_heads 3",)),
    ErrorCase("mha_mask_shape", lambda lib: _mha_call(lib, attn_mask=lib.zeros(2, 3)), ("2D attn_mask",)),
    ErrorCase("mha_int_mask", lambda lib: _mha_call(lib, attn_mask=lib.zeros(3, 3, dtype=lib.int64)),
              ("only bool and floating types of attn_mask",)),
    ErrorCase("mha_causal_without_mask", lambda lib: _mha_call(lib, is_causal=True), ("Need attn_mask",)),
    ErrorCase("mha_padding_shape", lambda lib: _mha_call(lib, key_padding_mask=lib.zeros(2, 5, dtype=lib.bool)),
              ("key_padded_mask.shape[1]",)),
]

"""Every op, under its torch name. Each family lives in its own module, forward beside backward.

    convert     dtype casts, clone, copy_, fill_, device moves
    elementwise add, sub, mul, div, neg (the arithmetic the operators use)
    math        pow, abs, clamp, where, lerp, exp, log, sin, ... (unary and binary math)
    compare     eq, lt, logical_*, isnan, allclose, ... (no gradient)
    reduce      sum, mean, prod, max/min, var/std, norm, logsumexp, cumsum, all/any
    linalg      matmul, mm, bmm, mv, dot, outer, addmm, einsum
    shape       reshape, view, expand, permute, cat, stack, split, flip, roll, strided views (diagonal,
                unfold, as_strided) and their *_scatter, tensor_split, hstack..., every *_copy
    index       __getitem__, index_put, gather, scatter (with reductions), index_add/copy/fill/reduce,
                take, put, masked_select/scatter/fill, nonzero
    activation  relu, gelu, softmax, log_softmax, ... (nn.functional)
    loss        cross_entropy, nll_loss, mse_loss, ... (nn.functional)
    nnfunc      linear, pad, one_hot, embedding, layer_norm, batch_norm, dropout (nn.functional)
    conv, pool  conv1d/2d, conv_transpose2d, max/avg/adaptive pooling, unfold/fold (Numba kernels)
    nnextra     shrinks, prelu, rrelu, distances, group/instance/RMS norms, interpolate, grid_sample (nn.functional)
"""
from .convert import *  # noqa: F401,F403
from .elementwise import *  # noqa: F401,F403
from .math import *  # noqa: F401,F403
from .compare import *  # noqa: F401,F403
from .reduce import *  # noqa: F401,F403
from .linalg import *  # noqa: F401,F403
from .shape import *  # noqa: F401,F403
from .index import *  # noqa: F401,F403
from .sort import *  # noqa: F401,F403
from .complex import *  # noqa: F401,F403  (after the families whose ops it declares complex-capable)
from .stft import stft, istft  # noqa: F401  (composed of the ops above; torch.stft is top-level)
from .activation import relu, softmax, log_softmax  # noqa: F401  (torch.relu etc. are top-level too)
from .nnextra import (hardshrink, prelu, rrelu, rrelu_, cosine_similarity, pairwise_distance, pdist,  # noqa: F401
                      group_norm, rms_norm, bilinear, pixel_shuffle, pixel_unshuffle, channel_shuffle,
                      native_channel_shuffle, grid_sampler, grid_sampler_2d, grid_sampler_3d,
                      native_group_norm, native_layer_norm, native_batch_norm, constant_pad_nd)  # (torch.pdist etc. are top-level too)

"""Module table: MultiheadAttention (packed and separate projections, bias_kv, zero attention,
masks, batch_first, unbatched) and the Transformer family (dropout=0 so train mode compares too)."""
import numpy as np

from . import ModuleInfo
from ._util import normal


def _qkv(length=3, source=4, batch=2, embed=4, kdim=None, vdim=None, batch_first=False, same=False):
    """query, key and value of the given sizes; with ``same`` the key and value are the query."""
    def draw(rng):
        lead = (lambda n: (batch, n)) if batch_first else (lambda n: (n, batch))
        q = rng.standard_normal(lead(length) + (embed,))
        if same:
            return (q, q, q)
        return (q, rng.standard_normal(lead(source) + (kdim or embed,)),
                rng.standard_normal(lead(source) + (vdim or embed,)))
    return draw


def _causal(n):
    return np.triu(np.full((n, n), -np.inf), 1)


def _padding(batch, n):
    """A key padding mask hiding the tail of each sequence but never its first key."""
    mask = np.zeros((batch, n), dtype=bool)
    mask[0, -1:] = True
    mask[-1, -2:] = True
    return mask


def _mha_mask(length, source):
    mask = np.zeros((length, source), dtype=bool)
    mask[:, -1] = True
    mask[0, 1] = True
    return mask


MODULES = [
    ModuleInfo("MultiheadAttention", lambda l: l.nn.MultiheadAttention(4, 2), _qkv()),
    ModuleInfo("MultiheadAttention-self-unaveraged", lambda l: l.nn.MultiheadAttention(4, 2), _qkv(same=True),
               kwargs=lambda rng: {"average_attn_weights": False}),
    ModuleInfo("MultiheadAttention-kdim-vdim-bias_kv-zero_attn",
               lambda l: l.nn.MultiheadAttention(4, 2, kdim=3, vdim=5, add_bias_kv=True, add_zero_attn=True),
               _qkv(kdim=3, vdim=5)),
    ModuleInfo("MultiheadAttention-masks", lambda l: l.nn.MultiheadAttention(6, 3), _qkv(embed=6),
               kwargs=lambda rng: {"key_padding_mask": _padding(2, 4), "attn_mask": _mha_mask(3, 4)}),
    ModuleInfo("MultiheadAttention-float-mask-no-weights", lambda l: l.nn.MultiheadAttention(4, 2, bias=False),
               _qkv(length=4, source=4), kwargs=lambda rng: {"attn_mask": _causal(4), "need_weights": False}),
    ModuleInfo("MultiheadAttention-causal-padding-no-weights", lambda l: l.nn.MultiheadAttention(4, 2),
               _qkv(length=4, source=4),
               kwargs=lambda rng: {"attn_mask": _causal(4), "is_causal": True, "need_weights": False,
                                   "key_padding_mask": _padding(2, 4)}),
    ModuleInfo("MultiheadAttention-batch_first", lambda l: l.nn.MultiheadAttention(4, 2, batch_first=True),
               _qkv(batch_first=True)),
    ModuleInfo("MultiheadAttention-unbatched", lambda l: l.nn.MultiheadAttention(4, 2),
               lambda rng: tuple(x[:, 0] for x in _qkv()(rng))),
    ModuleInfo("TransformerEncoderLayer", lambda l: l.nn.TransformerEncoderLayer(4, 2, 8, dropout=0.0),
               normal(5, 2, 4)),
    ModuleInfo("TransformerEncoderLayer-norm_first-gelu-batch_first",
               lambda l: l.nn.TransformerEncoderLayer(4, 2, 8, dropout=0.0, activation="gelu", norm_first=True,
                                                      batch_first=True, layer_norm_eps=1e-3),
               normal(2, 5, 4), kwargs=lambda rng: {"src_key_padding_mask": _padding(2, 5)}),
    ModuleInfo("TransformerEncoderLayer-callable-activation-nobias",
               lambda l: l.nn.TransformerEncoderLayer(4, 2, 8, dropout=0.0, activation=l.nn.functional.silu,
                                                      bias=False),
               normal(5, 2, 4), kwargs=lambda rng: {"src_mask": _causal(5), "is_causal": True}),
    ModuleInfo("TransformerDecoderLayer", lambda l: l.nn.TransformerDecoderLayer(4, 2, 8, dropout=0.0),
               lambda rng: (rng.standard_normal((3, 2, 4)), rng.standard_normal((5, 2, 4))),
               kwargs=lambda rng: {"tgt_mask": _causal(3), "memory_key_padding_mask": _padding(2, 5)}),
    ModuleInfo("TransformerDecoderLayer-norm_first",
               lambda l: l.nn.TransformerDecoderLayer(4, 2, 8, dropout=0.0, norm_first=True, batch_first=True),
               lambda rng: (rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 5, 4)))),
    ModuleInfo("TransformerEncoder",
               lambda l: l.nn.TransformerEncoder(l.nn.TransformerEncoderLayer(4, 2, 8, dropout=0.0), 2,
                                                 l.nn.LayerNorm(4), enable_nested_tensor=False),
               normal(5, 2, 4), kwargs=lambda rng: {"mask": _causal(5)}),
    ModuleInfo("TransformerDecoder",
               lambda l: l.nn.TransformerDecoder(l.nn.TransformerDecoderLayer(4, 2, 8, dropout=0.0), 2),
               lambda rng: (rng.standard_normal((3, 2, 4)), rng.standard_normal((5, 2, 4))),
               kwargs=lambda rng: {"tgt_mask": _causal(3)}),
    ModuleInfo("Transformer",
               lambda l: l.nn.Transformer(d_model=4, nhead=2, num_encoder_layers=2, num_decoder_layers=1,
                                          dim_feedforward=8, dropout=0.0),
               lambda rng: (rng.standard_normal((5, 2, 4)), rng.standard_normal((3, 2, 4))),
               kwargs=lambda rng: {"tgt_mask": _causal(3), "src_key_padding_mask": _padding(2, 5)}),
    ModuleInfo("Transformer-batch_first-norm_first",
               lambda l: l.nn.Transformer(d_model=4, nhead=2, num_encoder_layers=1, num_decoder_layers=1,
                                          dim_feedforward=8, dropout=0.0, batch_first=True, norm_first=True),
               lambda rng: (rng.standard_normal((2, 5, 4)), rng.standard_normal((2, 3, 4)))),
]

"""Attention beyond the op and module tables: dropout inside attention draws torch's mask, default
initialisation after manual_seed equals torch's, and a word-language-model program that subclasses
nn.Transformer at import time (pytorch/examples, word_language_model/model.py) trains with the same
losses as torch, dropout included."""
import math
import warnings

import numpy as np
import pytest
import torch
from torch.nn.attention import SDPBackend, sdpa_kernel

import minigrad


def test_sdpa_dropout_draws_torchs_mask():
    rng = np.random.default_rng(0)
    q, k, v = (rng.standard_normal((2, 3, 4, 5)) for _ in range(3))
    outs = []
    for lib in (minigrad, torch):
        lib.manual_seed(7)
        args = [lib.tensor(a, requires_grad=True) for a in (q, k, v)]
        with sdpa_kernel(SDPBackend.MATH) if lib is torch else warnings.catch_warnings():
            out = lib.nn.functional.scaled_dot_product_attention(*args, dropout_p=0.3, is_causal=True)
        out.sum().backward()
        outs.append([out.detach().numpy()] + [a.grad.numpy() for a in args])
    for a, b in zip(*outs):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_fully_masked_rows_give_zeros_and_zero_gradients_as_torch():
    rng = np.random.default_rng(1)
    q, k, v = (rng.standard_normal((3, 4)) for _ in range(3))
    mask = np.ones((3, 3), dtype=bool)
    mask[1] = False
    outs = []
    for lib in (minigrad, torch):
        args = [lib.tensor(a[:, :3] if i < 2 else a, requires_grad=True) for i, a in enumerate((q, k, v))]
        out = lib.nn.functional.scaled_dot_product_attention(*args, attn_mask=lib.tensor(mask))
        out.sum().backward()
        outs.append([out.detach().numpy()] + [a.grad.numpy() for a in args])
    assert np.all(outs[0][0][1] == 0)
    for a, b in zip(*outs):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("build", [
    lambda l: l.nn.MultiheadAttention(8, 2, add_bias_kv=True, kdim=3, vdim=5),
    lambda l: l.nn.TransformerEncoderLayer(8, 2, 16),
    lambda l: l.nn.TransformerDecoderLayer(8, 4, 16, bias=False),
    lambda l: l.nn.Transformer(8, 2, 2, 1, 16)], ids=["mha", "encoder-layer", "decoder-layer", "transformer"])
def test_default_init_equals_torch_after_the_same_seed(build):
    states = []
    for lib in (minigrad, torch):
        lib.manual_seed(42)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            states.append(build(lib).state_dict())
    assert list(states[0]) == list(states[1])
    for key in states[0]:
        np.testing.assert_array_equal(states[0][key].numpy(), states[1][key].numpy(), err_msg=key)


def test_transformer_errors_and_square_subsequent_mask():
    for lib in (minigrad, torch):
        np.testing.assert_array_equal(lib.nn.Transformer.generate_square_subsequent_mask(4).numpy(),
                                      np.triu(np.full((4, 4), -np.inf, np.float32), 1))
        model = lib.nn.Transformer(4, 2, 1, 1, 8)
        with pytest.raises(RuntimeError, match="the batch number of src and tgt must be equal"):
            model(lib.zeros(3, 2, 4), lib.zeros(3, 1, 4))
        with pytest.raises(RuntimeError, match="the feature number of src and tgt must be equal to d_model"):
            model(lib.zeros(3, 2, 4), lib.zeros(3, 2, 5))
        with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
            lib.nn.TransformerEncoderLayer(4, 2, activation="tanh")
        with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
            lib.nn.MultiheadAttention(5, 2)
        with pytest.raises(ValueError, match="embed_dim and num_heads must be greater than 0"):
            lib.nn.MultiheadAttention(0, 2)
        with pytest.warns(UserWarning, match="enable_nested_tensor is True, but self.use_nested_tensor is False "
                                             "because encoder_layer.self_attn.num_heads is odd"):
            lib.nn.TransformerEncoder(lib.nn.TransformerEncoderLayer(3, 1, batch_first=True), 1)


def _word_language_model(torch, nn, F):
    """pytorch/examples word_language_model/model.py (commit 1bef748), the Transformer model, with
    only ``torch`` passed in."""
    class PositionalEncoding(nn.Module):
        def __init__(self, d_model, dropout=0.1, max_len=5000):
            super(PositionalEncoding, self).__init__()
            self.dropout = nn.Dropout(p=dropout)
            pe = torch.zeros(max_len, d_model)
            position = torch.arange(0, max_len, dtype=torch.float).unsqueeze(1)
            div_term = torch.exp(torch.arange(0, d_model, 2).float() * (-math.log(10000.0) / d_model))
            pe[:, 0::2] = torch.sin(position * div_term)
            pe[:, 1::2] = torch.cos(position * div_term)
            pe = pe.unsqueeze(0).transpose(0, 1)
            self.register_buffer('pe', pe)

        def forward(self, x):
            x = x + self.pe[:x.size(0), :]
            return self.dropout(x)

    class TransformerModel(nn.Transformer):
        def __init__(self, ntoken, ninp, nhead, nhid, nlayers, dropout=0.5):
            super(TransformerModel, self).__init__(d_model=ninp, nhead=nhead, dim_feedforward=nhid,
                                                   num_encoder_layers=nlayers)
            self.model_type = 'Transformer'
            self.src_mask = None
            self.pos_encoder = PositionalEncoding(ninp, dropout)
            self.input_emb = nn.Embedding(ntoken, ninp)
            self.ninp = ninp
            self.decoder = nn.Linear(ninp, ntoken)
            self.init_weights()

        def _generate_square_subsequent_mask(self, sz):
            return torch.log(torch.tril(torch.ones(sz, sz)))

        def init_weights(self):
            initrange = 0.1
            nn.init.uniform_(self.input_emb.weight, -initrange, initrange)
            nn.init.zeros_(self.decoder.bias)
            nn.init.uniform_(self.decoder.weight, -initrange, initrange)

        def forward(self, src, has_mask=True):
            if has_mask:
                device = src.device
                if self.src_mask is None or self.src_mask.size(0) != len(src):
                    mask = self._generate_square_subsequent_mask(len(src)).to(device)
                    self.src_mask = mask
            else:
                self.src_mask = None
            src = self.input_emb(src) * math.sqrt(self.ninp)
            src = self.pos_encoder(src)
            output = self.encoder(src, mask=self.src_mask)
            output = self.decoder(output)
            return F.log_softmax(output, dim=-1)

    return TransformerModel


def test_word_language_model_trains_as_torch():
    """Same seed, same batches: the same initial weights and the same training losses, with
    dropout 0.2 active (minigrad draws torch's dropout masks)."""
    data = np.random.default_rng(0).integers(0, 20, (9, 2))
    losses = []
    for lib in (minigrad, torch):
        lib.manual_seed(1111)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = _word_language_model(lib, lib.nn, lib.nn.functional)(20, 8, 2, 16, 2, dropout=0.2)
        criterion = lib.nn.NLLLoss()
        run = []
        for step in range(3):
            model.train()
            model.zero_grad()
            source, targets = lib.tensor(data[:-1]), lib.tensor(data[1:]).reshape(-1)
            with sdpa_kernel(SDPBackend.MATH) if lib is torch else warnings.catch_warnings():
                output = model(source)
            loss = criterion(output.view(-1, 20), targets)
            loss.backward()
            lib.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
            for p in model.parameters():
                p.data.add_(p.grad, alpha=-20)
            run.append(loss.item())
        model.eval()
        with lib.no_grad():
            run.append(criterion(model(lib.tensor(data[:-1])).view(-1, 20), lib.tensor(data[1:]).reshape(-1)).item())
        losses.append(run)
    np.testing.assert_allclose(losses[0], losses[1], rtol=2e-5)

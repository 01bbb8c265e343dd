"""Module table: 3-d and transposed convolutions, the extra pooling layers, the dropouts and the margin,
embedding and likelihood losses (targets never require grad)."""
import numpy as np

from . import ModuleInfo
from ._util import normal


def _signs(rng, shape):
    return np.where(rng.random(shape) < 0.5, -1.0, 1.0)


def _loss(name, build, inputs, **kw):
    return ModuleInfo(name, build, inputs, grad_inputs=kw.pop("grad_inputs", (0,)), **kw)


_W = np.linspace(0.5, 2.0, 5)

LOSSES = [
    _loss("MarginRankingLoss", lambda l: l.nn.MarginRankingLoss(margin=0.3),
          lambda rng: (rng.standard_normal(6), rng.standard_normal(6), _signs(rng, 6)), grad_inputs=(0, 1)),
    _loss("MarginRankingLoss-sum", lambda l: l.nn.MarginRankingLoss(reduction="sum"),
          lambda rng: (rng.standard_normal((2, 3)), rng.standard_normal((2, 3)), _signs(rng, (2, 3))),
          grad_inputs=(0, 1)),
    _loss("HingeEmbeddingLoss", lambda l: l.nn.HingeEmbeddingLoss(),
          lambda rng: (rng.standard_normal((3, 4)), _signs(rng, (3, 4)))),
    _loss("HingeEmbeddingLoss-none", lambda l: l.nn.HingeEmbeddingLoss(margin=0.5, reduction="none"),
          lambda rng: (rng.standard_normal(5), _signs(rng, 5))),
    _loss("SoftMarginLoss", lambda l: l.nn.SoftMarginLoss(), lambda rng: (rng.standard_normal((3, 4)),
                                                                          _signs(rng, (3, 4)))),
    _loss("SoftMarginLoss-none", lambda l: l.nn.SoftMarginLoss(reduction="none"),
          lambda rng: (rng.standard_normal(4), _signs(rng, 4))),
    _loss("MultiLabelSoftMarginLoss", lambda l: l.nn.MultiLabelSoftMarginLoss(),
          lambda rng: (rng.standard_normal((4, 5)), (rng.random((4, 5)) < 0.5).astype(float))),
    _loss("MultiLabelSoftMarginLoss-weight", lambda l: l.nn.MultiLabelSoftMarginLoss(weight=l.tensor(_W),
                                                                                      reduction="none"),
          lambda rng: (rng.standard_normal((4, 5)), (rng.random((4, 5)) < 0.5).astype(float))),
    _loss("MultiMarginLoss", lambda l: l.nn.MultiMarginLoss(),
          lambda rng: (rng.standard_normal((4, 5)), rng.integers(0, 5, 4))),
    _loss("MultiMarginLoss-p2-weight", lambda l: l.nn.MultiMarginLoss(p=2, margin=0.5, weight=l.tensor(_W)),
          lambda rng: (rng.standard_normal((4, 5)), rng.integers(0, 5, 4))),
    _loss("MultiMarginLoss-none", lambda l: l.nn.MultiMarginLoss(reduction="none"),
          lambda rng: (rng.standard_normal((4, 5)), rng.integers(0, 5, 4))),
    _loss("MultiLabelMarginLoss", lambda l: l.nn.MultiLabelMarginLoss(),
          lambda rng: (rng.standard_normal((3, 4)), np.array([[3, 0, -1, 1], [0, 1, 2, 3], [1, -1, 0, 0]]))),
    _loss("MultiLabelMarginLoss-none", lambda l: l.nn.MultiLabelMarginLoss(reduction="none"),
          lambda rng: (rng.standard_normal(4), np.array([2, 1, -1, 0]))),
    _loss("TripletMarginLoss", lambda l: l.nn.TripletMarginLoss(),
          lambda rng: tuple(rng.standard_normal((4, 3)) for _ in range(3)), grad_inputs=(0, 1, 2)),
    _loss("TripletMarginLoss-p1-swap", lambda l: l.nn.TripletMarginLoss(margin=0.5, p=1, swap=True, reduction="sum"),
          lambda rng: tuple(rng.standard_normal((4, 3)) for _ in range(3)), grad_inputs=(0, 1, 2)),
    _loss("TripletMarginWithDistanceLoss", lambda l: l.nn.TripletMarginWithDistanceLoss(),
          lambda rng: tuple(rng.standard_normal((4, 3)) for _ in range(3)), grad_inputs=(0, 1, 2)),
    _loss("TripletMarginWithDistanceLoss-custom", lambda l: l.nn.TripletMarginWithDistanceLoss(
        distance_function=lambda a, b: ((a - b) ** 2).sum(-1), swap=True, reduction="none"),
          lambda rng: tuple(rng.standard_normal((4, 3)) for _ in range(3)), grad_inputs=(0, 1, 2)),
    _loss("CosineEmbeddingLoss", lambda l: l.nn.CosineEmbeddingLoss(margin=0.2),
          lambda rng: (rng.standard_normal((4, 3)), rng.standard_normal((4, 3)), _signs(rng, 4).astype(np.int64)),
          grad_inputs=(0, 1)),
    _loss("GaussianNLLLoss", lambda l: l.nn.GaussianNLLLoss(),
          lambda rng: (rng.standard_normal((4, 3)), rng.standard_normal((4, 3)), rng.uniform(0.2, 2, (4, 3))),
          grad_inputs=(0, 2)),
    _loss("GaussianNLLLoss-full-homoscedastic", lambda l: l.nn.GaussianNLLLoss(full=True, reduction="sum"),
          lambda rng: (rng.standard_normal((4, 3)), rng.standard_normal((4, 3)), rng.uniform(0.2, 2, 4)),
          grad_inputs=(0, 2)),
    _loss("CTCLoss", lambda l: l.nn.CTCLoss(),
          lambda rng: (np.log(rng.dirichlet(np.ones(4), (6, 2))), np.array([[1, 2, 2], [3, 1, 0]]), np.array([6, 5]),
                       np.array([3, 2]))),
    _loss("CTCLoss-none-zero_infinity", lambda l: l.nn.CTCLoss(blank=3, reduction="none", zero_infinity=True),
          lambda rng: (np.log(rng.dirichlet(np.ones(4), (4, 2))), np.array([0, 0, 0, 1, 2]), np.array([4, 4]),
                       np.array([3, 2]))),
    _loss("AdaptiveLogSoftmaxWithLoss", lambda l: l.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3, 6], div_value=2.0),
          lambda rng: (rng.standard_normal((6, 8)), np.array([0, 4, 7, 9, 2, 5]))),
    _loss("AdaptiveLogSoftmaxWithLoss-head-bias-unbatched",
          lambda l: l.nn.AdaptiveLogSoftmaxWithLoss(6, 7, [2], head_bias=True),
          lambda rng: (rng.standard_normal(6), np.array(5))),
    _loss("PoissonNLLLoss", lambda l: l.nn.PoissonNLLLoss(),
          lambda rng: (rng.standard_normal((4, 3)), rng.poisson(2, (4, 3)).astype(float))),
    _loss("PoissonNLLLoss-full-rate", lambda l: l.nn.PoissonNLLLoss(log_input=False, full=True, reduction="none"),
          lambda rng: (rng.uniform(0.2, 3, (4, 3)), rng.poisson(2, (4, 3)).astype(float))),
]

DROPOUTS = [
    ModuleInfo("Dropout1d", lambda l: l.nn.Dropout1d(0.3), normal(2, 4, 5), random_in_train=True),
    ModuleInfo("Dropout1d-unbatched", lambda l: l.nn.Dropout1d(0.5), normal(4, 5), random_in_train=True),
    ModuleInfo("Dropout2d", lambda l: l.nn.Dropout2d(0.3), normal(2, 4, 3, 3), random_in_train=True),
    ModuleInfo("Dropout3d", lambda l: l.nn.Dropout3d(0.3), normal(2, 3, 2, 2, 2), random_in_train=True),
    ModuleInfo("Dropout3d-unbatched", lambda l: l.nn.Dropout3d(0.6), normal(3, 2, 2, 2), random_in_train=True),
    ModuleInfo("AlphaDropout", lambda l: l.nn.AlphaDropout(0.2), normal(4, 6), random_in_train=True),
    ModuleInfo("FeatureAlphaDropout", lambda l: l.nn.FeatureAlphaDropout(0.2), normal(2, 3, 4), random_in_train=True),
]

def _distinct(*shape):
    """Inputs with distinct values (a shuffled grid): max pools without ties."""
    def draw(rng):
        n = int(np.prod(shape))
        return ((rng.permutation(n) - n / 2) * 0.125).reshape(shape),
    return draw


def _unpool_inputs(nd, shape, kernel, stride=None):
    """(pooled values, their indices) from torch's max pool of distinct values, plus output_size."""
    def draw(rng):
        import torch
        n = int(np.prod(shape))
        x = torch.tensor(((rng.permutation(n) - n / 2) * 0.125).reshape(shape))
        y, idx = getattr(torch.nn.functional, f"max_pool{nd}d")(x, kernel, stride, return_indices=True)
        return rng.standard_normal(tuple(y.shape)), idx.numpy(), list(shape[-nd:])
    return draw


CONV = [
    ModuleInfo("Conv3d", lambda l: l.nn.Conv3d(2, 4, 3, stride=2, padding=1), normal(2, 2, 5, 6, 5),
               atol={"float32": 1e-5}),
    ModuleInfo("Conv3d-groups-dilated", lambda l: l.nn.Conv3d(4, 2, (2, 3, 1), dilation=(2, 1, 1), groups=2, bias=False),
               normal(1, 4, 5, 4, 3), atol={"float32": 1e-5}),
    ModuleInfo("Conv3d-same-reflect", lambda l: l.nn.Conv3d(2, 3, 3, padding="same", padding_mode="reflect"),
               normal(1, 2, 4, 4, 4), atol={"float32": 1e-5}),
    ModuleInfo("Conv3d-unbatched", lambda l: l.nn.Conv3d(2, 3, 2), normal(2, 3, 3, 3), atol={"float32": 1e-5}),
    ModuleInfo("ConvTranspose1d", lambda l: l.nn.ConvTranspose1d(3, 2, 3, stride=2, padding=1, output_padding=1),
               normal(2, 3, 5)),
    ModuleInfo("ConvTranspose1d-groups", lambda l: l.nn.ConvTranspose1d(4, 6, 2, groups=2, dilation=2), normal(4, 6)),
    ModuleInfo("ConvTranspose3d", lambda l: l.nn.ConvTranspose3d(3, 2, 3, stride=2, padding=1, output_padding=1),
               normal(2, 3, 3, 2, 3), atol={"float32": 1e-5}),
    ModuleInfo("ConvTranspose3d-groups", lambda l: l.nn.ConvTranspose3d(4, 2, (2, 1, 2), groups=2, bias=False),
               normal(4, 2, 3, 2), atol={"float32": 1e-5}),
]

POOLING = [
    ModuleInfo("MaxPool3d", lambda l: l.nn.MaxPool3d(2), _distinct(2, 2, 4, 4, 5)),
    ModuleInfo("MaxPool3d-padded-ceil", lambda l: l.nn.MaxPool3d(3, 2, 1, ceil_mode=True), _distinct(1, 2, 5, 4, 6)),
    ModuleInfo("MaxPool3d-indices", lambda l: l.nn.MaxPool3d((2, 1, 2), return_indices=True), _distinct(2, 4, 3, 4)),
    ModuleInfo("AvgPool1d", lambda l: l.nn.AvgPool1d(3, 2, 1), normal(2, 3, 8)),
    ModuleInfo("AvgPool3d", lambda l: l.nn.AvgPool3d(2), normal(2, 2, 4, 4, 5)),
    ModuleInfo("AvgPool3d-padded", lambda l: l.nn.AvgPool3d(3, 2, 1, ceil_mode=True, count_include_pad=False),
               normal(1, 2, 5, 4, 6)),
    ModuleInfo("AvgPool3d-divisor", lambda l: l.nn.AvgPool3d((2, 2, 1), divisor_override=3), normal(2, 4, 4, 3)),
    ModuleInfo("AdaptiveAvgPool1d", lambda l: l.nn.AdaptiveAvgPool1d(3), normal(2, 3, 8)),
    ModuleInfo("AdaptiveAvgPool3d", lambda l: l.nn.AdaptiveAvgPool3d((2, 3, None)), normal(2, 2, 5, 7, 3)),
    ModuleInfo("AdaptiveAvgPool3d-global", lambda l: l.nn.AdaptiveAvgPool3d(1), normal(2, 2, 3, 3, 3)),
    ModuleInfo("AdaptiveMaxPool1d", lambda l: l.nn.AdaptiveMaxPool1d(3), _distinct(2, 3, 8)),
    ModuleInfo("AdaptiveMaxPool2d", lambda l: l.nn.AdaptiveMaxPool2d((3, 2), return_indices=True), _distinct(2, 2, 7, 5)),
    ModuleInfo("AdaptiveMaxPool3d", lambda l: l.nn.AdaptiveMaxPool3d((2, 3, 2)), _distinct(2, 2, 5, 7, 3)),
    ModuleInfo("MaxUnpool1d", lambda l: l.nn.MaxUnpool1d(2), _unpool_inputs(1, (2, 3, 8), 2), grad_inputs=(0,)),
    ModuleInfo("MaxUnpool2d", lambda l: l.nn.MaxUnpool2d(2, stride=2), _unpool_inputs(2, (2, 3, 6, 5), 2),
               grad_inputs=(0,)),
    ModuleInfo("MaxUnpool3d", lambda l: l.nn.MaxUnpool3d((2, 2, 1)), _unpool_inputs(3, (1, 2, 4, 4, 3), (2, 2, 1)),
               grad_inputs=(0,)),
    ModuleInfo("LPPool1d", lambda l: l.nn.LPPool1d(2, 3, stride=2), lambda rng: (rng.uniform(0.2, 2, (2, 3, 9)),)),
    ModuleInfo("LPPool2d", lambda l: l.nn.LPPool2d(1.5, (2, 3)), lambda rng: (rng.uniform(0.2, 2, (2, 3, 6, 7)),)),
    ModuleInfo("LPPool3d", lambda l: l.nn.LPPool3d(3, 2, ceil_mode=True),
               lambda rng: (rng.uniform(0.2, 2, (1, 2, 5, 4, 5)),)),
    ModuleInfo("FractionalMaxPool2d", lambda l: l.nn.FractionalMaxPool2d(2, output_size=(4, 3)), _distinct(2, 3, 9, 7),
               random_in_train=True, modes=("train",), notes="random windows in eval mode too, as torch"),
    ModuleInfo("FractionalMaxPool2d-samples", lambda l: l.nn.FractionalMaxPool2d(
        3, output_ratio=(0.5, 0.6), _random_samples=l.tensor(np.linspace(0.1, 0.9, 12).reshape(2, 3, 2))),
               _distinct(2, 3, 9, 8), notes="given samples: exact"),
    ModuleInfo("FractionalMaxPool3d-samples", lambda l: l.nn.FractionalMaxPool3d(
        2, output_size=2, return_indices=True, _random_samples=l.tensor(np.linspace(0.1, 0.9, 6).reshape(1, 2, 3))),
               _distinct(2, 5, 4, 6)),
]

BAGS = [
    ModuleInfo("EmbeddingBag", lambda l: l.nn.EmbeddingBag(7, 3), lambda rng: (rng.integers(0, 7, (3, 4)),)),
    ModuleInfo("EmbeddingBag-sum-offsets", lambda l: l.nn.EmbeddingBag(7, 3, mode="sum", padding_idx=2),
               lambda rng: (np.array([2, 0, 6, 2, 1, 5, 5]), np.array([0, 3, 3]))),
    ModuleInfo("EmbeddingBag-max-last-offset", lambda l: l.nn.EmbeddingBag(7, 3, mode="max", include_last_offset=True),
               lambda rng: (np.array([4, 0, 6, 3, 1, 5]), np.array([0, 2, 2, 6]))),
    ModuleInfo("EmbeddingBag-per-sample-weights", lambda l: l.nn.EmbeddingBag(7, 3, mode="sum"),
               lambda rng: (rng.integers(0, 7, 6), np.array([0, 4]), rng.standard_normal(6))),
]

MODULES = LOSSES + DROPOUTS + CONV + POOLING + BAGS

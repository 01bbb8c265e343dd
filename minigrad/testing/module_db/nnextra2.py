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

MODULES = LOSSES + DROPOUTS

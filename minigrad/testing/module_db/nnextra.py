"""Module table: normalisation (group, instance, local response, RMS), resampling, shuffles,
activations with parameters or randomness, distances, Bilinear, padding, parameter containers."""

from . import ModuleInfo
from ._util import away_from_kinks, normal


def _m(name, *args, **kwargs):
    return lambda l: getattr(l.nn, name)(*args, **kwargs)


def _pair(*shape):
    """Two inputs of this shape, far enough apart that no difference is near 0."""
    def draw(rng):
        x = rng.standard_normal(shape)
        return x, x + rng.choice([-1.0, 1.0], shape) * rng.uniform(0.3, 1.0, shape)
    return draw


def _parameter_list(l):
    class Scaled(l.nn.Module):
        """y = sum_i p_i * x, with its factors in a ParameterList."""

        def __init__(self):
            super().__init__()
            self.factors = l.nn.ParameterList([l.nn.Parameter(l.randn(3)), l.randn(3)])

        def forward(self, x):
            out = x * 0
            for p in self.factors:
                out = out + p * x
            return out
    return Scaled()


def _parameter_dict(l):
    class Affine(l.nn.Module):
        """y = x * scale + shift, both in a ParameterDict."""

        def __init__(self):
            super().__init__()
            self.params = l.nn.ParameterDict({"scale": l.randn(4), "shift": l.nn.Parameter(l.randn(4))})

        def forward(self, x):
            return x * self.params["scale"] + self.params["shift"]
    return Affine()


_PADS = [(name, dims) for dims in (1, 2, 3) for name in ("ZeroPad", "ConstantPad", "ReflectionPad", "ReplicationPad",
                                                          "CircularPad")]


def _pad_records():
    records = []
    for name, dims in _PADS:
        args = (2, 0.5) if name == "ConstantPad" else (2,)
        batched = (2, 3) + (4,) * dims
        records.append(ModuleInfo(f"{name}{dims}d", _m(f"{name}{dims}d", *args), normal(*batched)))
        uneven = (1, 2, 0, 3, 2, 1)[:2 * dims]   # below the size 4 (reflect needs that; circular wraps once)
        extra = (uneven, 1.5) if name == "ConstantPad" else (uneven,)
        records.append(ModuleInfo(f"{name}{dims}d-uneven-unbatched", _m(f"{name}{dims}d", *extra),
                                  normal(*((3,) + (4,) * dims))))
    return records


MODULES = [
    ModuleInfo("GroupNorm", _m("GroupNorm", 2, 4), normal(3, 4, 5)),
    ModuleInfo("GroupNorm-noaffine-2d", _m("GroupNorm", 3, 6, eps=1e-3, affine=False), normal(2, 6, 3, 3)),
    ModuleInfo("GroupNorm-one-group", _m("GroupNorm", 1, 3), normal(2, 3, 4)),
    ModuleInfo("InstanceNorm1d", _m("InstanceNorm1d", 3), normal(2, 3, 6)),
    ModuleInfo("InstanceNorm1d-unbatched", _m("InstanceNorm1d", 3, affine=True), normal(3, 6)),
    ModuleInfo("InstanceNorm2d-affine", _m("InstanceNorm2d", 3, affine=True), normal(2, 3, 4, 4)),
    ModuleInfo("InstanceNorm2d-tracked", _m("InstanceNorm2d", 3, affine=True, track_running_stats=True),
               normal(2, 3, 4, 5)),
    ModuleInfo("InstanceNorm3d-tracked-cumulative", _m("InstanceNorm3d", 2, momentum=None, track_running_stats=True),
               normal(2, 2, 3, 3, 3)),
    ModuleInfo("LocalResponseNorm", _m("LocalResponseNorm", 3), normal(2, 5, 4)),
    ModuleInfo("LocalResponseNorm-2d", _m("LocalResponseNorm", 2, alpha=0.5, beta=1.5, k=2.0), normal(2, 5, 3, 3)),
    ModuleInfo("RMSNorm", _m("RMSNorm", 5), normal(3, 5)),
    ModuleInfo("RMSNorm-2d-eps", _m("RMSNorm", (3, 4), eps=1e-3), normal(2, 3, 4)),
    ModuleInfo("RMSNorm-noaffine", _m("RMSNorm", [4], elementwise_affine=False), normal(2, 4)),
    ModuleInfo("Upsample-nearest", _m("Upsample", scale_factor=2), normal(2, 3, 4, 4)),
    ModuleInfo("Upsample-bilinear", _m("Upsample", size=(5, 7), mode="bilinear"), normal(2, 2, 3, 4)),
    ModuleInfo("Upsample-bicubic-aligned", _m("Upsample", scale_factor=1.5, mode="bicubic", align_corners=True),
               normal(1, 2, 4, 4)),
    ModuleInfo("Upsample-linear", _m("Upsample", scale_factor=2.5, mode="linear", recompute_scale_factor=True),
               normal(2, 2, 5)),
    ModuleInfo("Upsample-trilinear", _m("Upsample", size=3, mode="trilinear"), normal(1, 2, 2, 4, 3)),
    ModuleInfo("Upsample-nearest-exact", _m("Upsample", scale_factor=0.6, mode="nearest-exact"), normal(2, 2, 7, 6)),
    ModuleInfo("UpsamplingNearest2d", _m("UpsamplingNearest2d", scale_factor=3), normal(1, 2, 3, 3)),
    ModuleInfo("UpsamplingBilinear2d", _m("UpsamplingBilinear2d", size=(6, 5)), normal(1, 2, 3, 3)),
    ModuleInfo("PixelShuffle", _m("PixelShuffle", 2), normal(2, 8, 3, 3)),
    ModuleInfo("PixelUnshuffle", _m("PixelUnshuffle", 3), normal(2, 1, 6, 3)),
    ModuleInfo("ChannelShuffle", _m("ChannelShuffle", 3), normal(2, 6, 2, 2)),
    ModuleInfo("PReLU", _m("PReLU"), away_from_kinks(3, 7)),
    ModuleInfo("PReLU-channels", _m("PReLU", 3, init=0.1), away_from_kinks(2, 3, 4)),
    ModuleInfo("RReLU", _m("RReLU"), away_from_kinks(3, 7), random_in_train=True),
    ModuleInfo("RReLU-bounds", _m("RReLU", 0.2, 0.4), away_from_kinks(3, 7), random_in_train=True),
    ModuleInfo("GLU", _m("GLU"), normal(3, 6)),
    ModuleInfo("GLU-dim0", _m("GLU", 0), normal(4, 3)),
    ModuleInfo("Hardshrink", _m("Hardshrink"), away_from_kinks(3, 7, low=0.55, high=4.0)),
    ModuleInfo("Hardshrink-lambd", _m("Hardshrink", 1.0), normal(3, 7)),
    ModuleInfo("Softshrink", _m("Softshrink"), normal(3, 7)),
    ModuleInfo("Softshrink-lambd", _m("Softshrink", 0.25), normal(3, 7)),
    ModuleInfo("Tanhshrink", _m("Tanhshrink"), normal(3, 7)),
    ModuleInfo("Softmin", _m("Softmin", dim=1), normal(3, 7)),
    ModuleInfo("Softmax2d", _m("Softmax2d"), normal(2, 3, 4, 4)),
    ModuleInfo("Softmax2d-unbatched", _m("Softmax2d"), normal(3, 4, 4)),
    ModuleInfo("Threshold", _m("Threshold", 0.1, 20.0), away_from_kinks(3, 7)),
    ModuleInfo("Bilinear", _m("Bilinear", 3, 4, 5), lambda rng: (rng.standard_normal((6, 3)),
                                                                 rng.standard_normal((6, 4)))),
    ModuleInfo("Bilinear-nobias-3d", _m("Bilinear", 2, 3, 4, bias=False),
               lambda rng: (rng.standard_normal((2, 5, 2)), rng.standard_normal((2, 5, 3)))),
    ModuleInfo("CosineSimilarity", _m("CosineSimilarity"), _pair(4, 5)),
    ModuleInfo("CosineSimilarity-dim0", _m("CosineSimilarity", dim=0, eps=1e-6), _pair(4, 5)),
    ModuleInfo("PairwiseDistance", _m("PairwiseDistance"), _pair(4, 5)),
    ModuleInfo("PairwiseDistance-p1-keepdim", _m("PairwiseDistance", p=1.0, keepdim=True), _pair(4, 5)),
    ModuleInfo("ParameterList", _parameter_list, normal(2, 3)),
    ModuleInfo("ParameterDict", _parameter_dict, normal(3, 4)),
    # the layer patterns of the official fast-neural-style and super-resolution examples
    ModuleInfo("StyleTransferBlock", lambda l: l.nn.Sequential(
        l.nn.Upsample(scale_factor=2, mode="nearest"), l.nn.ReflectionPad2d(1), l.nn.Conv2d(3, 4, 3),
        l.nn.InstanceNorm2d(4, affine=True), l.nn.ReLU()), normal(2, 3, 4, 4), rtol={"float32": 1e-4},
        atol={"float32": 1e-5}),
    ModuleInfo("SuperResolutionTail", lambda l: l.nn.Sequential(
        l.nn.Conv2d(2, 4 * 3, 3, padding=1), l.nn.PixelShuffle(2), l.nn.Tanh()), normal(2, 2, 3, 3)),
] + _pad_records()

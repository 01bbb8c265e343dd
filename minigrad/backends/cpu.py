"""torch.backends.cpu."""


def get_cpu_capability() -> str:
    """The SIMD level torch's CPU kernels were chosen for; minigrad's are NumPy's and Numba's, which
    pick their own at run time, so it reports the baseline."""
    return "DEFAULT"

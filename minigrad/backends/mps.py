"""torch.backends.mps: Apple's Metal backend, which minigrad does not have (as torch on Linux)."""


def is_available() -> bool:
    return False


def is_built() -> bool:
    return False

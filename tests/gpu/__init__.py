"""GPU tests. This folder must not be called ``tests/cuda``: pytest puts ``tests/`` on sys.path, and
a package named ``cuda`` there hides NVIDIA's ``cuda`` namespace package (cuda.bindings), which
numba-cuda and CuPy import, so that ``minigrad.cuda.is_available()`` turns False inside pytest."""

"""Raw array kernels, no autograd: the arithmetic inside the differentiable operations.

Each module is written once against ``xp`` (NumPy or CuPy) where the two agree; a CPU twin and a
CUDA twin exist only where they must differ. The differentiable wrappers live in
:mod:`minigan.functional`.
"""

"""Run a CUDA kernel source on the CPU: the same ``.cu`` text, compiled by the system C++ compiler.

``EmulatedModule(code)`` does for a CPU what ``cupy.RawModule(code=...)`` does for a GPU:

1. It puts ``emulation.h`` in front of the source. That header defines ``__global__``,
   ``__device__``, ``dim3``, ``blockIdx``, ``threadIdx``, ``blockDim``, ``gridDim`` and the math
   functions, so the kernel text compiles as plain C++.
2. It finds every ``extern "C" __global__ void name(...)`` and writes a launcher for it:

       extern "C" void emulate_name(const unsigned* launch, const float* x, int n) {
           emulate_launch(launch, [&] { name(x, n); });
       }

   ``emulate_launch`` runs the launch grid as loops: for every block (blockIdx) and every thread
   in it (threadIdx) it sets the built-in variables and calls the kernel once. A launch with
   grid (g,) and block (b,) is g * b calls, one per GPU thread, one after another.
3. It compiles all of that into a shared library, cached under the temporary directory by a hash
   of the source, header and compiler (compiled once per machine, not once per process), and
   loads it with ctypes.

``get_function(name)`` then returns an :class:`EmulatedKernel`, called like ``cupy.RawKernel``:
``kernel(grid, block, args)``. Unlike CuPy it checks every argument against its C parameter,
because the mistakes CuPy lets through silently (a Python float where the kernel takes a
``float``, a float64 array for ``float*``, a non-contiguous array whose strides are ignored) are
the ones this emulation exists to catch on a machine without a GPU.

What it proves: the kernel's index arithmetic, bounds and formulas compute what the NumPy twin
computes, for any launch shape (so grid-stride loops are right). What it cannot: speed, memory
coalescing, behaviour that depends on threads running at once (a race would pass here), and
anything of the driver or of NVRTC at run time; only a GPU shows those.
"""

import ctypes
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

HEADER = Path(__file__).with_name("emulation.h")
# One cache per user: a shared library is code, so never load one that another user could write.
_USER = os.getuid() if hasattr(os, "getuid") else "user"
CACHE_DIR = Path(tempfile.gettempdir()) / f"minigan-cuda-emulation-{_USER}"
COMPILER_FLAGS = ("-std=c++17", "-O2", "-shared", "-fPIC", "-ffp-contract=off")

# C parameter type -> (ctypes type, what a caller must pass for it)
_POINTERS = {"const float*": np.float32, "float*": np.float32,
             "const double*": np.float64, "double*": np.float64}
_SCALARS = {"int": (ctypes.c_int32, np.int32), "long long": (ctypes.c_int64, np.int64),
            "float": (ctypes.c_float, np.float32), "double": (ctypes.c_double, np.float64)}
_KERNEL = re.compile(r'extern\s+"C"\s+__global__\s+void\s+(\w+)\s*\(([^)]*)\)')
_MAX_THREADS_PER_BLOCK = 1024  # every CUDA GPU since 2010; a larger block fails to launch


def _compiler():
    """The C++ compiler to use: $CXX, else the first of c++, g++, clang++ on PATH."""
    if os.environ.get("CXX"):
        return shutil.which(os.environ["CXX"])
    return next(filter(None, map(shutil.which, ("c++", "g++", "clang++"))), None)


def compiler_unavailable_reason():
    """Why kernels cannot be emulated here (no C++ compiler), or ``None`` when they can."""
    if _compiler() is not None:
        return None
    if os.environ.get("CXX"):
        return f"the C++ compiler named by $CXX ({os.environ['CXX']!r}) is not on PATH"
    return "no C++ compiler found (c++, g++ or clang++ on PATH, or one named by $CXX)"


def parse_kernels(code):
    """{name: [(c_type, name), ...]} for every ``extern "C" __global__`` kernel in ``code``."""
    kernels = {}
    for name, params in _KERNEL.findall(code):
        parsed = []
        for param in filter(None, (p.strip() for p in params.split(","))):
            match = re.fullmatch(r"(.*?[\s*])(\w+)", param)
            c_type = match and re.sub(r"\s*\*", "*", " ".join(match.group(1).split()))
            if c_type not in _POINTERS and c_type not in _SCALARS:
                raise ValueError(f"kernel {name}: parameter {param!r} is not 'TYPE name' with a "
                                 f"TYPE the emulation takes: {', '.join([*_POINTERS, *_SCALARS])}")
            parsed.append((c_type, match.group(2)))
        kernels[name] = parsed
    return kernels


def _launcher(name, params):
    """C++ source of ``emulate_<name>``: the kernel called once per thread of a launch."""
    declared = "".join(f", {c_type} {param}" for c_type, param in params)
    passed = ", ".join(param for _, param in params)
    return (f'extern "C" void emulate_{name}(const unsigned* launch{declared}) {{\n'
            f"    emulate_launch(launch, [&] {{ {name}({passed}); }});\n}}\n")


def _build(source):
    """Compile ``source`` into a shared library (cached by its hash) and return its path."""
    compiler = _compiler()
    if compiler is None:
        raise RuntimeError(compiler_unavailable_reason())
    version = subprocess.run([compiler, "--version"], capture_output=True, text=True).stdout
    key = hashlib.sha256("\0".join((compiler, version, *COMPILER_FLAGS, source)).encode())
    library = CACHE_DIR / f"kernels-{key.hexdigest()[:24]}.so"
    if library.exists():
        return library
    CACHE_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
    # Two processes may compile the same source at once: each writes its own temporary file and
    # renames it into place, an atomic step, so nobody ever loads a half-written library.
    with tempfile.TemporaryDirectory(dir=CACHE_DIR) as work:
        cpp, built = Path(work, "kernels.cpp"), Path(work, "kernels.so")
        cpp.write_text(source)
        result = subprocess.run([compiler, *COMPILER_FLAGS, str(cpp), "-o", str(built)],
                                capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"the emulated CUDA source failed to compile:\n{result.stderr}")
        os.replace(built, library)
    return library


class EmulatedModule:
    """The CPU twin of ``cupy.RawModule(code=code)``: every ``extern "C" __global__`` kernel of a
    CUDA source, compiled for the CPU with the launch grid run as loops."""

    def __init__(self, code):
        self.code = code
        self.kernels = parse_kernels(code)
        # #line: the compiler's messages then point into the .cu source, not the combined file
        source = "\n".join([HEADER.read_text(), '#line 1 "kernel.cu"', code,
                            *(_launcher(name, params) for name, params in self.kernels.items())])
        self._library = ctypes.CDLL(str(_build(source)))

    def get_function(self, name):
        if name not in self.kernels:
            raise AttributeError(f"no extern \"C\" __global__ kernel named {name!r} in the source "
                                 f"(kernels: {', '.join(self.kernels) or 'none'})")
        return EmulatedKernel(name, self.kernels[name], getattr(self._library, f"emulate_{name}"))


def _check_launch_shape(kernel, what, shape):
    """A grid or block as a 3-tuple of positive ints, as CuPy accepts them (1 to 3 ints)."""
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    if (not isinstance(shape, tuple) or not 1 <= len(shape) <= 3
            or not all(isinstance(s, (int, np.integer)) and s > 0 for s in shape)):
        raise TypeError(f"{kernel}: {what} must be a tuple of 1 to 3 positive ints, got {shape!r}")
    return tuple(int(s) for s in shape) + (1,) * (3 - len(shape))


class EmulatedKernel:
    """One kernel of an :class:`EmulatedModule`; ``kernel(grid, block, args)`` launches it."""

    def __init__(self, name, params, function):
        self.name = name
        self.params = params  # [(c_type, name), ...] in the order of the C signature
        self._function = function
        function.restype = None
        function.argtypes = [ctypes.POINTER(ctypes.c_uint)] + [
            ctypes.c_void_p if c_type in _POINTERS else _SCALARS[c_type][0]
            for c_type, _ in params]

    def _argument(self, c_type, param, value):
        """``value`` as the ctypes argument for one C parameter, or a TypeError naming it."""
        where = f"kernel {self.name}, parameter {param} ({c_type})"
        if c_type in _POINTERS:
            dtype = np.dtype(_POINTERS[c_type])
            if not (isinstance(value, np.ndarray) and value.dtype == dtype
                    and value.flags.c_contiguous):
                got = (f"a {'non-' * (not value.flags.c_contiguous)}contiguous {value.dtype} array"
                       if isinstance(value, np.ndarray) else type(value).__name__)
                raise TypeError(f"{where} takes a C-contiguous {dtype} array, got {got}")
            if not (c_type.startswith("const") or value.flags.writeable):
                raise TypeError(f"{where} is written by the kernel, got a read-only array")
            return value.ctypes.data
        scalar = _SCALARS[c_type][1]
        if type(value) is not scalar:
            raise TypeError(f"{where} takes numpy.{scalar.__name__}, got "
                            f"{type(value).__name__} {value!r} (CuPy would pass its bytes "
                            f"unconverted)")
        return value

    def __call__(self, grid, block, args):
        grid = _check_launch_shape(self.name, "grid", grid)
        block = _check_launch_shape(self.name, "block", block)
        if block[0] * block[1] * block[2] > _MAX_THREADS_PER_BLOCK:
            raise ValueError(f"{self.name}: a block has at most {_MAX_THREADS_PER_BLOCK} threads, "
                             f"got {block}")
        if not isinstance(args, tuple) or len(args) != len(self.params):
            raise TypeError(f"{self.name}: args must be a tuple of {len(self.params)} values "
                            f"({', '.join(name for _, name in self.params)}), got {args!r:.200}")
        converted = [self._argument(c_type, param, value)
                     for (c_type, param), value in zip(self.params, args)]
        self._function((ctypes.c_uint * 6)(*grid, *block), *converted)

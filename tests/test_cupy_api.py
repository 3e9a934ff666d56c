"""Check 4, "exists in CuPy": every CuPy name that minigan's GPU path reaches exists in the real
CuPy, so that a NumPy-only function (``xp.errstate``, ``xp.einsum_path``...) cannot slip into
code that a CPU-only test run never sends to CuPy.

The test reads the source of minigan, its benchmarks and its tutorials with :mod:`ast` (nothing
is run) and needs the real ``cupy`` wheel to look the names up; it imports without a GPU
(``pip install cupy-cuda12x``), and the test skips, saying so, where it is not installed.

**Which expressions are "the array module".** An expression stands for the array module (NumPy
on the CPU, CuPy on the GPU, so it must work as CuPy) when it is

1. the name ``xp`` (a parameter or a variable), or a name bound by ``import cupy`` /
   ``import cupyx`` (with any ``as``);
2. the attribute ``.xp`` of anything: ``ctx.xp``, ``self.xp``, ``x.xp``, ``outs[0].xp``
   (``Tensor.xp`` and the context of a ``Function``);
3. a call of ``get_array_module(...)``, ``array_module(...)`` or ``cupy_module()``, bare or
   through a module (``backend.get_array_module(x)``);
4. a name assigned (plain ``name = value``, anywhere in the same source file) from one of the
   above or from an attribute chain on one, repeated until nothing new is found:
   ``cp = backend.cupy_module()``, ``_cupy = cupy``, ``runtime = cp.cuda.runtime`` (which
   stands for ``cupy.cuda.runtime``).

For every attribute chain on such an expression, ``M.a.b.c``, the test looks up ``cupy.a``,
then ``.b``, then ``.c`` (so ``xp.lib.stride_tricks.as_strided``, ``xp.add.at``,
``xp.random.default_rng`` are checked to their end); ``getattr(M, "name")`` with a constant name
counts as ``M.name``, and ``from cupy... import name`` as ``cupy....name``.

Not covered: the methods of arrays (``x.sum()``, ``x.transpose()``): which module an array
comes from is not visible in the source. Those are exercised by the cuda test cases (check 3
runs them on a stand-in, a GPU on real CuPy).
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [ROOT / "minigan", ROOT / "benchmarks", ROOT / "tutorials"]  # what may run on a GPU

ARRAY_MODULE_NAMES = {"xp"}
ARRAY_MODULE_FACTORIES = {"get_array_module", "array_module", "cupy_module"}
CUPY_PACKAGES = {"cupy", "cupyx"}


def real_cupy():
    """The installed cupy package, or a skip that says why it cannot be used here."""
    cupy = pytest.importorskip("cupy", reason="check 4 looks names up in the real CuPy: "
                                              "pip install cupy-cuda12x (no GPU needed)")
    origin = Path(getattr(cupy, "__file__", None) or "")
    if ROOT in origin.parents or not hasattr(cupy, "RawModule"):
        pytest.skip(f"`import cupy` gives {origin}, not the installed CuPy package")
    return cupy


def _factory_call(node):
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
    return name in ARRAY_MODULE_FACTORIES


def _module_names(tree):
    """The names that stand for CuPy or a part of it in one source file (rules 1 and 4), each
    mapped to the dotted name it stands for: "cupy", "cupyx.scipy" (``import cupyx.scipy as
    s``), "cupy.cuda.runtime" (``runtime = cupy.cuda.runtime``)."""
    names = dict.fromkeys(ARRAY_MODULE_NAMES, "cupy")
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name.split(".")[0]
                if top in CUPY_PACKAGES:
                    names[alias.asname or top] = alias.name if alias.asname else top
    changed = True
    while changed:  # rule 4, to a fixed point: a = xp; b = a
        changed = False
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and _dotted(node.value, names):
                for target in node.targets:
                    if isinstance(target, ast.Name) and target.id not in names:
                        names[target.id] = _dotted(node.value, names)
                        changed = True
    return names


def _dotted(node, names):
    """The dotted CuPy name ``node`` stands for ("cupy", "cupy.lib.stride_tricks"...), or None
    when it is not the array module or an attribute chain on it (rules 1-4)."""
    if isinstance(node, ast.Name):
        return names.get(node.id)
    if isinstance(node, ast.Attribute):
        if node.attr == "xp":
            return "cupy"
        base = _dotted(node.value, names)
        return None if base is None else f"{base}.{node.attr}"
    if isinstance(node, ast.Call) and _factory_call(node):
        return "cupy"
    return None


def module_references(source, filename="<source>"):
    """Every (dotted CuPy name, line) that ``source`` reaches through the array module."""
    tree = ast.parse(source, filename)
    names = _module_names(tree)
    # only whole chains count: xp.lib.stride_tricks.as_strided, not also xp.lib
    inner = {id(node.value) for node in ast.walk(tree)
             if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and id(node) not in inner and node.attr != "xp":
            dotted = _dotted(node, names)
            if dotted is not None:
                found.append((dotted, node.lineno))
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id == "getattr" and len(node.args) >= 2
              and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str)):
            dotted = _dotted(node.args[0], names)
            if dotted is not None:
                found.append((f"{dotted}.{node.args[1].value}", node.lineno))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in \
                CUPY_PACKAGES:
            found += [(f"{node.module}.{alias.name}", node.lineno) for alias in node.names]
    return found


def resolves(cupy, dotted):
    """True when ``dotted`` ("cupy.a.b", "cupyx.c") names an attribute of the installed CuPy."""
    import importlib

    package, *path = dotted.split(".")
    obj = cupy if package == "cupy" else importlib.import_module(package)
    for i, part in enumerate(path):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            try:  # a submodule that the package does not import eagerly (cupyx.scipy.special)
                obj = importlib.import_module(".".join([package, *path[:i + 1]]))
            except ImportError:
                return False
    return True


def missing_names(cupy, source, filename="<source>"):
    return [f"{filename}:{line}: {name}" for name, line in module_references(source, filename)
            if not resolves(cupy, name)]


def test_every_cupy_name_minigan_reaches_exists():
    cupy = real_cupy()
    missing, checked = [], 0
    for path in sorted(p for folder in SOURCES for p in folder.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        checked += len(module_references(source))
        missing += missing_names(cupy, source, str(path.relative_to(ROOT)))
    assert checked > 50, f"only {checked} references found: the walk is broken"
    assert not missing, "names that CuPy does not have:\n" + "\n".join(missing)


PLANTED = '''
import numpy as np
from minigan import backend
import cupyx.scipy.special as sp
from cupy import busday_count


def f(ctx, x, xp):
    a = xp.exp(x) + ctx.xp.einsum_path(x) + x.xp.lib.stride_tricks.as_strided(x)
    b = backend.get_array_module(x).errstate() + xp.lib.stride_tricks.no_such_view(x)
    cp = backend.cupy_module()
    alias = cp
    runtime = alias.cuda.runtime
    c = alias.RawModule(code="") + runtime.noSuchCall() + sp.erf(x) + sp.nope(x)
    d = getattr(xp, "frompyfunc") + outs[0].xp.add.at + np.busday_offset(x)
    return a, b, c, d
'''


def test_the_rule_finds_planted_numpy_only_names():
    """Each rule of the module docstring at work: the NumPy-only or misspelt names are reported,
    the real CuPy names are not, and ``np.`` (always NumPy) is not looked up."""
    cupy = real_cupy()
    reported = [line.split(": ", 1)[1] for line in missing_names(cupy, PLANTED)]
    assert sorted(reported) == sorted([
        "cupy.busday_count", "cupy.einsum_path", "cupy.errstate",
        "cupy.lib.stride_tricks.no_such_view", "cupy.cuda.runtime.noSuchCall",
        "cupyx.scipy.special.nope", "cupy.frompyfunc"])
    found = {name for name, _ in module_references(PLANTED)}
    assert {"cupy.exp", "cupy.lib.stride_tricks.as_strided", "cupy.RawModule",
            "cupyx.scipy.special.erf", "cupy.add.at"} <= found

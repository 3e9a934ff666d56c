"""The layers of minigan and which may import which (docs/architecture.md, "Layers and the
import rule"), read from the source with ``ast``: every ``import`` and ``from ... import``,
absolute or relative, at the top of a module or inside a function.

    core      backend random tensor inplace autograd functional kernels gradcheck serialization
              _checks cuda
    models    nn optim data, and the package itself (minigan/__init__.py re-exports core, nn, optim)
    gan       gan viz
    commands  cli __main__ exercises

A module of the package imports modules of its own layer and below, never above. Beyond that:
kernels/ is raw array math (it imports only backend and _checks), backend imports nothing of
minigan but _checks, only the command dispatcher (``minigan/__main__.py``) and ``minigan/cli``
import the commands, nothing under minigan/ imports a tutorial, a test or a benchmark, and no
tutorial imports a command. Tests and benchmarks may import anything.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

LAYERS = {
    "core": ("backend", "random", "tensor", "inplace", "autograd", "functional", "kernels",
             "gradcheck", "serialization", "_checks", "cuda"),
    "models": ("nn", "optim", "data", ""),  # "": the package itself, ``import minigan``
    "gan": ("gan", "viz"),
    "commands": ("cli", "__main__", "exercises"),
}
RANK = {part: rank for rank, parts in enumerate(LAYERS.values()) for part in parts}
NAME = {part: layer for layer, parts in LAYERS.items() for part in parts}
COMMANDS = ("cli", "__main__")
DISPATCHERS = ("cli", "__main__")  # the only parts of minigan that may import a command
# Each of these imports only the parts named (and itself).
ONLY = {"kernels": ("backend", "_checks"), "backend": ("_checks",)}


def module_name(path, root):
    """'minigan.gan.dcgan' for root/minigan/gan/dcgan.py, 'minigan.nn' for its __init__.py."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path, root):
    """(line, imported module) for every import in the file ``path``: for ``from X import a``,
    X.a where that is a module or package of the tree, else X; relative imports resolved."""
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module
            for alias in node.names:
                target = f"{source}.{alias.name}"
                is_module = (root.joinpath(*target.split(".")).is_dir()
                             or root.joinpath(*target.split(".")).with_suffix(".py").is_file())
                found.append((node.lineno, target if is_module else source))
    return sorted(found)


def part(module):
    """The part of minigan a module belongs to: 'gan' for minigan.gan.dcgan, '' for minigan;
    None for a module outside minigan."""
    head, _, rest = module.partition(".")
    return rest.split(".")[0] if head == "minigan" else None


def package_imports(root):
    """(where, importer's part, imported module) for every import of the package in root."""
    return [(f"{path.relative_to(root)}:{line}", part(module_name(path, root)), target)
            for path in sorted((root / "minigan").rglob("*.py"))
            for line, target in imports(path, root)]


def outside_names(root):
    """The top-level names a module outside the package could be imported by: the folders
    tutorials, tests, benchmarks and the stems of their files (``_common``, ``conftest``...)."""
    names = {"tutorials", "tests", "benchmarks"}
    for folder in ("tutorials", "tests", "benchmarks"):
        names |= {p.stem for p in (root / folder).rglob("*.py")}
    return names


def violations(root):
    """Every import of the package in ``root`` that breaks the rule, said in words."""
    found = []
    outside = outside_names(root)
    for where, importer, target in package_imports(root):
        imported = part(target)
        if importer not in RANK:
            found.append(f"{where}: minigan.{importer} has no layer (add it to LAYERS and to "
                         "docs/architecture.md)")
        elif imported is None:
            if target.split(".")[0] in outside:
                found.append(f"{where}: the package imports {target}, which is not part of it")
        elif imported not in RANK:
            found.append(f"{where}: imports minigan.{imported}, which has no layer")
        elif RANK[imported] > RANK[importer]:
            found.append(f"{where}: {NAME[importer]} ({importer or 'minigan'}) imports "
                         f"{NAME[imported]} ({target})")
        elif imported in COMMANDS and importer not in DISPATCHERS and imported != importer:
            found.append(f"{where}: imports the command {target}; only minigan/__main__.py "
                         "and minigan/cli do")
        elif importer in ONLY and imported not in ONLY[importer] + (importer,):
            found.append(f"{where}: {importer} imports {target}; it may import only "
                         f"{', '.join(ONLY[importer])}")
    return found


def test_every_module_of_the_package_imports_its_own_layer_and_below():
    assert violations(ROOT) == []


def test_the_checker_finds_every_kind_of_violation(tmp_path):
    """A planted tree: each bad import is found, relative or absolute, inside a function too."""
    files = {
        "minigan/__init__.py": "from .nn import Module\n",
        "minigan/backend.py": "import numpy as np\nfrom . import _checks\n",
        "minigan/_checks.py": "",
        "minigan/kernels/__init__.py": "from .. import backend\n",
        "minigan/kernels/conv.py": "from ..tensor import Tensor\n",
        "minigan/tensor.py": "def f():\n    from .gan import losses\n",
        "minigan/nn/__init__.py": "import minigan.viz\n",
        "minigan/gan/__init__.py": "from minigan import nn, optim, viz\nimport minigan\n",
        "minigan/viz.py": "from . import gan\n",
        "minigan/exercises/__init__.py": "from minigan import cli\nimport tutorials._common\n",
        "minigan/cli/__init__.py": "from ..gan import losses\n",
        "minigan/__main__.py": "from minigan.cli import main\nfrom . import exercises\n",
        "minigan/stray.py": "import numpy\n",
        "minigan/cli/train_dcgan.py": "from ..data import mnist\n",
        "minigan/data/__init__.py": "from . import mnist\nfrom _common import x\n",
        "tutorials/_common.py": "",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    found = violations(tmp_path)
    expected = [
        "minigan/data/__init__.py:2: the package imports _common, which is not part of it",
        "minigan/exercises/__init__.py:1: imports the command minigan.cli; only "
        "minigan/__main__.py and minigan/cli do",
        "minigan/exercises/__init__.py:2: the package imports tutorials._common, which is not "
        "part of it",
        "minigan/kernels/conv.py:1: kernels imports minigan.tensor; it may import only "
        "backend, _checks",
        "minigan/nn/__init__.py:1: models (nn) imports gan (minigan.viz)",
        "minigan/stray.py:1: minigan.stray has no layer (add it to LAYERS and to "
        "docs/architecture.md)",
        "minigan/tensor.py:2: core (tensor) imports gan (minigan.gan)",
    ]
    assert found == expected


@pytest.mark.parametrize("tutorial", sorted((ROOT / "tutorials").glob("*.py")),
                         ids=lambda p: p.name)
def test_no_tutorial_imports_a_command(tutorial):
    commands = [f"line {line}: {target}" for line, target in imports(tutorial, ROOT)
                if part(target) in COMMANDS]
    assert commands == [], f"{tutorial.name} imports a command module"


def test_the_architecture_page_names_every_part_in_its_layer():
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = page[page.index("## Layers and the import rule"):]
    section = section[:section.index("\n## ", 1)]
    for layer, parts in LAYERS.items():
        row = next((line for line in section.splitlines() if line.startswith(f"| {layer} ")),
                   None)
        assert row is not None, f"docs/architecture.md's layer table has no row for {layer}"
        for name in filter(None, parts):
            assert f"`{name}`" in row, f"the {layer} row of the layer table lacks `{name}`"

"""Smoke tests of the tutorials: each runs with ``--quick``, writes its figures, and is a valid
jupytext notebook that uses only the public API."""

import ast
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from minigan.kernels.cuda import emulation

ROOT = Path(__file__).resolve().parents[1]
TUTORIALS = ROOT / "tutorials"

# Each tutorial and the figures it must write, no more and no fewer.
FIGURES = {
    "01_tensors_and_autograd.py": ["graph.png", "graph_grads.png", "fit.png"],
    "02_gradient_checking.py": ["finite_differences.png", "wrong_gradient.png",
                                "second_derivative.png"],
    "03_convolutions.py": ["im2col.png", "geometry.png", "conv_matrix.png", "scatter.png",
                           "overlap.png", "checkerboard.png"],
    "04_the_minimax_value.py": ["logits_vs_probabilities.png", "best_response.png",
                                "generator_losses.png", "saturation_measured.png"],
    "05_optimal_discriminator.py": ["optimal_discriminator.png", "trained_vs_optimal.png",
                                    "criterion_vs_jsd.png", "mode_dropping.png"],
    "06_a_first_gan_in_1d.py": ["first_gan.png", "saturating_vs_non_saturating.png",
                                "training_curves.png", "two_modes.png"],
    "07_mode_collapse.py": ["collapse.png", "remedy.png", "collapse_vs_remedy.png",
                            "metrics.png"],
    "08_remedies_side_by_side.py": ["all_methods.png", "modes_captured.png"],
    "09_dcgan_mnist.py": ["real_digits.png", "samples_during_training.png", "loss_curves.png"],
    "10_latent_space.py": ["interpolation.png", "class_rows.png"],
    "11_evaluating_gans.py": ["class_coverage.png", "frechet_distance.png", "parzen.png"],
    "12_on_the_gpu.py": ["im2col_side_by_side.png", "threads.png"],
    "13_diagnosing_training.py": ["vanishing_gradient.png", "divergence.png",
                                  "mode_collapse.png", "fixed.png"],
}
PUBLIC_MODULES = {"minigan", "minigan.functional", "minigan.viz", "minigan.nn",
                  "minigan.kernels.im2col", "minigan.kernels.cuda",
                  "minigan.kernels.cuda.emulation"}
# Tutorials that compile CUDA sources for the CPU (minigan.kernels.cuda.emulation).
NEEDS_COMPILER = {"12_on_the_gpu.py"}


@pytest.mark.parametrize("script", sorted(FIGURES))
def test_tutorial_runs_quick_and_writes_its_figures(script, tmp_path):
    plt = pytest.importorskip("matplotlib.pyplot")
    if script in NEEDS_COMPILER and emulation.compiler_unavailable_reason():
        pytest.skip(f"{script} emulates CUDA kernels: {emulation.compiler_unavailable_reason()}")
    out = tmp_path / "figures"
    env = dict(os.environ, MPLBACKEND="Agg",
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    result = subprocess.run([sys.executable, str(TUTORIALS / script), "--quick", "--out", str(out)],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    assert sorted(p.name for p in out.glob("*.png")) == sorted(FIGURES[script])
    for name in FIGURES[script]:
        assert f"[figure] {out / name}" in result.stdout
        image = plt.imread(out / name)[..., :3]
        assert min(image.shape[:2]) > 200
        # Drawn on: a fair share of the pixels is not background white, and not all one colour.
        assert (image < 0.9).any(axis=-1).mean() > 0.01
        assert image.std() > 0.05


@pytest.mark.parametrize("script", sorted(FIGURES))
def test_tutorial_is_a_percent_notebook(script):
    jupytext = pytest.importorskip("jupytext")
    nbformat = pytest.importorskip("nbformat")
    notebook = jupytext.read(TUTORIALS / script)
    assert notebook.metadata["jupytext"]["text_representation"]["format_name"] == "percent"
    kinds = [cell.cell_type for cell in notebook.cells]
    assert kinds[0] == "markdown" and notebook.cells[0].source.startswith(f"# {script[:2]} ·")
    assert kinds.count("markdown") >= 5 and kinds.count("code") >= 5
    # What `jupytext --to ipynb` writes is a valid notebook.
    nbformat.validate(nbformat.reads(jupytext.writes(notebook, fmt="ipynb"), as_version=4))


@pytest.mark.parametrize("script", sorted(FIGURES))
def test_tutorial_uses_only_the_public_api(script):
    tree = ast.parse((TUTORIALS / script).read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            modules = [node.module]
            if node.module.startswith("minigan"):
                assert not [a.name for a in node.names if a.name.startswith("_")]
        elif isinstance(node, ast.Attribute):
            assert not (node.attr.startswith("_") and not node.attr.startswith("__")), \
                f"{script} reaches into private {node.attr} (line {node.lineno})"
            continue
        else:
            continue
        for module in modules:
            if module.split(".")[0] == "minigan":
                assert module in PUBLIC_MODULES, f"{script} imports {module} (line {node.lineno})"


def test_the_tutorials_dcgan_is_the_readmes_command():
    # Tutorials 10 and 11 load runs/dcgan as the README's command writes it: same settings.
    # (Loaded under a name of its own: benchmarks/ has a module `_common` too.)
    from minigan.cli.train_dcgan import build_parser

    spec = importlib.util.spec_from_file_location("tutorials_common", TUTORIALS / "_common.py")
    common = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(common)
    README_DCGAN = common.README_DCGAN
    lines = [line.split() for line in (ROOT / "README.md").read_text().splitlines()
             if line.startswith("python -m minigan dcgan --ngf")]
    assert len(lines) == 1, lines
    command = vars(build_parser().parse_args(lines[0][4:]))
    assert command["out"] == "runs/dcgan"
    assert {name: command[name] for name in README_DCGAN} == README_DCGAN

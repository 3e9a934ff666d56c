"""What every tutorial script shares: its command line, saving figures, a progress bar.

Not part of minigan: a convenience for the scripts in this folder (they import it by name, which
works because Python puts a script's own folder on the import path).
"""

import argparse
import sys
from pathlib import Path

import matplotlib

# A notebook kernel shows figures inline; a script only writes PNG files and opens no window.
IN_NOTEBOOK = "ipykernel" in sys.modules
if not IN_NOTEBOOK:
    matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

try:
    from tqdm import tqdm
except ImportError:  # the bar is a nicety: without tqdm the loop just runs
    tqdm = None


README_DCGAN = dict(ngf=32, ndf=32, epochs=7, ema=0.99, lr_d=1e-4, lr_g=4e-4)
"""The settings of the README's DCGAN, ``python -m minigan dcgan --ngf 32 --ndf 32 --epochs 7
--ema 0.99 --lr_d 1e-4 --lr_g 4e-4 --out runs/dcgan``, which tutorials 10 and 11 load (or train)
from ``runs/dcgan``; a test holds the two to the same values."""


def parse_args(description, default_out, device=False):
    """``--quick`` (a shorter run, for the smoke tests) and ``--out DIR`` (where figures go);
    with ``device``, also ``--device auto|cpu|cuda``, resolved to "cpu" or "cuda" (auto: the
    GPU where minigan can use one)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="a shorter run, for smoke tests")
    parser.add_argument("--out", type=Path, default=Path(default_out),
                        help=f"folder for the figures (default: {default_out})")
    if device:
        parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                            help="where to compute (default: auto, the GPU if there is one)")
    # A notebook kernel passes its own arguments; only a script should reject unknown ones.
    args, unknown = parser.parse_known_args()
    if unknown and not IN_NOTEBOOK:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    if device:
        import minigan

        if args.device == "auto":
            args.device = "cuda" if minigan.cuda.is_available() else "cpu"
        elif args.device == "cuda" and not minigan.cuda.is_available():
            parser.error(f"--device cuda: {minigan.cuda.unavailable_reason()}")
    args.out.mkdir(parents=True, exist_ok=True)
    return args


def save(fig, out, name):
    """Write ``fig`` to ``out/name`` and say where; a script closes it, a notebook shows it."""
    path = Path(out) / name
    fig.savefig(path, dpi=110, bbox_inches="tight")
    if not IN_NOTEBOOK:
        plt.close(fig)
    print(f"[figure] {path}")
    return path


def progress(iterable, **kwargs):
    """``tqdm(iterable)`` where tqdm is installed, the bare iterable otherwise."""
    return iterable if tqdm is None else tqdm(iterable, **kwargs)

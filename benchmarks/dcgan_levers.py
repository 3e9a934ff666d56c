"""The DCGAN's levers (issue 15): the former README run with one change each, judged alike.

    python benchmarks/dcgan_levers.py                        # every lever, seed 0
    python benchmarks/dcgan_levers.py --levers baseline epochs8 --seeds 0 1
    python benchmarks/dcgan_levers.py --quick                # a smoke test (tiny nets, 1 epoch)
    python benchmarks/dcgan_levers.py --table-only           # the table of the runs so far

Each row is the run of ``python -m minigan dcgan --ngf 32 --ndf 32 --epochs 5`` (the former
README command, before this table; :func:`minigan.gan.train_dcgan`) with the settings of one
lever of :data:`LEVERS`, for each seed of ``--seeds``. Every run keeps an exponential moving
average of G's weights (``ema=0.99``, its batch-norm statistics recomputed:
``DCGANRun.recompute_ema_bn``), which does not change G's training, so each row measures both G
and its average.

The judge is tutorial 11's protocol, :func:`minigan.gan.evaluation.judge_generators`: a digit
classifier trained for 30 epochs on the 12,000 held-out digits (once, then cached in
``--out``/judge.npz), N = 2,000 digits of each generator from the same noise
(``Generator(7)``), the classifier FID against 2,000 real training digits and the KL of the
class histogram to uniform, beside the floor (real against real) and the ceiling (noise).

Runs live in ``--out``/LEVER_seedS (checkpoint and the two grids G.png and G_ema.png of the
first 64 judged digits); a checkpoint already there is resumed or, when it is complete, only
loaded. So a lever of 6 to 8 epochs may start from a copy of the checkpoint of the 5-epoch run
of the same settings (``epochs8`` from ``baseline``, ``combined``, ``combined7`` and
``combined6`` from ``g_faster``): a resume is bit for bit the uninterrupted run. Each judged
run is appended to ``results.jsonl`` (an interrupted table resumes where it stopped: a lever
and seed already there are not repeated) and ``table.md`` is rewritten.
The training time of a run is the sum of its epochs' wall-clock seconds as its checkpoint
recorded them, and the process's CPU seconds when this script trained it: both depend on the
machine's load at the time.
"""

import argparse
import json
import time
from pathlib import Path

from _common import machine_line

from minigan import load, save
from minigan.gan import evaluation as ev
from minigan.gan import train_dcgan
from minigan.viz import save_image_grid

README_RUN = {"ngf": 32, "ndf": 32, "ema": 0.99}
EPOCHS = 5
LEVERS = {
    "baseline": ({}, EPOCHS, "the former README run"),
    "epochs8": ({}, 8, "8 epochs instead of 5"),
    "g_faster": ({"lr_d": 1e-4, "lr_g": 4e-4}, EPOCHS, "lr_d 1e-4, lr_g 4e-4"),
    "d_faster": ({"lr_d": 4e-4, "lr_g": 1e-4}, EPOCHS, "lr_d 4e-4, lr_g 1e-4 (TTUR's way)"),
    "smoothing": ({"real_label": 0.9}, EPOCHS, "one-sided label smoothing, real_label 0.9"),
    "spectral_norm": ({"spectral_norm": True}, EPOCHS, "spectral norm on D's convolutions"),
    "combined": ({"lr_d": 1e-4, "lr_g": 4e-4}, 8, "g_faster and 8 epochs"),
    "combined7": ({"lr_d": 1e-4, "lr_g": 4e-4}, 7, "g_faster and 7 epochs"),
    "combined6": ({"lr_d": 1e-4, "lr_g": 4e-4}, 6, "g_faster and 6 epochs"),
}
"""name -> (the settings that differ from the README's run, epochs, what the row says)."""
N, JUDGE_EPOCHS = 2000, 30
QUICK = {"settings": {"quick": True, "ngf": 8, "ndf": 8}, "n": 200, "judge_epochs": 1,
         "judge_digits": 200}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levers", nargs="+", choices=list(LEVERS), default=list(LEVERS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--quick", action="store_true",
                        help="a smoke test: 256 digits, ngf = ndf = 8, 1 epoch (2 for 8-epoch "
                             "levers), N = 200, a judge of 1 epoch on 200 digits")
    parser.add_argument("--table-only", action="store_true",
                        help="rewrite table.md from results.jsonl without running anything")
    parser.add_argument("--out", type=Path, help="folder of the runs, the judge, results.jsonl "
                        "and table.md (default runs/dcgan_levers, runs/dcgan_levers_quick)")
    args = parser.parse_args(argv)
    if any(seed < 0 for seed in args.seeds):
        parser.error(f"argument --seeds: seeds must be >= 0, got {args.seeds}")
    if args.out is None:
        args.out = Path("runs") / ("dcgan_levers_quick" if args.quick else "dcgan_levers")
    return args


def cached_judge(out, quick):
    """The judge of :func:`~minigan.gan.evaluation.judge_generators`, trained once and kept in
    ``out``/judge.npz."""
    path = out / "judge.npz"
    if path.exists():
        judge = ev.DigitClassifier(32)
        judge.load_state_dict(load(path))
        return judge.eval()
    options = {k: QUICK[k] for k in ("judge_epochs", "judge_digits")} if quick else \
        {"judge_epochs": JUDGE_EPOCHS}
    judge = ev.judge_generators({}, QUICK["n"] if quick else N, **options)["judge"]
    save(judge.state_dict(), path)
    return judge


def one_run(lever, seed, out, judge, quick):
    """Train (or reload) one lever's run and judge G and G_ema: the record of results.jsonl."""
    settings, epochs, _ = LEVERS[lever]
    settings = {**README_RUN, **settings, **(QUICK["settings"] if quick else {}), "seed": seed}
    epochs = (2 if epochs > EPOCHS else 1) if quick else epochs
    folder = out / f"{lever}_seed{seed}"
    trained_here = not (folder / "checkpoint.npz").exists()
    cpu = time.process_time()
    run = train_dcgan(folder, epochs, progress=False, **settings)
    cpu = time.process_time() - cpu
    run.recompute_ema_bn()  # as the run does after each epoch; also for older checkpoints
    n = QUICK["n"] if quick else N
    judged = ev.judge_generators({"G": run.G, "G_ema": run.G_ema}, n, judge=judge)
    record = {"lever": lever, "seed": seed, "quick": quick, "epochs": run.epoch,
              "settings": run.settings, "n": n,
              "train_seconds": round(sum(e["seconds"] for e in run.epochs), 1),
              "cpu_seconds": round(cpu, 1) if trained_here else None,  # else unknown here
              "judge_accuracy": judged["accuracy"], "fid_floor": judged["fid_floor"],
              "fid_noise": judged["fid_noise"]}
    for name, g in judged["generators"].items():
        record[name] = {k: g[k] for k in ("fid", "class_kl", "classes_present")}
        save_image_grid(g["images"][:64], folder / f"{name}.png", nrow=8)
    return record


def table(records, levers, seeds):
    """The markdown table: a row per lever and seed, G and its average side by side."""
    lines = ["| lever | seed | epochs | train (min) | FID G | KL G | FID G_ema | KL G_ema |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    by_key = {(r["lever"], r["seed"]): r for r in records}
    for lever in levers:
        for seed in seeds:
            r = by_key.get((lever, seed))
            if r is None:
                continue
            lines.append(
                f"| {lever}: {LEVERS[lever][2]} | {seed} | {r['epochs']} | "
                f"{r['train_seconds'] / 60:.1f} | {r['G']['fid']:.1f} | "
                f"{r['G']['class_kl']:.3f} | {r['G_ema']['fid']:.1f} | "
                f"{r['G_ema']['class_kl']:.3f} |")
    if records:
        r = records[0]
        lines += ["", f"Judge accuracy {r['judge_accuracy']:.1%}; N = {r['n']}; floor (real A "
                  f"vs real B) {r['fid_floor']:.1f}; ceiling (uniform noise) "
                  f"{r['fid_noise']:.1f}."]
    return "\n".join(lines) + "\n"


def main(argv=None):
    args = parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    log = args.out / "results.jsonl"
    done = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    done = [r for r in done if r["quick"] == args.quick]
    if not args.table_only:
        print(machine_line(), flush=True)
        have = {(r["lever"], r["seed"]) for r in done}
        judge = None
        for lever in args.levers:
            for seed in args.seeds:
                if (lever, seed) in have:
                    continue
                judge = judge or cached_judge(args.out, args.quick)
                record = one_run(lever, seed, args.out, judge, args.quick)
                with log.open("a", encoding="utf-8") as f:
                    f.write(json.dumps(record) + "\n")
                done.append(record)
                print(f"{lever} seed {seed}: FID G {record['G']['fid']:.1f}, G_ema "
                      f"{record['G_ema']['fid']:.1f}; class KL {record['G']['class_kl']:.3f}, "
                      f"{record['G_ema']['class_kl']:.3f}", flush=True)
    text = table(done, args.levers, args.seeds)
    (args.out / "table.md").write_text(text, encoding="utf-8")
    print(f"\n{text}\nwrote {args.out / 'table.md'}")


if __name__ == "__main__":
    main()

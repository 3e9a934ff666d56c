"""What the commands share: checks of the flags every command has, and the end of a run
(the doctor's report and files, the words for an interrupted run)."""

import os

from ..backend import check_device
from ..serialization import check_folder


def check_flag(parser, args, flag, check, **options):
    """Check ``args.<flag>`` with a check of :mod:`minigan._checks` and store what it returns;
    a bad value exits through argparse's ``error`` with the check's message, which names the
    flag (``--batch_size must be an int >= 1, got 0``)."""
    try:
        setattr(args, flag, check(getattr(args, flag), f"--{flag}", **options))
    except ValueError as error:  # ArgumentTypeError is a ValueError too
        parser.error(str(error))


def checked_device(parser, text, flag="--device"):
    """``text`` as a device name, or exit (argparse's ``error``) saying what is wrong."""
    try:
        return check_device(text)
    except (ValueError, RuntimeError) as error:  # a DeviceError when CuPy or a GPU is missing
        parser.error(f"{flag}: {error}")


def check_out(parser, out, flag="--out"):
    """Exit (argparse's ``error``) now, before any training, when the folder ``out`` cannot
    be made or written into."""
    if os.path.exists(out) and not os.path.isdir(out):
        parser.error(f"{flag}: {out} exists and is not a folder")
    try:
        check_folder(out)
    except ValueError as error:
        parser.error(f"{flag}: {error}")


def write_doctor(doctor, out, title):
    """Print the doctor's report and write its files into the folder ``out`` (also after a
    divergence it stopped): doctor.txt, doctor.json and the dashboard doctor.png."""
    from ..viz import save_dashboard

    print(doctor.report())
    os.makedirs(out, exist_ok=True)
    for path in doctor.save(out) + [save_dashboard(doctor, os.path.join(out, "doctor.png"),
                                                   title)]:
        print(f"[wrote] {path}")


def interrupted(prog, checkpoint, how):
    """The message of a run stopped by Ctrl-C or SIGTERM: where it can be resumed from."""
    where = f"the last checkpoint is {checkpoint}: {how}" if os.path.isfile(checkpoint) \
        else "no checkpoint was written yet"
    return f"{prog}: interrupted; {where}"

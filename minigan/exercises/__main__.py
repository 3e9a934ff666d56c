"""The command line: ``python -m minigan.exercises list`` shows the exercises,
``python -m minigan.exercises learner-copy --out DIR`` writes a copy with the solutions blanked."""

import argparse
import sys

from .learner_copy import all_exercises, check_command, format_table, write_learner_copy


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m minigan.exercises",
        description="minigan's exercises: operations whose backward you write yourself.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="show the exercises and what each asks you to write")
    copy = commands.add_parser(
        "learner-copy", help="write the exercise modules with their solutions blanked")
    copy.add_argument("--out", default="learner", metavar="DIR",
                      help="the directory to write (default: learner)")
    copy.add_argument("--force", action="store_true",
                      help="write into a non-empty directory, overwriting the exercise files")
    args = parser.parse_args(argv)

    if args.command == "list":
        print(format_table(all_exercises()))
        return 0
    try:
        written = write_learner_copy(args.out, force=args.force)
    except FileExistsError as err:
        print(f"learner-copy: {err}", file=sys.stderr)
        return 1
    print(f"wrote {len(written)} files to {args.out}: {', '.join(p.name for p in written)}")
    print(f"check your answers from the repository's root with\n    {check_command(args.out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

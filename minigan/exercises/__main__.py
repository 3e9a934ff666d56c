"""The command line: ``python -m minigan.exercises list`` shows the course,
``python -m minigan.exercises learner-copy --out DIR`` writes a copy with the solutions blanked,
``python -m minigan.exercises check --copy DIR`` grades that copy."""

import argparse
import os
import sys

from .checking import main_check
from .learner_copy import (
    ENV_VAR,
    all_exercises,
    check_command,
    format_markdown,
    format_table,
    write_learner_copy,
)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m minigan.exercises",
        description="minigan's exercises: the course's ideas, written by you and checked.")
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="show the exercises, their tutorials and what "
                                  "each asks you to write")
    listing.add_argument("--markdown", action="store_true",
                         help="as the Markdown table of docs/exercises.md")
    copy = commands.add_parser(
        "learner-copy", help="write the exercise modules with their solutions blanked")
    copy.add_argument("--out", default="learner", metavar="DIR",
                      help="the directory to write (default: learner)")
    copy.add_argument("--force", action="store_true",
                      help="write into a non-empty directory, overwriting the exercise files")
    check = commands.add_parser(
        "check", help="run the checks of every exercise and say where you stand")
    check.add_argument("--copy", metavar="DIR", default=os.environ.get(ENV_VAR) or None,
                       help=f"your copy (default: ${ENV_VAR} if set, else the solutions "
                            "shipped in minigan/exercises)")
    check.add_argument("exercise", nargs="?", default=None,
                       help="one exercise (5.2), one module (5) or a name (Conv2d); "
                            "default: all")
    args = parser.parse_args(argv)

    if args.command == "list":
        exercises = all_exercises()
        print(format_markdown(exercises) if args.markdown else format_table(exercises))
        return 0
    if args.command == "check":
        return main_check(args.copy, args.exercise)
    try:
        written = write_learner_copy(args.out, force=args.force)
    except FileExistsError as err:
        print(f"learner-copy: {err}", file=sys.stderr)
        return 1
    print(f"wrote {len(written)} files to {args.out}: {', '.join(p.name for p in written)}")
    print(f"check your answers with\n    {check_command(args.out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``python -m minigan COMMAND [options]``: the command lines of :mod:`minigan.cli`.

``python -m minigan`` alone, or with ``--help``, lists the commands; ``python -m minigan
COMMAND --help`` shows a command's options.
"""

import importlib
import sys

from .cli import COMMANDS

USAGE = "usage: python -m minigan COMMAND [options]   (python -m minigan COMMAND --help)"


def commands_text():
    """The usage line and the commands, one a line."""
    width = max(map(len, COMMANDS))
    lines = [f"  {name:<{width}}  {what}" for name, (_, what) in COMMANDS.items()]
    return "\n".join([USAGE, "", "commands:", *lines])


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(commands_text())
        return 0
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        print(f"{commands_text()}\n\npython -m minigan: error: unknown command {name!r}; "
              f"expected one of {', '.join(COMMANDS)}", file=sys.stderr)
        return 2
    return importlib.import_module(COMMANDS[name][0]).main(rest)


if __name__ == "__main__":
    sys.exit(main())

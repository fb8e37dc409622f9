"""The ``stikg`` console script: one subcommand per module in :mod:`stikg.commands`.

Each command module defines ``HELP`` (one line), ``add_arguments(parser)`` and ``run(args) -> int``.
Errors derived from :class:`stikg.core.errors.StikgError` become one clear message on stderr, never a
traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from stikg import __version__
from stikg.core.errors import StikgError

# Order is the order shown in --help. A module missing from the package is simply not offered.
COMMANDS = (
    "build",
    "extract",
    "add",
    "eval",
    "reconcile",
    "validate",
    "stats",
    "query",
    "serve",
    "push",
    "export",
    "docs",
    "viz",
    "lineage",
    "synth",
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stikg",
        description="STI Policy Knowledge Graph: build, query, validate and serve.",
    )
    parser.add_argument("--version", action="version", version=f"stikg {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"stikg.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"stikg.commands.{name}":
                continue
            raise
        command = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(command)
        command.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    try:
        return int(args._run(args) or 0)
    except StikgError as exc:
        print(f"stikg {args.command}: error: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"stikg {args.command}: interrupted; outputs left as they were", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

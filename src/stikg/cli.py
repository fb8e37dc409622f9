"""The ``stikg`` console script: one subcommand per module in :mod:`stikg.commands`.

Each command module defines ``HELP`` (one line), ``add_arguments(parser)`` and ``run(args) -> int``.
Errors derived from :class:`stikg.core.errors.StikgError` become one clear message on stderr, never a
traceback. ``--root DIR`` (before or after the command) or ``$STIKG_ROOT`` names the project root, so
every command works from any directory.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from stikg import __version__
from stikg.core.config import find_root, is_project, root_hint, root_override, set_root
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


# commands that do not need a project root (their errors get no hint about it)
ROOTLESS = frozenset({"synth"})
ROOT_HELP = "project root (default: $STIKG_ROOT, else the nearest parent with sources/catalog.yaml)"


def _root(args: argparse.Namespace) -> None:
    """Check ``--root`` / ``$STIKG_ROOT`` and fix the root for every command; raises StikgError."""
    given: Path | None = getattr(args, "root", None)
    origin = "--root"
    if given is None and os.environ.get("STIKG_ROOT"):
        given, origin = Path(os.environ["STIKG_ROOT"]), "STIKG_ROOT"
    if given is None:
        return
    if not given.is_dir():
        raise StikgError(f"{origin} {given}: no such directory")
    set_root(given)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stikg",
        description="STI Policy Knowledge Graph: build, query, validate and serve.",
    )
    parser.add_argument("--version", action="version", version=f"stikg {__version__}")
    parser.add_argument("--root", type=Path, default=None, metavar="DIR", help=ROOT_HELP)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"stikg.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"stikg.commands.{name}":
                continue
            raise
        command = sub.add_parser(name, help=module.HELP, description=module.HELP)
        # the same --root after the command; SUPPRESS keeps a --root given before it
        command.add_argument("--root", type=Path, default=argparse.SUPPRESS, metavar="DIR", help=ROOT_HELP)
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
    saved = root_override()
    try:
        _root(args)
    except StikgError as exc:
        print(f"stikg {args.command}: error: {exc.message}", file=sys.stderr)
        return exc.exit_code
    try:
        return int(args._run(args) or 0)
    except StikgError as exc:
        message = exc.message
        root = find_root()
        if args.command not in ROOTLESS and not is_project(root):
            message += f" ({root_hint(root)})"
        print(f"stikg {args.command}: error: {message}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"stikg {args.command}: interrupted; outputs left as they were", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    finally:
        set_root(saved)  # in-process callers (tests) get back the root they had


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""``stikg synth --programs N --years Y --out DIR [--seed S]``: a synthetic corpus of the genre."""

from __future__ import annotations

import argparse
from pathlib import Path

from stikg.core.errors import StikgError

HELP = "Write a synthetic corpus of the genre (documents, catalog, registry, ground truth) for scale tests."


def _gigabytes(text: str) -> int:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of GB, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("must be more than 0 GB")
    return int(value * 2**30)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``stikg synth``."""
    parser.add_argument("--programs", type=int, required=True, metavar="N",
                        help="number of programs over the whole period (5000 with --years 10 builds to ~1M triples)")
    parser.add_argument("--years", type=int, required=True, metavar="Y",
                        help="number of fiscal years, ending with FY2025 (1–24)")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR",
                        help="project root to write (new, empty, or written by stikg synth before)")
    parser.add_argument("--seed", type=int, default=0, help="random seed; the same arguments give the same bytes")
    parser.add_argument("--max-memory", type=_gigabytes, default=None, metavar="GB",
                        help="refuse sizes whose build would need more memory (default: available memory)")
    parser.add_argument("--estimate", action="store_true", help="print the size estimate and write nothing")


def run(args: argparse.Namespace) -> int:
    """Generate (or only estimate) and report."""
    from stikg import synth

    est = synth.check_size(args.programs, args.years, args.max_memory)
    if args.estimate:
        print(f"{args.programs} programs × {args.years} years: {est.describe()}")
        return 0
    if args.out.exists() and not args.out.is_dir():
        raise StikgError("output is a file, not a directory", args.out)
    result = synth.generate(args.programs, args.years, args.out, seed=args.seed, max_memory=args.max_memory)
    rows = ", ".join(f"{n} {t}" for t, n in result.rows.items())
    print(f"wrote {result.documents} documents ({result.lines:,} lines) to {result.out}; ground truth: {rows}")
    print(f"estimate: {est.describe()}")
    print(f"next: stikg build --root {result.out} && "
          f"stikg eval {result.out}/ground-truth {result.out}/mappings/extracted --registry {result.out}/mappings/registry")
    return 0

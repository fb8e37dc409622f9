"""``stikg reconcile``: list the amounts on which documents disagree."""

from __future__ import annotations

import argparse
import csv
import sys
from dataclasses import asdict, fields

from stikg.core.config import Paths, find_root

HELP = "Report programs whose amount for a year and stage differs between documents."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--csv", action="store_true", help="CSV output instead of text")


def run(args: argparse.Namespace) -> int:
    from stikg.inputs.reconcile import Disagreement, find_disagreements, format_report

    paths = Paths(find_root())
    rows = find_disagreements(paths.kg / "dataset.nq", paths.queries)
    if args.csv:
        writer = csv.DictWriter(sys.stdout, fieldnames=[f.name for f in fields(Disagreement)])
        writer.writeheader()
        for row in rows:
            writer.writerow(asdict(row))
    else:
        sys.stdout.write(format_report(rows))
    return 0

"""``stikg eval GOLD_DIR PRED_DIR``: precision, recall and F1 per table (see stikg.extract.evaluate)."""

from __future__ import annotations

import argparse
import sys

HELP = "Score extracted CSVs against gold annotations: precision, recall and F1 per table."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``stikg eval``."""
    from stikg.commands.extract import add_registry_arguments

    parser.add_argument("gold_dir", help="gold CSVs, or one sub-directory of them per document")
    parser.add_argument("pred_dir", help="extracted CSVs laid out the same way")
    parser.add_argument("--json", action="store_true", help="print the scores as JSON")
    add_registry_arguments(parser)


def run(args: argparse.Namespace) -> int:
    """Score and print."""
    from stikg.commands.extract import load_registry
    from stikg.extract.evaluate import evaluate_dirs, format_result, to_json

    registry, label = load_registry(args)
    result = evaluate_dirs(args.gold_dir, args.pred_dir, registry=registry, registry_name=label)
    sys.stdout.write(to_json(result) if args.json else format_result(result))
    return 0

"""``stikg extract FILE --out DIR``: records of one document of the genre, with line evidence.

Works on any UTF-8 text of the genre, catalogued or not. Writes amounts.csv, citations.csv,
organizations.csv, flows.csv (the gold columns) plus periods.csv, unresolved.csv and report.csv,
and prints one summary line per table.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from stikg.core.errors import StikgError

if TYPE_CHECKING:
    from stikg.inputs.registry import Resolver

HELP = "Extract programs, amounts, citations, organisations and funding flows from one document, with line evidence."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``stikg extract``."""
    parser.add_argument("file", help="the document (UTF-8 text, one PDF text line per line)")
    parser.add_argument("--out", required=True, help="directory for the CSV files")
    parser.add_argument("--doc-id", help="value of the doc column (default: the file name)")
    parser.add_argument("--fiscal-year", type=int,
                        help="fiscal year of figures whose page prints no budget header (e.g. 2025); "
                        "with --kind it replaces what titles and 出典情報 lines say")
    parser.add_argument(
        "--kind",
        help="document kind, giving the stage of figures whose page prints no budget header "
        "(budget_request, draft_budget, supplementary_budget, objectives_change, policy_briefing)",
    )
    add_registry_arguments(parser)


def add_registry_arguments(parser: argparse.ArgumentParser) -> None:
    """``--registry DIR`` / ``--no-registry`` (shared with ``stikg eval``)."""
    parser.add_argument("--registry", help="registry directory (default: the project's mappings/registry)")
    parser.add_argument("--no-registry", action="store_true", help="do not use the registry")


def load_registry(args: argparse.Namespace) -> tuple[Resolver | None, str]:
    """The registry the arguments ask for, and a label for messages. Absent registry code or
    files mean no registry; a registry that exists but is malformed is an error."""
    if getattr(args, "no_registry", False):
        return None, "none"
    try:
        from stikg.inputs.registry import Registry
    except ImportError:
        if args.registry:
            raise StikgError("the registry module is not available") from None
        return None, "none"
    if args.registry:
        path = Path(args.registry)
        if not path.is_dir():
            raise StikgError("registry directory not found", path)
    else:
        from stikg.core.config import Paths, find_root

        path = Paths(find_root()).registry
        if not path.is_dir() or not any(path.glob("*.yaml")):
            return None, "none"
    return Registry.load(path), str(path)


def run(args: argparse.Namespace) -> int:
    """Extract one document and write its CSVs."""
    from stikg.extract import extract_document
    from stikg.inputs.corpus import read_document_lines

    path = Path(args.file)
    if path.is_dir():
        raise StikgError("is a directory, not a text document", path)
    lines, _ = read_document_lines(path)
    registry, _label = load_registry(args)
    doc_id = args.doc_id or path.name
    result = extract_document(lines, doc_id, fiscal_year=args.fiscal_year, kind=args.kind, registry=registry,
                              override=True)
    out = Path(args.out)
    written = result.write_csv(out)
    counts = result.counts()
    for p in written:
        name = p.stem
        print(f"{name:<14} {counts[name]:5d} rows  {p}")
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return 0

"""``stikg add FILE``: add a document to the corpus, catalogue it, extract it, report what it found."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

import yaml

from stikg.core import atomic
from stikg.core.config import Paths, find_root
from stikg.core.errors import CorpusError
from stikg.inputs.corpus import KINDS, load_catalog, read_document_lines

HELP = "Copy a new document into sources/, add its catalog entry, extract it and show what is unresolved."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="the document (UTF-8 text of the PDF)")
    parser.add_argument("--title", required=True, help="Japanese title")
    parser.add_argument("--title-en", default=None, help="English title (default: the Japanese title)")
    parser.add_argument("--fiscal-year", type=int, required=True, help="fiscal year budgeted, e.g. 2026")
    parser.add_argument("--kind", required=True, choices=KINDS)
    parser.add_argument("--issuer", default="文部科学省", help="issuing office as printed")
    parser.add_argument("--date", default=None, help="issue date YYYY[-MM[-DD]] (default: today)")
    parser.add_argument("--origin", default=None, help="where the document comes from (URL or citation)")
    parser.add_argument("--id", dest="doc_id", default=None, help="file name in sources/ (default: FILE's name)")


def catalog_block(entry: dict) -> str:
    """The YAML text of one catalog entry, indented as an item of ``documents:``."""
    body = yaml.safe_dump(entry, allow_unicode=True, sort_keys=False, width=1000)
    lines = body.rstrip("\n").split("\n")
    return "\n  - " + "\n    ".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    from stikg.build import load_registry

    paths = Paths(find_root())
    source: Path = args.file
    doc_id = args.doc_id or source.name
    if not doc_id.endswith(".txt"):
        doc_id += ".txt"
    target = paths.sources / doc_id
    if target.exists():
        raise CorpusError(f"{doc_id} is already in the corpus", target)
    lines, _ = read_document_lines(source)  # strict: encoding and control characters checked first
    entry = {
        "id": doc_id, "title_ja": args.title, "title_en": args.title_en or args.title,
        "issuer": args.issuer, "date": args.date or dt.date.today().isoformat(),
        "fiscal_year": args.fiscal_year, "kind": args.kind,
        "origin": args.origin or f"added with `stikg add` from {source.name}",
    }
    catalog_before = paths.catalog.read_bytes()
    atomic.write_bytes(target, source.read_bytes())
    try:
        atomic.write_bytes(paths.catalog, catalog_before.rstrip(b"\n") + b"\n"
                           + catalog_block(entry).encode("utf-8"))
        load_catalog(paths.catalog)  # the new entry must validate, or everything is rolled back
    except BaseException:
        atomic.write_bytes(paths.catalog, catalog_before)
        target.unlink(missing_ok=True)
        raise

    from stikg.extract import extract_document

    registry = load_registry(paths)
    result = extract_document(lines, doc_id, fiscal_year=args.fiscal_year, kind=args.kind, registry=registry)
    out = paths.extracted / target.stem
    result.write_csv(out)
    print(f"added {doc_id} ({len(lines)} lines) to {paths.sources} and catalog.yaml")
    for name in ("amounts", "citations", "organizations", "flows", "periods"):
        print(f"  {name:14s} {len(getattr(result, name, ())):5d}")
    print(f"  skipped lines  {len(result.report):5d}  (see {out / 'report.csv'})")
    for warning in result.warnings:
        print(f"warning: {warning}")
    unresolved = _unresolved(out / "unresolved.csv")
    if unresolved:
        print(f"unresolved names ({len(unresolved)}), candidates for mappings/registry/:")
        for row in unresolved[:40]:
            print(f"  {row}")
        if len(unresolved) > 40:
            print(f"  … {len(unresolved) - 40} more in {out / 'unresolved.csv'}")
    print("next: `stikg build` to put it into the graph")
    return 0


def _unresolved(path: Path) -> list[str]:
    if not path.is_file():
        return []
    import csv

    with path.open(encoding="utf-8", newline="") as handle:
        return [f"{r['kind']}: {r['name']} (line {r['line']})" for r in csv.DictReader(handle)]

"""``stikg stats``: counts per class and per document; what was extracted, skipped and why."""

from __future__ import annotations

import argparse
import json

from stikg.core.config import Paths, find_root
from stikg.core.errors import StikgError

HELP = "Show counts per class and per document, and what extraction skipped and why (from kg/)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print kg/stats.json as is")


def _short(iri: str) -> str:
    return iri.rsplit("#", 1)[-1] if "#" in iri else iri.rsplit("/", 1)[-1]


def run(args: argparse.Namespace) -> int:
    path = Paths(find_root()).kg / "stats.json"
    try:
        stats = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StikgError("no built graph: run `stikg build` first", path) from None
    except (OSError, ValueError) as exc:
        raise StikgError(f"cannot read statistics: {exc}", path) from None
    if args.json:
        print(json.dumps(stats, ensure_ascii=False, indent=2, sort_keys=True))
        return 0
    print("Named graphs:")
    for name, count in stats["graphs"].items():
        print(f"  {count:8d}  {name}")
    print("\nInstances per class (asserted + inferred):")
    stikg_classes = {k: v for k, v in stats["classes"].items() if "stikg/ontology#" in k}
    for cls, count in sorted(stikg_classes.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"  {count:8d}  {_short(cls)}")
    print("\nPer document:")
    for doc, info in stats["documents"].items():
        records = ", ".join(f"{k} {v}" for k, v in info["records"].items())
        print(f"  {doc}  ({info['lines']} lines, {info['triples']} triples)")
        print(f"    extracted: {records}")
        skipped = info.get("skipped") or {}
        if skipped:
            print("    skipped:   " + "; ".join(f"{reason} ×{n}" for reason, n in skipped.items()))
        unmapped = info.get("not_mapped_program_unknown") or {}
        if unmapped:
            print("    not in the graph (program not identified): "
                  + ", ".join(f"{k} {v}" for k, v in unmapped.items()))
        unresolved = info.get("unresolved") or {}
        if unresolved:
            print("    unresolved names (not in the registry): "
                  + ", ".join(f"{k} {v}" for k, v in unresolved.items()))
    print("\nSHACL: " + ", ".join(f"{k} {v}" for k, v in stats.get("shacl", {}).items()) or "conforms")
    return 0

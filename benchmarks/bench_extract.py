"""Extraction speed: lines per second per corpus document and for the whole corpus.

Run as ``python benchmarks/bench_extract.py [--repeat N] [--registry]``. Each document is
extracted N times (default 5) from cold memo caches and the best run counts.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from stikg.extract import extract_document  # noqa: E402
from stikg.extract.document import clear_caches  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--registry", action="store_true", help="extract with the project's registry")
    args = parser.parse_args()
    registry = None
    if args.registry:
        from stikg.inputs.registry import Registry

        registry = Registry.load(ROOT / "mappings" / "registry")
    sources = sorted((ROOT / "sources").glob("*.txt"))
    total_lines = 0
    total_best = 0.0
    print(f"{'document':<28} {'lines':>6} {'best s':>8} {'lines/s':>9}")
    for path in sources:
        lines = path.read_text(encoding="utf-8").split("\n")
        best = min(_time(lines, path.name, registry) for _ in range(max(1, args.repeat)))
        total_lines += len(lines)
        total_best += best
        print(f"{path.name:<28} {len(lines):>6} {best:>8.3f} {len(lines) / best:>9.0f}")
    print(f"{'total':<28} {total_lines:>6} {total_best:>8.3f} {total_lines / total_best:>9.0f}")
    return 0


def _time(lines: list[str], doc_id: str, registry) -> float:
    clear_caches()
    start = time.perf_counter()
    extract_document(lines, doc_id, registry=registry)
    return time.perf_counter() - start


if __name__ == "__main__":
    sys.exit(main())

"""Support for the extraction tests (no tests here): run the extractor over a small synthetic text."""

from __future__ import annotations

from stikg.extract import ExtractionResult, extract_document


def run(text: str, doc: str = "t.txt", **kwargs) -> ExtractionResult:
    """Extract a document given as one string (line 1 is the first line after the opening newline)."""
    lines = text.split("\n")
    if lines and lines[0] == "":
        lines = lines[1:]
    return extract_document(lines, doc, **kwargs)


def amounts(result: ExtractionResult) -> list[tuple]:
    """(line, fiscal_year, stage, amount_yen, partial) of every amount."""
    return [(a.line, a.fiscal_year, a.stage, a.amount_yen, a.partial) for a in result.amounts]


def reasons(result: ExtractionResult) -> dict[int, list[str]]:
    """Report reasons by line."""
    out: dict[int, list[str]] = {}
    for r in result.report:
        out.setdefault(r.line, []).append(r.reason)
    return out

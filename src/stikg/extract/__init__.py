"""Text → records: programs, amounts, citations, organisations, funding flows, periods.

``extract_document(lines, doc_id, fiscal_year=None, kind=None, registry=None)`` runs the rules of
the genre (MEXT budget pamphlets: 概算要求, 予算案, 補正, 中長期目標変更, policy briefings) over one
document and returns an :class:`ExtractionResult`; nothing is keyed to a page, line or name of a
particular file.
"""

from __future__ import annotations

from stikg.extract.records import (
    AmountRecord,
    CitationRecord,
    ExtractionResult,
    FlowRecord,
    OrganizationRecord,
    PeriodRecord,
    ReportRow,
    UnresolvedRow,
)
from stikg.extract.run import extract_document

__all__ = [
    "AmountRecord",
    "CitationRecord",
    "ExtractionResult",
    "FlowRecord",
    "OrganizationRecord",
    "PeriodRecord",
    "ReportRow",
    "UnresolvedRow",
    "extract_document",
]

"""Web-copy boilerplate and the fiscal-year/stage context of each page.

Documents of the genre reach us two ways: the text of a PDF (one page after another) and web
copies of it, whose pages are excerpts separated by ``# ---- excerpt break ----`` and framed by
site lines (``08 …主要事項 -令和7年度科学技術関係概算要求- (8 ページ)``, ``出典``, ``公開元URL …``,
``出典情報 令和8年度予算政府案(12/26)《財務省》``, ``ページ画像`` …). Those lines are never
programs, never figures and never citations: :func:`boilerplate` finds them and the driver blanks
their folded text, so no extractor sees them (their ``printed`` form stays for quotes). An excerpt
break is a hard page break.

The fiscal year and stage of a figure are often printed once: beside it (``令和7年度要求・要望額
174億円``), in the page's budget header, in a web page's header or ``出典情報`` line, in the
document's title, or only in the catalog. :func:`page_contexts` gives every page its context and
says where it came from (``source``: ``header`` | ``page-title`` | ``source-line`` | ``document …``
(the document's own, and of which kind) | ``argument``, with the line), strongest first; ``--fiscal-year``/``--kind`` given on the command
line (``override``) replace what the text's titles and source lines say, but not the headers of
a page printed beside its figures.
"""

from __future__ import annotations

import re

from stikg.core.normalize import era_year
from stikg.extract.document import Context, WebFrame
from stikg.extract.records import ContextRecord

__all__ = ["ContextRecord", "assign_contexts", "mention_context", "web_frame"]

EXCERPT_BREAK = re.compile(r"^\s*#\s*-{2,}\s*excerpt break\s*-{2,}\s*$")
_COMMENT = re.compile(r"^\s*#\s*(?:source|partial text)\s*:", re.IGNORECASE)
_SITE_LINE = re.compile(
    r"^\s*[|｜]?\s*(?:出典\s*$|出典\s*[:：|｜]|公開元\s*URL|出典情報|ページ画像|低解像度画像|プレーンテキスト|よむ、つかう、まなぶ)"
)
_PAGE_HEADER = re.compile(r"^(?P<title>.{4,120}?)\s*[(（]\s*(?P<page>\d{1,4})\s*ページ\s*[)）]\s*$")
SOURCE_LINE = re.compile(r"^\s*[|｜]?\s*出典情報\s*[|｜]?\s*(?P<text>.+?)\s*[|｜]?\s*$")

# "令和7年度科学技術関係概算要求", "令和8年度予算政府案", "令和6年度補正予算", "令和8年度要求・要望額"
MENTION_RE = re.compile(
    r"(?P<era>令和|平成)\s*(?P<y>\d{1,2}|元)\s*年度[^。、\d()（）]{0,16}?"
    r"(?P<stage>概算要求|要求・要望|予算政府案|政府予算案|予算案|予算\s*[(（]\s*案\s*[)）]|補正予算|当初予算)"
)
MENTION_STAGE = {
    "概算要求": "request", "要求・要望": "request", "予算政府案": "budget_draft", "政府予算案": "budget_draft",
    "予算案": "budget_draft", "補正予算": "supplementary", "当初予算": "budget",
}


def mention_context(text: str) -> tuple[str, int] | None:
    """(stage, fiscal year) of the first budget mention of a title-like text, or None."""
    m = MENTION_RE.search(text)
    if not m:
        return None
    try:
        year = era_year(m["era"], 1 if m["y"] == "元" else int(m["y"]))
    except ValueError:
        return None
    stage_word = re.sub(r"\s", "", m["stage"]).replace("（", "(").replace("）", ")")
    stage = "budget_draft" if stage_word.startswith("予算(") else MENTION_STAGE[stage_word]
    return stage, year


def web_frame(lines: list[str]) -> WebFrame:
    """Find the web-copy frame of ``lines`` (folded text)."""
    boiler: set[int] = set()
    breaks: set[int] = set()
    titles: dict[int, str] = {}
    sources: dict[int, str] = {}
    at_top = True  # before the first content line of an excerpt: a (N ページ) line is its header
    for i, text in enumerate(lines):
        s = text.strip()
        if EXCERPT_BREAK.match(s):
            boiler.add(i)
            breaks.add(i + 1)
            at_top = True
            continue
        if not s:
            continue
        if _COMMENT.match(s) and i < 5:
            boiler.add(i)
            continue
        if _SITE_LINE.match(s):
            boiler.add(i)
            sm = SOURCE_LINE.match(s)
            if sm:
                sources[i] = sm["text"]
            continue
        pm = _PAGE_HEADER.match(s)
        if pm and at_top:
            boiler.add(i)
            titles[i] = pm["title"]
            continue
        at_top = False
    return WebFrame(frozenset(boiler), frozenset(b for b in breaks if b < len(lines)), titles, sources)


def _header_context(doc, page) -> Context | None:
    """The first budget header of a page (a line of stage labels, or a short label-and-figure line,
    whose label carries a fiscal year)."""
    from stikg.extract.document import (
        MAIN_STAGES,
        is_label_only,
        label_stage,
        label_year,
        labels,
        yen_matches,
    )

    for i in range(page.start, page.end):
        line = doc.lines[i]
        text = line.text
        if line.blank or "。" in text or text.lstrip().startswith(("※", "*", "(", "[", "（", "［")):
            continue
        for m in labels(text):
            stage, fy = label_stage(m), label_year(m)
            if fy is None or stage not in MAIN_STAGES + ("supplementary",):
                continue
            if is_label_only(text) or (yen_matches(text) and len(text.strip()) <= 60):
                return Context(stage, fy, "header", i + 1, line.printed.strip())
    return None


def assign_contexts(doc, fiscal_year: int | None, kind_stage: str | None, override: bool = False) -> list[int]:
    """Give every page of ``doc`` its :class:`Context` (see the module docstring); the document's
    own (``doc.stage``/``doc.fiscal_year``) is the fallback. Returns the first lines (1-based) of the
    pages with text whose context the text does not give (none at all, or only the arguments')."""
    frame = doc.frame
    argument = None
    if fiscal_year is not None and kind_stage:
        argument = Context(kind_stage, fiscal_year, "argument", None, f"--fiscal-year {fiscal_year} --kind")
    document = None
    if doc.stage and doc.fiscal_year is not None:
        source = doc.context_source or "argument"
        document = Context(doc.stage, doc.fiscal_year, source if source == "argument" else f"document {source}",
                           doc.context_line, doc.context_text or "")
    missing: list[int] = []
    for page in doc.pages:
        found: list[Context | None] = [_header_context(doc, page)]
        framed: list[Context | None] = []
        if frame is not None:
            for kind_name, lines in (("page-title", frame.titles), ("source-line", frame.source_lines)):
                for i in range(page.start, page.end):
                    if i in lines:
                        ctx = mention_context(lines[i])
                        if ctx:
                            framed.append(Context(ctx[0], ctx[1], kind_name, i + 1, doc.lines[i].printed.strip()))
                            break
        if override and argument is not None:
            found += [argument, *framed, document]
        else:
            found += [*framed, document, argument]
        page.context = next((c for c in found if c is not None), None)
        from_text = page.context is not None and page.context.source != "argument"
        if not from_text and any(not doc.lines[i].blank for i in range(page.start, page.end)):
            missing.append(page.start + 1)
    return missing

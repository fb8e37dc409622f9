"""Synthetic corpus of the genre at any size: ``stikg synth --programs N --years Y --out DIR``.

The generator writes a whole project root that ``stikg build --root DIR`` builds:

* ``sources/*.txt`` — one document per fiscal year × issuing office (a MEXT bureau's division, or
  another ministry's office), in the genre's own text form: program pages with their budget
  header in each printed layout of the real pamphlets (``令和7年度要求・要望額 52億円`` /
  ``(前年度予算額 7億円)``, the split PDF layout with labels and figures on separate lines,
  ``令和7年度予算額（案）``, ``令和6年度第1次補正予算額``, ``…：152億円（5年間）`` funds, ``の内数``,
  ``(新規)``, every unit — 億円, 百万円, 千万円, 千円, 万円 — with commas, decimals and full-width
  digits), sub-program lines, strategy citations (``【…（令和6年6月4日閣議決定）】``, a name with its
  decision on the next line, ``「…」（…閣議決定）等に基づき``, unquoted ``○…(…閣議決定)``, plain
  mentions), organisations with their roles (``…において``, ``…を中核とした``, ``…との連携``,
  ``…を通じて``, ``委託先：…``, ``※…運営費交付金の内数``), ``事業実施期間``, ``【事業スキーム】`` flows
  (``国 → AMED (補助金) → 大学等 (委託)``, and the multi-line diagram text) and the
  ``（担当：…）`` office line; documents of a draft-budget year open with a section page that lists
  every program (the summary list of the genre);
* ``sources/catalog.yaml``;
* ``mappings/registry/*.yaml`` — identity of everything the documents name (programs and their
  sub-programs and predecessors, offices, agencies, institutes, universities, strategy editions),
  so the graph has English labels and registry IRIs as the curated corpus does;
* ``ground-truth/<doc-stem>/{amounts,citations,organizations,flows}.csv`` — what was generated,
  in the gold format (``../shared/gold-dev/GOLD_FORMAT.md``): ``stikg eval ground-truth
  mappings/extracted --registry mappings/registry`` scores the extractor after a build;
* copies of the project's ``ontology/``, ``shapes/`` and ``queries/``.

Everything derives from ``--seed``: the same arguments (and the same ontology/shapes/queries)
give byte-identical files. A size whose build would not fit in memory is refused up front, with
the estimate (:func:`estimate`).

The package, in the order the corpus is made:

* :mod:`stikg.synth.vocabulary` — the name pools (fields, themes, offices, ministries, agencies,
  institutes, universities, strategies) and the constants every step shares;
* :mod:`stikg.synth.plan` — the plan: offices, programs with their lifetimes, amounts, schemes
  and organisations, strategy editions — decided before any text is written;
* :mod:`stikg.synth.render` — the printing: one document's text in the genre and its ground truth;
* :mod:`stikg.synth.registry` — the registry YAML, the catalog and the gold CSV;
* :mod:`stikg.synth.size` — the calibrated size model and the refusal of a size that would not fit;
* :mod:`stikg.synth.corpus` — rendering every document and writing the project root atomically.
"""

from __future__ import annotations

from stikg.synth.corpus import SynthResult, generate, render_corpus, tree_digest
from stikg.synth.plan import make_plan
from stikg.synth.size import Estimate, check_size, estimate
from stikg.synth.vocabulary import LAST_FISCAL_YEAR, MAX_YEARS, SynthError

__all__ = [
    "Estimate",
    "LAST_FISCAL_YEAR",
    "MAX_YEARS",
    "SynthError",
    "SynthResult",
    "check_size",
    "estimate",
    "generate",
    "make_plan",
    "render_corpus",
    "tree_digest",
]

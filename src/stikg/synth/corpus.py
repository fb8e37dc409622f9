"""Writing a synthetic corpus: the size checked first (:mod:`stikg.synth.size`), then every
document rendered in memory (:func:`render_corpus`), and the whole project root — documents,
catalog, registry, ground truth, README, marker and copies of the project's ontology, shapes and
queries — written into a staging directory, flushed and swapped in atomically (:func:`generate`).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from stikg import __version__
from stikg.core import atomic
from stikg.synth.plan import Plan, Program, make_plan
from stikg.synth.registry import catalog_text, gold_csv, registry_files
from stikg.synth.render import GOLD_COLUMNS, DocSpec, DocumentRenderer, DocWriter, document_kind
from stikg.synth.size import Estimate, check_size
from stikg.synth.vocabulary import SynthError

MARKER = ".stikg-synth.json"


# ------------------------------------------------------------------------------ generation
@dataclass
class SynthResult:
    """What was written."""

    out: Path
    documents: int
    lines: int
    rows: dict[str, int]
    estimate: Estimate


def render_corpus(plan: Plan, seed: int) -> tuple[list[DocSpec], dict[str, DocWriter]]:
    """Every document's text and ground truth (in memory)."""
    active: dict[tuple[int, str], list[Program]] = {}
    for p in plan.programs:
        for fy in range(max(p.start, plan.first), min(p.end, plan.last) + 1):
            active.setdefault((fy, p.office.id), []).append(p)
    specs: list[DocSpec] = []
    docs: dict[str, DocWriter] = {}
    for fy in range(plan.first, plan.last + 1):
        for office in plan.offices:
            programs = active.get((fy, office.id))
            if not programs:
                continue
            spec = DocSpec(fy, office, document_kind(seed, fy, office))
            specs.append(spec)
            docs[spec.id] = DocumentRenderer(spec, programs, plan.strategies, seed).render()
    return specs, docs


def _files(plan: Plan, seed: int, specs: list[DocSpec], docs: dict[str, DocWriter]) -> dict[str, str]:
    files: dict[str, str] = {}
    for spec in specs:
        writer = docs[spec.id]
        files[f"sources/{spec.id}"] = "\n".join(writer.lines) + "\n"
        for table in GOLD_COLUMNS:
            files[f"ground-truth/{spec.stem}/{table}.csv"] = gold_csv(getattr(writer.gold, table), table)
    files["sources/catalog.yaml"] = catalog_text(specs, seed)
    used = {s.office.id: s.office for s in specs}
    offices = [o for o in plan.offices if o.id in used]
    printed = set().union(*(d.printed for d in docs.values())) if docs else set()
    for name, text in registry_files(plan, offices, printed).items():
        files[f"mappings/registry/{name}"] = text
    return files


README = """# Synthetic stikg corpus

Written by `stikg synth --programs {programs} --years {years} --seed {seed}` (stikg {version}).
Every program, office and figure in `sources/` is invented, in the text form of the MEXT budget
pamphlets; `ground-truth/` holds what was generated, in the gold format.

```sh
stikg build --root .                       # extract, map, reason, validate → kg/
stikg eval ground-truth mappings/extracted --registry mappings/registry
```
"""


def generate(programs: int, years: int, out: Path, seed: int = 0, project: Path | None = None,
             max_memory: int | None = None) -> SynthResult:
    """Write a synthetic project root into ``out`` (replaced atomically as a whole)."""
    est = check_size(programs, years, max_memory)
    out = Path(out)
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MARKER).is_file())):
        raise SynthError("output exists and was not written by `stikg synth`; give a new or empty directory", out)
    project = Path(project) if project else _project_root()
    for folder in ("ontology", "shapes"):
        if not (project / folder).is_dir():
            raise SynthError(f"no {folder}/ to copy from the project", project / folder)
    plan = make_plan(programs, years, seed)
    specs, docs = render_corpus(plan, seed)
    files = _files(plan, seed, specs, docs)
    files["README.md"] = README.format(programs=programs, years=years, seed=seed, version=__version__)
    rows = {t: sum(len(getattr(d.gold, t)) for d in docs.values()) for t in GOLD_COLUMNS}
    lines = sum(len(d.lines) for d in docs.values())
    marker = {"generator": f"stikg {__version__}", "programs": programs, "years": years, "seed": seed,
              "first_fiscal_year": plan.first, "last_fiscal_year": plan.last, "documents": len(specs),
              "lines": lines, "ground_truth_rows": rows, "estimated_quads": est.quads}
    files[MARKER] = json.dumps(marker, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    atomic.recover_directory(out)
    with atomic.replace_directory(out) as staging:
        for rel, text in files.items():
            path = staging / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        for folder in ("ontology", "shapes", "queries"):
            if (project / folder).is_dir():
                shutil.copytree(project / folder, staging / folder,
                                ignore=shutil.ignore_patterns("__pycache__", "*.tmp", ".*"))
        _fsync_tree(staging)
    return SynthResult(out, len(specs), lines, rows, est)


def _project_root() -> Path:
    """The project whose ontology/shapes/queries the corpus uses: $STIKG_ROOT, the cwd's, else the
    checkout this package lives in."""
    from stikg.core.config import find_root

    root = find_root()
    if (root / "ontology").is_dir():
        return root
    return Path(__file__).resolve().parents[3]


def _fsync_tree(root: Path) -> None:
    """Flush every written file before the directory is swapped in."""
    for dirpath, _, filenames in os.walk(root):
        for name in filenames:
            fd = os.open(os.path.join(dirpath, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


def tree_digest(root: Path) -> str:
    """SHA-256 over every file's path and bytes (to check that two runs wrote the same corpus)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in Path(root).rglob("*") if p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()

"""The files beside the documents: the registry YAML (identity of everything the documents name),
``sources/catalog.yaml``, and the ground truth as gold-format CSV.
"""

from __future__ import annotations

import csv
import io
import json

from stikg.synth.plan import Office, Plan
from stikg.synth.render import GOLD_COLUMNS, DocSpec, era
from stikg.synth.vocabulary import (
    AGENCIES,
    BUREAUS,
    INSTITUTES,
    MINISTRIES,
    REGISTRY_ORGANS,
    UNIVERSITIES,
    Org,
)


# ------------------------------------------------------------------------- registry, catalog
def _yaml(value: object) -> str:
    """A YAML scalar (JSON strings are valid YAML double-quoted scalars)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return json.dumps(str(value), ensure_ascii=False)


def _entries_yaml(header: str, entries: list[dict]) -> str:
    out = [header.rstrip() + "\n"]
    for entry in entries:
        first = True
        for key, value in entry.items():
            if value is None or value == []:
                continue
            lead = "- " if first else "  "
            first = False
            if isinstance(value, list):
                out.append(f"{lead}{key}:\n" + "".join(f"    - {_yaml(v)}\n" for v in value))
            else:
                out.append(f"{lead}{key}: {_yaml(value)}\n")
        out.append("\n")
    return "".join(out)


def _org_entry(org: Org, parent: str | None = None) -> dict:
    return {"id": org[0], "name_ja": org[1], "name_en": org[2], "type": org[3], "parent": parent,
            "short_name": org[4], "aliases": list(org[5])}


def registry_files(plan: Plan, offices_used: list[Office], printed: set[str]) -> dict[str, str]:
    """The four registry YAML files of the synthetic corpus."""
    note = "# Synthetic registry written by `stikg synth` (identity of what the synthetic documents name).\n"
    parents = {"cabinet-office": "cabinet", "integrated-innovation-strategy-promotion-council": "cabinet",
               "csti": "cabinet-office"}
    orgs: list[dict] = [_org_entry(o, parents.get(o[0])) for o in (*REGISTRY_ORGANS, *MINISTRIES)]
    for ministry_id, _, bureau_id, bureau, bureau_en in BUREAUS:
        ministry = next(m for m in MINISTRIES if m[0] == ministry_id)
        orgs.append({"id": bureau_id, "name_ja": bureau, "name_en": f"{bureau_en}, {ministry[2]}", "type": "bureau",
                     "parent": ministry_id, "aliases": [f"{ministry[1]}{bureau}"]})
    for office in offices_used:
        orgs.append({"id": office.id, "name_ja": office.name, "name_en": office.name_en, "type": "office",
                     "parent": office.bureau_id, "aliases": [f"{office.ministry}{office.name}"]})
    orgs += [_org_entry(o) for o in (*AGENCIES, *INSTITUTES)]
    orgs += [{"id": u[0], "name_ja": u[1], "name_en": u[2], "type": "university"} for u in UNIVERSITIES]

    programs: list[dict] = []
    for office in offices_used:
        for section_id, name, name_en in office.sections:
            programs.append({"id": section_id, "name_ja": name, "name_en": name_en,
                             "note": "budget section (施策の柱) whose page lists its programs"})
    for p in plan.programs:
        programs.append({"id": p.id, "name_ja": p.name, "name_en": p.name_en, "short_name": p.short,
                         "predecessors": [p.predecessor] if p.predecessor else []})
        for sub in (s for s in p.subs if s.id in printed):
            programs.append({"id": sub.id, "name_ja": sub.name, "name_en": sub.name_en, "parent": p.id})
        for fund_id, name, name_en, _, _ in (f for f in p.funds.values() if f[0] in printed):
            programs.append({"id": fund_id, "name_ja": name, "name_en": name_en, "parent": p.id})

    strategies: list[dict] = []
    previous: dict[str, str] = {}
    for s in sorted(plan.strategies, key=lambda s: (s[4] or s[0], s[6])):
        strategies.append({"id": s[0], "name_ja": s[1], "name_en": s[2], "type": s[3], "series": s[4],
                           "edition_year": s[5] if s[4] else None, "decision_date": s[6], "decided_by": s[7],
                           "previous_edition": previous.get(s[4]) if s[4] else None})
        if s[4]:
            previous[s[4]] = s[0]
    return {
        "organizations.yaml": _entries_yaml(note, orgs),
        "programs.yaml": _entries_yaml(note, programs),
        "strategies.yaml": _entries_yaml(note, sorted(strategies, key=lambda e: e["id"])),
        "hubs.yaml": note + "[]\n",
    }


def catalog_text(specs: list[DocSpec], seed: int) -> str:
    out = ["# Synthetic corpus written by `stikg synth` (documents in the genre of the MEXT budget pamphlets;\n"
           "# every program, figure and office in them is invented).\n\ndocuments:\n"]
    for spec in sorted(specs, key=lambda s: s.id):
        o = spec.office
        if spec.kind == "budget_request":
            title = f"{era(spec.fy)}年度概算要求 {o.ministry}{o.name} 主要事項"
            title_en = f"FY{spec.fy} budget request: {o.name_en}"
        else:
            title = f"{era(spec.fy)}年度予算（案）の概要 {o.ministry}{o.name}"
            title_en = f"FY{spec.fy} draft budget: {o.name_en}"
        fields = {"id": spec.id, "title_ja": title, "title_en": title_en, "issuer": f"{o.ministry}{o.name}",
                  "issuer_org": o.id, "date": spec.date, "fiscal_year": spec.fy, "kind": spec.kind,
                  "origin": f"stikg synth (synthetic document, seed {seed})"}
        out.append("  - " + "\n    ".join(f"{k}: {_yaml(v)}" for k, v in fields.items()) + "\n\n")
    return "".join(out)


def gold_csv(rows: list[tuple], table: str) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(GOLD_COLUMNS[table])
    for row in sorted(rows, key=lambda r: (r[1], *map(str, r[2:]))):
        writer.writerow(["true" if v is True else "false" if v is False else v for v in row])
    return buf.getvalue()

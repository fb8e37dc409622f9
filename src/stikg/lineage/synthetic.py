"""A made-up lineage for benchmarks and tests."""

from __future__ import annotations

from stikg.lineage.data import (
    AGENCY_ROLES,
    Amount,
    CitationRow,
    Entity,
    FlowRow,
    HubRow,
    LineageData,
    RoleRow,
    budgets_of_amounts,
    normalise,
)

# ----------------------------------------------------------------------------------- synthetic


def synthetic_lineage(nodes: int = 5000, seed: int = 7, base: str | None = None) -> LineageData:
    """A made-up lineage of about ``nodes`` nodes (4 % strategies in edition series, 60 % programs
    with sub-programs and predecessors, 28 % organisations, 8 % hubs) for benchmarks and tests."""
    import random

    from stikg.core.config import base_iri

    base = base or base_iri()
    rnd = random.Random(seed)
    data = LineageData()
    n_str, n_prog, n_org = max(2, nodes * 4 // 100), max(2, nodes * 60 // 100), max(4, nodes * 28 // 100)
    n_hub = max(1, nodes - n_str - n_prog - n_org)
    strategies = [f"{base}strategy/s{i}" for i in range(n_str)]
    programs = [f"{base}program/p{i}" for i in range(n_prog)]
    orgs = [f"{base}organization/o{i}" for i in range(n_org)]
    hubs = [f"{base}hub/h{i}" for i in range(n_hub)]
    org_types = ["funding_agency", "bureau", "ministry", "research_institute", "university", "university", "company"]
    for i, s in enumerate(strategies):
        data.entities[s] = Entity(s, "strategy", f"戦略{i // 5}-{2020 + i % 5}", f"Strategy {i // 5} ({2020 + i % 5})",
                                  (), "strategy", 2020 + i % 5)
        if i % 5:
            data.links.append((strategies[i - 1], "next_edition", s))
    for i, p in enumerate(programs):
        data.entities[p] = Entity(p, "program", f"事業{i}", f"Program {i}")
    for i, o in enumerate(orgs):
        data.entities[o] = Entity(o, "organization", f"機関{i}", f"Organisation {i}", (), org_types[i % len(org_types)])
    for i, h in enumerate(hubs):
        data.entities[h] = Entity(h, "hub", f"拠点{i}", f"Hub {i}")
    agencies_ = orgs[: max(2, n_org // 10)]
    recipients = orgs[len(agencies_):] or orgs
    doc = "000_synthetic.txt"
    line = 0
    for i, p in enumerate(programs):
        line += 1
        if i % 7 == 3 and i > 10:
            data.links.append((programs[rnd.randrange(i)], "subprogram", p))
        if i % 11 == 5 and i > 10:
            data.links.append((programs[rnd.randrange(i)], "successor", p))
        for s in rnd.sample(strategies, k=min(len(strategies), rnd.choice((1, 1, 2)))):
            data.citations.append(CitationRow(p, s, doc, line))
        data.roles.append(RoleRow(p, agencies_[i % len(agencies_)], rnd.choice(AGENCY_ROLES), doc, line))
        data.roles.append(RoleRow(p, recipients[i % len(recipients)], rnd.choice(("recipient", "partner", "host")),
                                  doc, line))
        yen = rnd.randrange(1, 2000) * 10**8
        for year, stage in ((2023, "budget"), (2024, "budget"), (2025, "request")):
            data.amounts.append(Amount(p, year, stage, yen + rnd.randrange(0, 50) * 10**7, False, doc, line))
        if i % 3 == 0:
            data.flows.append(FlowRow(p, rnd.choice(agencies_), rnd.choice(recipients), "委託", doc, line))
        data.quotes[(doc, line)] = f"事業{i}（令和7年度要求額 {yen // 10**8}億円）"
    for h in hubs:
        data.hubs.append(HubRow(h, rnd.choice(recipients), rnd.choice(programs)))
    data.budgets = budgets_of_amounts(data)
    return normalise(data)

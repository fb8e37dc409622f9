"""Mapping: extraction records + registry + catalog → RDF triples, one named graph per source.

The rules here are the declarative heart of the pipeline, kept as small functions, one per record
type. Identity comes from the registry (names, aliases, types, lineage); every fact (amount,
citation, role, flow, period) comes from a document and carries its evidence: the document, the
1-based line and the line's text.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SKOS, XSD

from stikg.inputs.corpus import CatalogEntry, Document
from stikg.rdf import vocab
from stikg.rdf.vocab import CITO, ORG, SCHEMA, STIKG, Triple

LICENSE_DATA = URIRef("https://www.digital.go.jp/resources/open_data/public_data_license_v1.0")
GOV_TERMS = URIRef("https://www.digital.go.jp/resources/open_data")

_KIND_CLASS = {"program": "Program", "strategy": "Strategy", "organization": "Organization", "hub": "Hub"}


def ja(text: str) -> Literal:
    return Literal(text, lang="ja")


def en(text: str) -> Literal:
    return Literal(text, lang="en")


def integer(value: int) -> Literal:
    return Literal(int(value), datatype=XSD.integer)


def boolean(value: bool) -> Literal:
    return Literal(bool(value), datatype=XSD.boolean)


def date_literal(text: str) -> Literal:
    """``YYYY-MM-DD`` → xsd:date, ``YYYY-MM`` → xsd:gYearMonth, ``YYYY`` → xsd:gYear."""
    if len(text) == 10:
        return Literal(text, datatype=XSD.date)
    if len(text) == 7:
        return Literal(text, datatype=XSD.gYearMonth)
    return Literal(text, datatype=XSD.gYear)


@dataclass
class Unresolved:
    """A printed name the registry does not know (a curation candidate)."""

    doc: str
    line: int
    kind: str
    name: str


@dataclass
class MappedDocument:
    """The triples of one document's named graph and what could not be resolved."""

    stem: str
    triples: set[Triple] = field(default_factory=set)
    unresolved: list[Unresolved] = field(default_factory=list)
    # Records not mapped because their program could not be identified: (table, line).
    unmapped: list[tuple[str, int]] = field(default_factory=list)


class Mapper:
    """Turns records into triples, resolving names through the registry (may be ``None``)."""

    def __init__(self, registry=None):
        self.registry = registry

    # ---- identity ---------------------------------------------------------------------------
    def resolve(self, kind: str, printed: str) -> tuple[URIRef, bool]:
        """IRI for a printed name, and whether the registry knew it."""
        printed = printed.strip()
        if self.registry is not None:
            entry = self.registry.resolve(kind, printed)
            if entry is not None:
                return vocab.entity(kind, entry.id), True
        return vocab.unregistered(kind, printed), False

    def _name(self, out: MappedDocument, kind: str, printed: str, doc: str, line: int) -> URIRef:
        iri, known = self.resolve(kind, printed)
        if not known:
            cls = STIKG[_KIND_CLASS[kind]]
            out.triples.add((iri, RDF.type, cls))
            out.triples.add((iri, RDFS.label, ja(printed)))
            out.triples.add((iri, SKOS.prefLabel, ja(printed)))
            out.unresolved.append(Unresolved(doc, line, kind, printed))
        return iri

    def program(self, out: MappedDocument, printed: str, doc: str, line: int) -> URIRef:
        """The program node of a record; ``Parent > Child`` gives the child, linked to its parent."""
        parts = [p.strip() for p in printed.split(" > ") if p.strip()]
        parent: URIRef | None = None
        node: URIRef | None = None
        for part in parts:
            node = self._name(out, "program", part, doc, line)
            if parent is not None and node != parent:
                out.triples.add((node, STIKG.subProgramOf, parent))
            parent = node
        if node is None:
            raise ValueError(f"{doc}:{line}: empty program name")
        return node

    # ---- evidence ---------------------------------------------------------------------------
    def evidence(self, out: MappedDocument, document: Document, line: int) -> URIRef:
        quote = document.lines[line - 1].strip() if 0 < line <= len(document.lines) else ""
        iri = vocab.entity("evidence", f"{out.stem}/{vocab.digest(line, quote, length=12)}")
        doc_iri = vocab.document_iri(out.stem)
        out.triples.update({
            (iri, RDF.type, STIKG.Evidence),
            (iri, STIKG.sourceDocument, doc_iri),
            (iri, STIKG.line, integer(line)),
            (iri, STIKG.quote, Literal(quote)),
        })
        return iri

    def _fact(self, out: MappedDocument, document: Document, kind: str, cls: URIRef,
              identity: Iterable[object], line: int) -> URIRef:
        iri = vocab.entity(kind, vocab.digest(out.stem, *identity))
        out.triples.update({
            (iri, RDF.type, cls),
            (iri, STIKG.reportedIn, vocab.document_iri(out.stem)),
            (iri, STIKG.hasEvidence, self.evidence(out, document, line)),
        })
        return iri

    # ---- facts ------------------------------------------------------------------------------
    def map_document(self, document: Document, extraction) -> MappedDocument:
        """All facts of one document: amounts, citations, roles, flows and periods."""
        out = MappedDocument(stem=document.entry.stem)
        doc = document.entry.id
        tables = (("amounts", self._amount), ("citations", self._citation),
                  ("organizations", self._role), ("flows", self._flow), ("periods", self._period))
        for table, rule in tables:
            for rec in getattr(extraction, table, ()):
                if not rec.program.strip(" >"):
                    # A fact about no known program is kept in the extraction CSVs and the report,
                    # never attached to an invented node.
                    out.unmapped.append((table, rec.line))
                    continue
                rule(out, document, doc, rec)
        self._page_components(out, doc, extraction)
        return out

    def _page_components(self, out: MappedDocument, doc: str, extraction) -> None:
        """Programmes listed with their own figure on another programme's page are its components.

        A program page (its context read from the page's own budget header, e.g. 健康・医療分野の
        研究開発の推進 令和7年度要求・要望額 973億円) lists items with figures (脳神経科学統合プログラム
        75億円 …) that the headline includes; measured on the corpus, their sums never exceed it.
        So an item becomes ``subProgramOf`` the page's programme when its figure (same year and
        stage, not の内数) is at most the headline's, the registry gives it no parent, and the link
        would not close a cycle. Totals then count it once (stikg.rdf.budget_facts).
        """
        amounts = [a for a in getattr(extraction, "amounts", ()) if a.amount_yen is not None and not a.partial
                   and a.fiscal_year is not None and a.program.strip(" >")]
        for page in getattr(extraction, "contexts", ()):
            head = page.program.strip()
            if page.source != "header" or not head or " > " in head:
                continue
            on_page = [a for a in amounts if page.first_line <= a.line <= page.last_line]
            headline: dict[tuple[int, str], int] = {}
            for a in on_page:
                if a.program.strip() == head:
                    key = (a.fiscal_year, vocab.STAGE_OF_RECORD.get(a.stage, "other"))
                    headline[key] = max(headline.get(key, 0), a.amount_yen)
            if not headline:
                continue
            parent = self.program(out, head, doc, page.line or page.first_line)
            for a in on_page:
                name = a.program.strip()
                limit = headline.get((a.fiscal_year, vocab.STAGE_OF_RECORD.get(a.stage, "other")))
                if name == head or " > " in name or limit is None or a.amount_yen > limit:
                    continue
                if self._registry_parent(name) is not None:
                    continue
                child = self.program(out, name, doc, a.line)
                if child == parent or (parent, STIKG.subProgramOf, child) in out.triples:
                    continue
                out.triples.add((child, STIKG.subProgramOf, parent))

    def _registry_parent(self, printed: str) -> str | None:
        """The parent the registry gives a programme name (None when unknown or parentless)."""
        if self.registry is None:
            return None
        entry = self.registry.resolve("program", printed)
        return str(entry.data["parent"]) if entry is not None and entry.data.get("parent") else None

    def _amount(self, out: MappedDocument, document: Document, doc: str, rec) -> None:
        stage = vocab.STAGE_OF_RECORD.get(rec.stage, "other")
        program = self.program(out, rec.program, doc, rec.line)
        amount = rec.amount_yen
        identity = (program, rec.fiscal_year, stage, amount, rec.amount_text if amount is None else "",
                    bool(rec.partial), getattr(rec, "supplementary_round", None))
        iri = self._fact(out, document, "allocation", STIKG.BudgetAllocation, identity, rec.line)
        t = out.triples
        t.update({
            (iri, STIKG.forProgram, program),
            (program, STIKG.hasBudgetAllocation, iri),
            (iri, STIKG.budgetStage, vocab.stage_concept(stage)),
            (iri, STIKG.isPartial, boolean(rec.partial)),
            (iri, STIKG.amountText, Literal(rec.amount_text)),
        })
        if rec.fiscal_year is not None:
            t.add((iri, STIKG.fiscalYear, integer(rec.fiscal_year)))
        if amount is not None:
            t.add((iri, STIKG.amountYen, integer(amount)))
        if getattr(rec, "supplementary_round", None):
            t.add((iri, STIKG.supplementaryRound, integer(rec.supplementary_round)))
        if getattr(rec, "fund_years", None):
            t.add((iri, STIKG.fundYears, integer(rec.fund_years)))
        if getattr(rec, "is_new", False):
            t.add((iri, STIKG.isNew, boolean(True)))
        if getattr(rec, "note", ""):
            t.add((iri, RDFS.comment, Literal(rec.note)))

    def _citation(self, out: MappedDocument, document: Document, doc: str, rec) -> None:
        program = self.program(out, rec.program, doc, rec.line)
        strategy = self._strategy(out, rec, doc)
        iri = self._fact(out, document, "citation", STIKG.Citation, (program, strategy), rec.line)
        t = out.triples
        t.update({(iri, STIKG.citingProgram, program), (iri, STIKG.citedBasis, strategy),
                  (program, STIKG.restsOn, strategy)})
        if self._basis_kind(rec) in vocab.STRATEGY_KINDS:
            t.update({(iri, STIKG.citedStrategy, strategy), (program, CITO.citesAsAuthority, strategy)})
        if getattr(rec, "article", ""):
            t.add((iri, STIKG.article, Literal(rec.article)))
        if rec.strategy_text:
            t.add((iri, STIKG.strategyText, Literal(rec.strategy_text)))
        if rec.decision_date:
            t.add((iri, STIKG.printedDecisionDate, date_literal(rec.decision_date)))
        if rec.decision_body:
            t.add((iri, STIKG.printedDecisionBody, Literal(rec.decision_body)))

    def _basis_kind(self, rec) -> str:
        """The kind of the cited basis: the registry's type when it knows the name, else the extractor's."""
        if self.registry is not None:
            entry = self.registry.resolve("strategy", rec.strategy)
            if entry is not None:
                return str(entry.data.get("type") or "strategy")
        kind = getattr(rec, "basis_kind", "") or "strategy"
        return kind if kind in vocab.BASIS_CLASSES else "strategy"

    def _strategy(self, out: MappedDocument, rec, doc: str) -> URIRef:
        """The cited basis; a series name printed with its decision date picks that edition. A name
        the registry does not know gets the class of the kind the extractor read (a law, a plan …)."""
        if self.registry is not None and rec.decision_date and self.registry.resolve("strategy", rec.strategy) is None:
            entry = self.registry.resolve("strategy", f"{rec.strategy}（{rec.decision_date}）")
            if entry is not None:
                return vocab.entity("strategy", entry.id)
        iri = self._name(out, "strategy", rec.strategy, doc, rec.line)
        kind = self._basis_kind(rec)
        if kind != "strategy" and (self.registry is None or self.registry.resolve("strategy", rec.strategy) is None):
            if kind not in vocab.STRATEGY_KINDS:
                out.triples.discard((iri, RDF.type, STIKG.Strategy))
            out.triples.update({(iri, RDF.type, STIKG[vocab.BASIS_CLASSES[kind]]),
                                (iri, STIKG.strategyType, Literal(kind))})
        return iri

    _ROLE_SHORTCUT = {"funding_agency": STIKG.fundedBy, "implementer": STIKG.implementedBy,
                      "bureau": STIKG.managedBy}

    def _role(self, out: MappedDocument, document: Document, doc: str, rec) -> None:
        program = self.program(out, rec.program, doc, rec.line)
        org = self._name(out, "organization", rec.organization, doc, rec.line)
        role = rec.role if rec.role in vocab.ROLES else "partner"
        iri = self._fact(out, document, "role", STIKG.OrganizationRole, (program, org, role), rec.line)
        out.triples.update({
            (iri, STIKG.forProgram, program),
            (iri, STIKG.organization, org),
            (iri, STIKG.role, vocab.role_concept(role)),
            (iri, STIKG.printedName, Literal(rec.organization)),
        })
        shortcut = self._ROLE_SHORTCUT.get(role)
        if shortcut is not None:
            out.triples.add((program, shortcut, org))

    def _flow(self, out: MappedDocument, document: Document, doc: str, rec) -> None:
        program = self.program(out, rec.program, doc, rec.line)
        source = self._name(out, "organization", rec.from_org, doc, rec.line)
        target = self._name(out, "organization", rec.to_org, doc, rec.line)
        instrument = vocab.instrument_concept(rec.instrument)
        iri = self._fact(out, document, "flow", STIKG.FundingFlow,
                         (program, source, target, instrument), rec.line)
        out.triples.update({
            (iri, STIKG.forProgram, program),
            (iri, STIKG.fromOrganization, source),
            (iri, STIKG.toOrganization, target),
            (iri, STIKG.fundingInstrument, instrument),
        })

    def _period(self, out: MappedDocument, document: Document, doc: str, rec) -> None:
        program = self.program(out, rec.program, doc, rec.line)
        iri = self._fact(out, document, "period", STIKG.ProgramPeriod,
                         (program, rec.start_fiscal_year, rec.end_fiscal_year), rec.line)
        out.triples.add((iri, STIKG.forProgram, program))
        if rec.start_fiscal_year is not None:
            out.triples.add((iri, STIKG.startFiscalYear, integer(rec.start_fiscal_year)))
        if rec.end_fiscal_year is not None:
            out.triples.add((iri, STIKG.endFiscalYear, integer(rec.end_fiscal_year)))
        if getattr(rec, "text", ""):
            out.triples.add((iri, RDFS.comment, Literal(rec.text)))

    # ---- catalog and registry ---------------------------------------------------------------
    def map_catalog(self, entries: Iterable[CatalogEntry]) -> set[Triple]:
        """Each catalogued document as a SourceDocument with title, date, kind and licence."""
        t: set[Triple] = set()
        for e in entries:
            d = vocab.document_iri(e.stem)
            t.update({
                (d, RDF.type, STIKG.SourceDocument),
                (d, STIKG.fileName, Literal(e.id)),
                (d, DCTERMS.title, ja(e.title_ja)),
                (d, DCTERMS.title, en(e.title_en)),
                (d, RDFS.label, ja(e.title_ja)),
                (d, RDFS.label, en(e.title_en)),
                (d, DCTERMS.issued, date_literal(e.date)),
                (d, STIKG.fiscalYear, integer(e.fiscal_year)),
                (d, STIKG.documentKind, vocab.kind_concept(e.kind)),
                (d, DCTERMS.source, Literal(e.origin)),
                (d, DCTERMS.license, GOV_TERMS),
                (d, DCTERMS.rights, Literal(vocab.rights_statement(e.issuer))),
                (d, STIKG.issuerText, Literal(e.issuer)),
            })
            if e.issuer_org:
                t.add((d, DCTERMS.publisher, self._registry_iri("organization", e.issuer_org)))
            if e.partial_text:
                t.add((d, STIKG.partialText, Literal(True)))
            if e.source_url:
                t.add((d, SCHEMA.url, Literal(e.source_url, datatype=XSD.anyURI)))
            for url in e.copy_urls:
                t.add((d, PROV.wasDerivedFrom, URIRef(url)))
            if e.note:
                t.add((d, RDFS.comment, Literal(e.note)))
        return t

    def _registry_iri(self, kind: str, ident: str) -> URIRef:
        return vocab.entity(kind, ident)

    def map_registry(self) -> set[Triple]:
        """Identity from the registry: types, ja/en labels, aliases, hierarchy and lineage."""
        t: set[Triple] = set()
        if self.registry is None:
            return t
        for kind in ("strategy", "organization", "program", "hub"):
            for e in self.registry.entries(kind):
                s = vocab.entity(kind, e.id)
                data = e.data
                cls = _KIND_CLASS[kind]
                if kind == "strategy":
                    basis = str(data.get("type") or "strategy")
                    cls = vocab.BASIS_CLASSES.get(basis, "Strategy")
                    if basis in vocab.STRATEGY_KINDS and cls != "Strategy":
                        t.add((s, RDF.type, STIKG.Strategy))  # asserted too: strategy queries need no reasoner
                if kind == "organization":
                    cls = vocab.ORG_CLASSES.get(str(data.get("type", "other")), "Organization")
                t.update({
                    (s, RDF.type, STIKG[cls]),
                    (s, RDFS.label, ja(e.name_ja)), (s, RDFS.label, en(e.name_en)),
                    (s, SKOS.prefLabel, ja(e.name_ja)), (s, SKOS.prefLabel, en(e.name_en)),
                })
                for alias in e.aliases:
                    if alias != e.name_ja:
                        t.add((s, SKOS.altLabel, ja(alias)))
                if data.get("short_name"):
                    t.add((s, STIKG.shortName, Literal(str(data["short_name"]))))
                if data.get("note"):
                    t.add((s, RDFS.comment, Literal(str(data["note"]))))
                t.update(self._registry_links(kind, s, data))
        return t

    def _registry_links(self, kind: str, s: URIRef, data: dict) -> set[Triple]:
        t: set[Triple] = set()
        e = vocab.entity
        if kind == "strategy":
            if data.get("edition_year"):
                t.add((s, STIKG.editionYear, integer(data["edition_year"])))
            if data.get("decision_date"):
                t.add((s, STIKG.decisionDate, date_literal(str(data["decision_date"]))))
            if data.get("decided_by"):
                t.add((s, STIKG.decidedBy, e("organization", data["decided_by"])))
            if data.get("previous_edition"):
                prev = e("strategy", data["previous_edition"])
                t.add((s, STIKG.previousEdition, prev))
                t.add((prev, STIKG.nextEdition, s))
            if data.get("type"):
                t.add((s, STIKG.strategyType, Literal(str(data["type"]))))
        elif kind == "organization":
            if data.get("parent"):
                parent = e("organization", data["parent"])
                t.add((s, ORG.subOrganizationOf, parent))
                t.add((parent, ORG.hasSubOrganization, s))
        elif kind == "program":
            if data.get("parent"):
                parent = e("program", data["parent"])
                t.add((s, STIKG.subProgramOf, parent))
                t.add((parent, STIKG.hasSubProgram, s))
            for pred in data.get("predecessors") or ():
                p = e("program", pred)
                t.add((s, STIKG.predecessor, p))
                t.add((p, STIKG.successor, s))
        elif kind == "hub":
            if data.get("host"):
                t.add((s, STIKG.hostedBy, e("organization", data["host"])))
            if data.get("program"):
                t.add((s, STIKG.hubOfProgram, e("program", data["program"])))
        return t


def sub_program_inverses(triples: Iterable[Triple]) -> set[Triple]:
    """The ``hasSubProgram`` inverse of each asserted ``subProgramOf`` (kept with the assertion)."""
    return {(o, STIKG.hasSubProgram, s) for s, p, o in triples if p == STIKG.subProgramOf}


__all__ = ["Mapper", "MappedDocument", "Unresolved", "sub_program_inverses"]

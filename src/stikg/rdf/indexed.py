"""Named graphs indexed once for every serialiser (:class:`Indexed`).

Terms are numbered in N-Triples order and each graph's triples become sorted integers, so one
sort per graph serves every file of ``kg/`` (Turtle, TriG, N-Quads, JSON-LD, the merged graph and
VoID's counts); see :class:`Indexed` for why, and :mod:`stikg.rdf.term_forms` for the text of
each term. The output is byte for byte what straightforward writers give
(tests/test_serialize_indexed.py).
"""

from __future__ import annotations

import gc
import itertools
import json
import operator
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from json.encoder import encode_basestring
from typing import Generic, TypeVar

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import RDF

from stikg.rdf.term_forms import (
    iri_nt,
    jsonld_context,
    jsonld_literal,
    jsonld_value,
    literal_nt,
    object_form,
    prefix_header,
    short_iri,
    term_nt,
)
from stikg.rdf.vocab import Triple

_RDF_TYPE = RDF.type

_KIND: dict[type, int] = {URIRef: 0, Literal: 1}  # exact types; anything else is kind 2
_kind_of: Callable[[type, int], int] = _KIND.get
_next_id: Callable[[Iterator[int]], int] = next
_LANGUAGE, _DATATYPE = operator.attrgetter("_language"), operator.attrgetter("_datatype")


class _Ids:
    """Provisional term ids (arbitrary numbers; ranks come from the N-Triples forms later),
    found with C loops only.

    rdflib's ``__eq__`` (and Literal's ``__hash__``) are Python functions, and a dict keyed by
    terms calls one for nearly every one of a million lookups. So an IRI is looked up by its plain
    string and a literal by (lexical form, language, datatype): these hash and compare in C.
    Other terms (blank nodes, subclasses of the term types) are looked up by themselves.
    """

    def __init__(self):
        self.counter = itertools.count()
        self.iri_ids: defaultdict = defaultdict(self.counter.__next__)  # IRI string → id
        self.literal_ids: defaultdict = defaultdict(self.counter.__next__)
        self.other_ids: defaultdict = defaultdict(self.counter.__next__)
        self.literals: dict = {}  # id → a literal with that id

    def shared_column(self, column: tuple) -> list[int]:
        """The id of each term of ``column``, a column whose terms are mostly shared objects (a
        subject's IRI is one object in all of its triples): each distinct object is looked up
        once, found again by identity (``id()``, an int)."""
        objects = list(map(id, column))
        distinct = dict(zip(objects, column, strict=True))
        of_object = dict(zip(distinct, self.column(tuple(distinct.values())), strict=True))
        return list(map(of_object.__getitem__, objects))

    def column(self, column: tuple) -> list[int]:
        """The id of each term of ``column``."""
        kinds = list(map(_kind_of, map(type, column), itertools.repeat(2)))
        if kinds.count(0) == len(kinds):
            return list(map(self.iri_ids.__getitem__, map(str, column)))
        iris = itertools.compress(column, map(operator.not_, kinds))
        literals = list(itertools.compress(column, map(operator.eq, kinds, itertools.repeat(1))))
        others = itertools.compress(column, map(operator.eq, kinds, itertools.repeat(2)))
        of_literals = list(map(self.literal_ids.__getitem__, zip(map(str, literals), map(_LANGUAGE, literals),
                                                                 map(_DATATYPE, literals), strict=True)))
        self.literals.update(zip(of_literals, literals, strict=True))
        parts = (map(self.iri_ids.__getitem__, map(str, iris)), iter(of_literals),
                 map(self.other_ids.__getitem__, others))
        return list(map(_next_id, map(parts.__getitem__, kinds)))

    def terms(self) -> tuple[list, list[str]]:
        """Every id's term and N-Triples form. IRIs are made again from their strings, as
        ``URIRef(text)`` would (without its validity warning: the graph's IRIs were checked when
        they were made)."""
        count = len(self.iri_ids) + len(self.literal_ids) + len(self.other_ids)
        terms: list = [None] * count
        forms: list = [None] * count
        new_iri = str.__new__
        for text, i in self.iri_ids.items():
            terms[i], forms[i] = new_iri(URIRef, text), iri_nt(text)
        for i, term in self.literals.items():
            terms[i], forms[i] = term, literal_nt(term)
        for term, i in self.other_ids.items():
            terms[i], forms[i] = term, term_nt(term)
        return terms, forms


class _paused_gc:
    """Pause the cyclic garbage collector: the millions of tuples, ints and strings made while
    serialising are not garbage, and scanning them repeatedly costs a large share of the time."""

    def __enter__(self):
        self.enabled = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc):
        if self.enabled:
            gc.enable()


N = TypeVar("N", bound=Hashable)  # a graph's name: its IRI, or "" for the one graph of a plain file
# Per rank: subject form, its prefixes, object form, its prefixes; per predicate slot: form, prefixes.
TurtleForms = tuple[list[str], list[frozenset[str]], list[str], list[frozenset[str]],
                    dict[int, str], dict[int, frozenset[str]]]
# Per rank: JSON as node id, as value, as "@type" (IRIs only); per predicate slot: the key.
JsonldForms = tuple[list[str], list[str], list[str | None], dict[int, str]]
# Distinct triples, ranks of their subjects, triples per predicate slot, per rdf:type object rank.
Summary = tuple[int, set[int], Counter[int], Counter[int]]


class Indexed(Generic[N]):
    """Named graphs indexed once for every serialiser: terms numbered in N-Triples order, each
    graph's triples as sorted integers.

    A term's rank is the position of its N-Triples form among all distinct forms, so comparing
    ranks compares forms: a triple's key ``(rank(s), rank(p) + 1 or 0 for rdf:type, rank(o))``
    packed into one integer sorts exactly as :func:`sorted_triples`' key. Sorting integers is much
    cheaper than sorting tuples of strings, each term's forms (N-Triples, Turtle, JSON-LD) are made
    once however often it occurs, and one index serves every format, so the ``kg/`` writer sorts
    each graph once instead of once per file. The output is byte for byte what the straightforward
    serialisers give (tests/test_serialize_indexed.py compares them). One difference, where those
    were not deterministic: literals rdflib calls equal but writes differently (language tags that
    differ only in case) in different graphs are kept apart here, each written as it is; the
    straightforward writers wrote the form of whichever they had met first.
    """

    def __init__(self, graphs: Mapping[N, Iterable[Triple]]):
        with _paused_gc():
            rows = {name: list(zip(*triples, strict=True)) if triples else [(), (), ()]
                    for name, triples in graphs.items()}
            ids = _Ids()
            columns = {name: (ids.shared_column(ss), ids.column(ps), ids.column(os_))
                       for name, (ss, ps, os_) in rows.items()}
            del rows
            terms, forms = ids.terms()  # provisional id → term, N-Triples form
            self.nt: list[str] = sorted(set(forms))  # rank → N-Triples form
            rank = list(map(dict(zip(self.nt, range(len(self.nt)), strict=True)).__getitem__, forms))
            self.term: list = [None] * len(self.nt)  # rank → a term with that form
            for i, r in enumerate(rank):
                self.term[r] = terms[i]
            del terms, forms
            bits = max(1, (len(self.nt) + 1).bit_length())
            self.bits, self.mask = bits, (1 << bits) - 1
            # Predicate slot: 0 for rdf:type (sorted first), else rank + 1.
            slot = [r + 1 for r in rank]
            type_id = ids.iri_ids.get(str(_RDF_TYPE))
            if type_id is not None:
                slot[type_id] = 0
            self.pslot_rank: dict[int, int] = {}  # slot → rank of its predicate
            shift_s = 2 * bits
            self.keys: dict[N, list[int]] = {}
            for name, (ss, ps, os_) in columns.items():
                for i in set(ps):
                    self.pslot_rank[slot[i]] = rank[i]
                keys = [(a << shift_s) | (b << bits) | c for a, b, c in
                        zip(map(rank.__getitem__, ss), map(slot.__getitem__, ps), map(rank.__getitem__, os_), strict=True)]
                keys.sort()
                self.keys[name] = keys
            columns.clear()
        self._turtle: TurtleForms | None = None
        self._jsonld: JsonldForms | None = None
        self._merged: list[int] | None = None
        self._summary: Summary | None = None

    # ------------------------------------------------------------------ per-term forms

    def turtle_forms(self) -> TurtleForms:
        """Every term's Turtle forms as subject and object, every predicate's, and the prefixes
        each form uses (made on first use)."""
        if self._turtle is None:
            with _paused_gc():
                subj: list[str] = []
                obj: list[str] = []
                subj_pfx: list[frozenset[str]] = []
                obj_pfx: list[frozenset[str]] = []
                none: frozenset[str] = frozenset()
                used_by = {"": none}
                for term, nt in zip(self.term, self.nt, strict=True):
                    if isinstance(term, URIRef):
                        form, prefix = short_iri(term, nt)
                        used = used_by.get(prefix) or used_by.setdefault(prefix, frozenset((prefix,)))
                        subj.append(form)
                        subj_pfx.append(used)
                        obj.append(form)
                        obj_pfx.append(used)
                    else:
                        subj.append(nt)
                        subj_pfx.append(none)
                        form, prefix = object_form(term, nt)
                        obj.append(form)
                        obj_pfx.append(used_by.get(prefix) or used_by.setdefault(prefix, frozenset((prefix,))))
                pred, pred_pfx = {}, {}
                for slot, r in self.pslot_rank.items():
                    if slot == 0:
                        pred[slot], pred_pfx[slot] = "a", none
                    elif isinstance(self.term[r], URIRef):
                        pred[slot], pred_pfx[slot] = subj[r], subj_pfx[r]
                    else:  # a predicate is shortened as an IRI would be, whatever it is
                        form, prefix = short_iri(self.term[r], self.nt[r])
                        pred[slot], pred_pfx[slot] = form, frozenset((prefix,)) if prefix else none
                self._turtle = (subj, subj_pfx, obj, obj_pfx, pred, pred_pfx)
        return self._turtle

    def jsonld_forms(self) -> JsonldForms:
        """Every term's JSON-LD texts as node id, as value and as type, and every predicate's key
        (what ``json.dumps`` gives for each; made on first use)."""
        if self._jsonld is None:
            enc = encode_basestring  # json.dumps(str, ensure_ascii=False)
            with _paused_gc():
                jid: list[str] = []
                jval: list[str] = []
                jtype: list[str | None] = []
                compact: list[str | None] = []  # rank → compacted IRI (JSON), for IRIs
                for term, nt in zip(self.term, self.nt, strict=True):
                    if isinstance(term, URIRef):
                        form = short_iri(term, nt)[0]
                        text = enc(form[1:-1] if form.startswith("<") else form)
                        compact.append(text)
                        jid.append(text)
                        jtype.append(text)
                        jval.append('{"@id": ' + text + "}")
                        continue
                    compact.append(None)
                    jtype.append(None)  # only IRI objects of rdf:type go to "@type"
                    jid.append(enc(f"_:{term}"))
                    if isinstance(term, BNode):
                        jval.append('{"@id": ' + jid[-1] + "}")
                    elif isinstance(term, Literal):
                        jval.append(jsonld_literal(term))
                    else:
                        jval.append(json.dumps(jsonld_value(term), ensure_ascii=False))
                jkey: dict[int, str] = {}
                for slot, r in self.pslot_rank.items():
                    known = compact[r]
                    if known is not None:
                        jkey[slot] = known
                    else:
                        form = short_iri(self.term[r], self.nt[r])[0]
                        jkey[slot] = enc(form[1:-1] if form.startswith("<") else form)
                self._jsonld = (jid, jval, jtype, jkey)
        return self._jsonld

    # ------------------------------------------------------------------ keys

    def merged_keys(self) -> list[int]:
        """The distinct triples of all graphs, sorted (what ``stikg.ttl`` holds; kept)."""
        if self._merged is None:
            with _paused_gc():
                merged = list(itertools.chain.from_iterable(self.keys.values()))
                merged.sort()  # each graph's keys are a sorted run: the sort merges them
                if merged:  # each key unless the next one is the same
                    last = merged[-1]
                    merged = list(itertools.compress(merged, map(operator.ne, merged, itertools.islice(merged, 1, None))))
                    merged.append(last)
                self._merged = merged
        return self._merged

    def summary(self) -> Summary:
        """Over the distinct triples of all graphs (kept): how many; the ranks of their subjects;
        triples per predicate slot (0: rdf:type); triples per rank of an rdf:type object.
        (:meth:`merged_turtle` makes it on the way; else it is counted here.)"""
        if self._summary is None:
            merged = self.merged_keys()
            with _paused_gc():
                subjects = set(map((2 * self.bits).__rrshift__, merged))
                slots = list(map(self.mask.__and__, map(self.bits.__rrshift__, merged)))
                typed = Counter(map(self.mask.__and__, itertools.compress(merged, map(operator.not_, slots))))
                self._summary = (len(merged), subjects, Counter(slots), typed)
        return self._summary

    def merged_turtle(self) -> list[str]:
        """:meth:`turtle` of :meth:`merged_keys`; counts :meth:`summary` from its runs too."""
        merged = self.merged_keys()
        body, used, (subjects, runs, starts) = self.turtle_body(merged)
        if self._summary is None:
            with _paused_gc():
                slots: Counter[int] = Counter()
                typed: Counter[int] = Counter()
                mask = self.mask
                for slot, start, end in zip(runs, starts, [*starts[1:], len(merged)], strict=True):
                    slots[slot] += end - start
                    if slot == 0:
                        typed.update(map(mask.__and__, merged[start:end]))
                self._summary = (len(merged), set(subjects), slots, typed)
        body.insert(0, prefix_header(used))
        return body

    # ------------------------------------------------------------------ N-Triples / N-Quads

    def ntriples(self, keys: list[int]) -> list[str]:
        nt, bits, mask, preal = self.nt, self.bits, self.mask, self.pslot_rank
        shift_s = 2 * bits
        with _paused_gc():
            return [f"{nt[k >> shift_s]} {nt[preal[(k >> bits) & mask]]} {nt[k & mask]} .\n" for k in keys]

    def nquads(self) -> list[str]:
        """Every graph's triples as N-Quads lines, sorted as strings."""
        nt, bits, mask, preal = self.nt, self.bits, self.mask, self.pslot_rank
        shift_s = 2 * bits
        with _paused_gc():
            # Graph names ordered by what follows the triple in their lines.
            names = sorted(self.keys, key=lambda n: f"<{n}> .\n")
            gbits = max(1, len(names).bit_length())
            # A triple's key with its predicate's own rank in place of the slot (rdf:type not
            # first), then the graph.
            delta = {slot: (r - slot) << bits for slot, r in preal.items()}
            quads: list[int] = []
            for g, name in enumerate(names):
                quads.extend([(k + delta[(k >> bits) & mask]) << gbits | g for k in self.keys[name]])
            quads.sort()
            suffixes = [f" <{n}> .\n" for n in names]
            gmask = (1 << gbits) - 1
            shift_q = shift_s + gbits
            shift_p = bits + gbits
            lines = [f"{nt[q >> shift_q]} {nt[(q >> shift_p) & mask]} {nt[(q >> gbits) & mask]}{suffixes[q & gmask]}"
                     for q in quads]
            del quads
            # Rank order is string order term by term; a line compares as its terms would unless a
            # form were a prefix of another followed by a character below ' '. Sorting an ordered
            # list costs one comparison per line, and makes the order exact in every case.
            lines.sort()
            return lines

    # ------------------------------------------------------------------ Turtle / TriG

    def turtle_body(self, keys: list[int], indent: str = "") -> tuple[list[str], set[str], tuple]:
        """The statements of ``keys`` grouped by subject and predicate; the prefixes they use; and
        (each subject, each predicate run's slot, the position in ``keys`` where each run starts)."""
        subj, subj_pfx, obj, obj_pfx, pred, pred_pfx = self.turtle_forms()
        bits, mask = self.bits, self.mask
        shift_s = 2 * bits
        with _paused_gc():
            out: list[str] = []
            append = out.append
            subjects: list[int] = []  # each subject block's subject
            runs: list[int] = []  # each predicate run's predicate
            starts: list[int] = []  # where each run starts
            current_s = current_p = -1
            for i, k in enumerate(keys):
                s = k >> shift_s
                p = (k >> bits) & mask
                o = k & mask
                if s != current_s:
                    if current_s >= 0:
                        append(" .\n")
                    append(f"{indent}{subj[s]} {pred[p]} {obj[o]}")
                    current_s, current_p = s, p
                    subjects.append(s)
                    runs.append(p)
                    starts.append(i)
                elif p != current_p:
                    append(f" ;\n{indent}    {pred[p]} {obj[o]}")
                    current_p = p
                    runs.append(p)
                    starts.append(i)
                else:
                    append(f" ,\n{indent}        {obj[o]}")
            if current_s >= 0:
                append(" .\n")
            used: set[str] = set()
            for r in set(subjects):
                used |= subj_pfx[r]
            for slot in set(runs):
                used |= pred_pfx[slot]
            for r in set(map(mask.__and__, keys)):
                used |= obj_pfx[r]
            return out, used, (subjects, runs, starts)

    def turtle(self, keys: list[int]) -> list[str]:
        """Turtle of ``keys``, in pieces to join: the prefixes used, then the statements."""
        body, used, _ = self.turtle_body(keys)
        body.insert(0, prefix_header(used))
        return body

    def turtle_files(self, names: Iterable[N]) -> Iterator[tuple[N, str, str, set[str]]]:
        """Per graph: (name, Turtle file text, its statements indented for TriG, prefixes used)."""
        subj, _, obj, _, pred, _ = self.turtle_forms()
        # Indenting a body's lines gives the TriG body, unless a form itself holds a line break.
        newline_free = not any("\n" in f for f in (*subj, *obj, *pred.values()))
        for name in names:
            body, used, _ = self.turtle_body(self.keys[name])
            text = "".join(body)
            if not text:
                indented = ""
            elif newline_free:
                indented = "    " + text[:-1].replace("\n", "\n    ") + "\n"
            else:
                indented = "".join(self.turtle_body(self.keys[name], indent="    ")[0])
            yield name, prefix_header(used) + text, indented, used

    def trig(self, bodies: Mapping | None = None) -> list[str]:
        """TriG: one GRAPH block per named graph, graphs in IRI order (``bodies``: indented
        statements and prefixes per graph, from :meth:`turtle_files`, when already made)."""
        if bodies is None:
            bodies = {name: (indented, used) for name, _, indented, used in self.turtle_files(self.keys)}
        used_all: set[str] = set()
        parts = []
        for name in sorted(self.keys, key=str):
            indented, used = bodies[name]
            used_all |= used
            parts.append(f"<{name}> {{\n{indented}}}\n\n")
        parts.insert(0, prefix_header(used_all))
        return parts

    # ------------------------------------------------------------------ JSON-LD

    def jsonld_nodes(self, keys: list[int]) -> list[str]:
        """One JSON object per subject (what ``json.dumps`` gives for :func:`_node_objects`)."""
        jid, jval, jtype, jkey = self.jsonld_forms()
        bits, mask = self.bits, self.mask
        shift_s = 2 * bits
        type_key = '"@type"'
        with _paused_gc():
            out: list[str] = []
            current_s = -1
            node: dict = {}
            for k in keys:
                s = k >> shift_s
                p = (k >> bits) & mask
                o = k & mask
                if s != current_s:
                    if current_s >= 0:
                        out.append(_render_node(jid[current_s], node))
                    node = {}
                    current_s = s
                if p == 0 and jtype[o] is not None:
                    key, value = type_key, jtype[o]
                else:
                    key, value = jkey[p], jval[o]
                values = node.get(key)
                if values is None:
                    node[key] = [value]
                else:
                    values.append(value)
            if current_s >= 0:
                out.append(_render_node(jid[current_s], node))
            return out

    def jsonld(self) -> list[str]:
        """JSON-LD in pieces to join (see :func:`jsonld`)."""
        parts = ['{"@context": ' + json.dumps(jsonld_context()["@context"], ensure_ascii=False) + ',\n "@graph": [']
        for i, name in enumerate(sorted(self.keys, key=str)):
            nodes = ",\n   ".join(self.jsonld_nodes(self.keys[name]))
            parts.append(("," if i else "") + '\n  {"@id": ' + json.dumps(str(name)) + ', "@graph": [\n   ' + nodes
                         + "\n  ]}")
        parts.append("\n ]}\n")
        return parts


def _render_node(subject_json: str, node: dict) -> str:
    return "{\"@id\": " + subject_json + "".join(f", {key}: [{', '.join(values)}]" for key, values in node.items()) + "}"


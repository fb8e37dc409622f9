"""The size of a synthetic corpus before it is written: a calibrated model of what a size builds to
(:func:`estimate`: quads in ``kg/`` and the peak memory of ``stikg build``), and the refusal of a
size that is malformed or would not fit in memory (:func:`check_size`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from stikg.core import system
from stikg.synth.plan import expected_active_years, programs_per_office
from stikg.synth.vocabulary import MAX_YEARS, SynthError

# ---------------------------------------------------------------------------------- size model
# Calibrated on built synthetic corpora (quads in kg/ = asserted + inferred + ontology; measured by
# benchmarks/run_all.py): 500×10 → 118k quads, 5000×10 → 1.14M quads, i.e. ~67 quads per program
# and fiscal year it is printed in, ~9 per program for its registry entries, ~14 per document.
QUADS_PER_PROGRAM_YEAR = 67.0
QUADS_PER_PROGRAM = 9.0
QUADS_PER_DOCUMENT = 14.0
QUADS_FIXED = 3_000
# Peak RSS of `stikg build` per quad in kg/ (rdflib terms in Python sets, the rdflib graph pyshacl
# validates, its report) plus the interpreter and libraries, measured at 0.12M and 1.1M quads.
BYTES_PER_QUAD = 2_600
BASE_BYTES = 400 * 2**20


@dataclass(frozen=True)
class Estimate:
    """What a corpus of this size builds to, and the memory the build needs."""

    programs: int
    years: int
    documents: int
    program_years: float
    quads: int
    build_bytes: int

    def describe(self) -> str:
        return (f"~{self.quads:,} triples ({self.documents:,} documents, ~{self.program_years:,.0f} program pages), "
                f"build needs ~{self.build_bytes / 2**30:.1f} GB")


def estimate(programs: int, years: int) -> Estimate:
    """Quads in ``kg/`` and peak RSS of ``stikg build`` for a corpus of this size (calibrated model)."""
    per_office = programs_per_office(programs)
    offices = max(1, math.ceil(programs / per_office))
    program_years = programs * expected_active_years(years)
    documents = offices * years
    quads = int(program_years * QUADS_PER_PROGRAM_YEAR + programs * QUADS_PER_PROGRAM
                + documents * QUADS_PER_DOCUMENT + QUADS_FIXED)
    return Estimate(programs, years, documents, program_years, quads, BASE_BYTES + quads * BYTES_PER_QUAD)


def check_size(programs: int, years: int, max_memory: int | None = None) -> Estimate:
    """Refuse (SynthError) a size that is malformed or whose build would not fit in memory."""
    if programs < 1:
        raise SynthError(f"--programs must be at least 1, got {programs}")
    if not 1 <= years <= MAX_YEARS:
        raise SynthError(f"--years must be between 1 and {MAX_YEARS}, got {years}")
    est = estimate(programs, years)
    limit = system.available_memory() if max_memory is None else max_memory
    if est.build_bytes > limit:
        raise SynthError(
            f"refusing: ~{est.quads:,} triples would need ~{est.build_bytes / 2**30:.1f} GB to build, "
            f"limit {limit / 2**30:.1f} GB (--max-memory); generate fewer programs or years")
    return est

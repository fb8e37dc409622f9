"""Text helpers shared by every stage: Unicode normalisation and name keys for matching."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"[\s\u3000]+")
# Characters that differ between printings of the same name and carry no identity.
_NOISE = re.compile(r"[「」『』【】\"'“”‘’・･\-‐‑–—―ー\s]")


def nfkc(text: str) -> str:
    """NFKC-normalise (full-width digits/letters/brackets → ASCII) and collapse spaces."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def name_key(name: str) -> str:
    """A matching key for a printed name: NFKC, lower case, no spaces/quotes/dots/dashes.

    Two printings of the same name (全角/半角 brackets, spaces, 「」, ・) give the same key.
    Long-vowel marks are dropped too, so keys are for matching only, never for display.
    """
    return _NOISE.sub("", nfkc(name).lower())

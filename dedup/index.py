"""Cross-block index: flags (never merges) the same text filed under two agencies or two years.

``match`` decides within one (agency, year) block. This index looks across blocks, so that the
loader can flag a copy whose text is already stored under another agency (a district that posted
the city's report) or another year (last year's report re-posted as this year's) for review.

Cost is about linear in the number of copies: a lookup touches one exact-key entry and the 16 LSH
buckets of the copy's signature, never all stored copies. An exact duplicate of a stored text is
not inserted into the buckets again: its signature is already there.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from dedup.match import NEAR_THRESHOLD, CopyText, fingerprint
from dedup.near import LshIndex, estimated_jaccard, minhash_signature


class CrossBlockKind(StrEnum):
    OTHER_AGENCY = "same_text_other_agency"
    OTHER_YEAR = "same_text_other_year"


@dataclass(frozen=True)
class CrossBlockFlag:
    kind: CrossBlockKind
    copy_id: str  # the stored copy with the same (or near-identical) text
    agency: str
    year: int
    similarity: float  # 1.0 for the same folded text, else the MinHash estimate
    exact: bool


@dataclass(frozen=True)
class _Stored:
    copy_id: str
    agency: str
    year: int


def _flag(new: CopyText, stored: _Stored, similarity: float, exact: bool) -> CrossBlockFlag:
    kind = CrossBlockKind.OTHER_AGENCY if stored.agency != new.agency else CrossBlockKind.OTHER_YEAR
    return CrossBlockFlag(kind, stored.copy_id, stored.agency, stored.year, similarity, exact)


@dataclass
class CrossBlockIndex:
    _by_exact_key: dict[str, list[int]] = field(default_factory=dict)
    _stored: list[_Stored] = field(default_factory=list)
    _signatures: dict[int, np.ndarray] = field(default_factory=dict)  # only texts new to the index
    _lsh: LshIndex = field(default_factory=LshIndex)

    def add(self, copy: CopyText) -> list[CrossBlockFlag]:
        """Store ``copy`` and return the flags it raises against copies of other blocks."""
        printed = fingerprint(copy.text)
        number = len(self._stored)
        self._stored.append(_Stored(copy.copy_id, copy.agency, copy.year))
        same_text = self._by_exact_key.setdefault(printed.exact_key, [])
        flags = [_flag(copy, self._stored[other], 1.0, True) for other in same_text if self._is_other_block(copy, other)]
        if not same_text:
            flags += self._near_flags(copy, number, minhash_signature(printed.shingles))
        same_text.append(number)
        return flags

    def _is_other_block(self, copy: CopyText, number: int) -> bool:
        stored = self._stored[number]
        return (stored.agency, stored.year) != (copy.agency, copy.year)

    def _near_flags(self, copy: CopyText, number: int, signature: np.ndarray) -> list[CrossBlockFlag]:
        flags = []
        for other in self._lsh.candidates(signature):
            if not self._is_other_block(copy, other):
                continue
            similarity = estimated_jaccard(signature, self._signatures[other])
            if similarity >= NEAR_THRESHOLD:
                flags.append(_flag(copy, self._stored[other], similarity, False))
        self._lsh.add(number, signature)
        self._signatures[number] = signature
        return flags

"""Near-duplicates across blocks: flags (never merges) a text filed under two agencies or two years.

``match`` decides within one (agency, year) block. Across blocks, the loader keeps for every copy a
MinHash signature and its LSH band buckets (``storage``: ``copies.minhash``, ``copy_bands``), so
that the copies of *other* blocks whose text is near a report's are found by an indexed lookup on
the buckets, never by comparing all pairs, and then screened here by their estimated similarity.
The export flags them (``near_text_as_other_report``) beside the exact same-text flag: a district
that re-posted the city's report with a few characters changed, or last year's report re-posted as
this year's. A city's next report (~0.78) and a district copy of the city's template (~0.62) stay
under ``NEAR_THRESHOLD`` and raise nothing (``dedup.calibration``).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from dedup.match import NEAR_THRESHOLD, fingerprint
from dedup.near import band_keys, estimated_jaccard, minhash_signature

_SIGNATURE_DTYPE = np.dtype("<u4")  # stored little-endian whatever the machine


@dataclass(frozen=True)
class NearKeys:
    """What the loader stores of one copy's text for the cross-block lookup."""

    signature: bytes  # NUM_PERM uint32 MinHash minima
    buckets: tuple[int, ...]  # one signed 64-bit bucket per LSH band (fits BIGINT on both backends)


def near_keys(text: str) -> NearKeys:
    signature = minhash_signature(fingerprint(text).shingles)
    return NearKeys(signature.astype(_SIGNATURE_DTYPE).tobytes(), tuple(_bucket(key) for key in band_keys(signature)))


def _bucket(band_key: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(band_key, digest_size=8).digest(), "big", signed=True)


def similarity(signature_a: bytes, signature_b: bytes) -> float:
    """The MinHash estimate of the Jaccard similarity of two stored signatures."""
    return estimated_jaccard(np.frombuffer(signature_a, _SIGNATURE_DTYPE), np.frombuffer(signature_b, _SIGNATURE_DTYPE))


def is_near(signature_a: bytes, signature_b: bytes) -> bool:
    return similarity(signature_a, signature_b) >= NEAR_THRESHOLD

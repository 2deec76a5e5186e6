"""How a newly fetched copy relates to the stored copies of its report, and which copy is canonical.

The loader keys a report by (agency, year), so every call here is inside one block: ``match``
refuses copies from two blocks (``MixedBlockError``) rather than compare them — similarity alone
must never merge two agencies or two years (a city's next report shares ~0.78 of its shingles
with this one; see ``dedup.calibration``).

Errors::

    DedupError
    ├── MixedBlockError     copies of more than one (agency, year) passed as one block
    ├── MissingMatchError   choose_canonical was not told how a copy was matched
    └── NoVersionChainError no copy descends from the report's FIRST copy (all DISTINCT)
"""
from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from dedup.fold import fold_text, fold_tokens, key_of_folded
from dedup.near import jaccard, shingle_hashes

# Shingle Jaccard at or above which two copies in one block are the same report.
# From ``python -m dedup.calibration`` at k=3 over the five seed reports: same-report variants
# score >= 0.940 (worst: traditional mirror, one junk character per 150; a repost 1.0, the PDF
# extraction 0.980, a 更正版 0.990), the same agency's next year (~90% shared prose, all numbers
# changed) <= 0.781, a district copy of the city's template <= 0.620, unrelated reports <= 0.049.
# 0.85 leaves 0.07 above the next year and still takes a mirror with one junk character per 50
# (0.853). Junkier copies fall under it and come out DISTINCT: kept apart and reviewed, never
# wrongly merged.
NEAR_THRESHOLD = 0.85

# An attachment is "much longer" than the HTML page (so the page is incomplete, e.g. its tables
# are only in the attachment) above this ratio of folded lengths. Measured on the seeds: a PDF
# extraction's running headers and "- N -" footers add 1.4-2.8%; the appendix tables (附表1-4) of the
# Guangzhou 2013 report, the part an HTML page most often lacks, are 8.5% of its folded text. 1.05
# sits between the two.
COMPLETE_LENGTH_RATIO = 1.05

# Titles that announce a corrected re-post.
_CORRECTION_TITLE = re.compile(r"更正|修订|修正|勘误")
_NUMBER_TOKEN = re.compile(r"\d+(?:\.\d+)?")
_CONTEXT_TOKENS = 4  # tokens (numbers and runs of characters) read before a changed number
_CONTEXT_CHARACTERS = 12  # of which the last characters are shown


class DedupError(Exception):
    """Base of the errors raised by the dedup library."""


class MixedBlockError(DedupError):
    def __init__(self, new: CopyText, strangers: Sequence[CopyText]) -> None:
        self.strangers = tuple(copy.copy_id for copy in strangers)
        super().__init__(
            f"copy {new.copy_id} is ({new.agency}, {new.year}) but {', '.join(self.strangers)} "
            "belong to another (agency, year) block; copies are only matched within one block"
        )


class MissingMatchError(DedupError):
    def __init__(self, copy_ids: Sequence[str]) -> None:
        self.copy_ids = tuple(copy_ids)
        super().__init__(f"no recorded match for copies {', '.join(self.copy_ids)}")


class NoVersionChainError(DedupError):
    def __init__(self, copy_ids: Sequence[str]) -> None:
        self.copy_ids = tuple(copy_ids)
        super().__init__(f"none of the copies {', '.join(self.copy_ids)} descends from a FIRST copy")


@dataclass(frozen=True)
class CopyText:
    """What the loader knows of one copy of a report."""

    copy_id: str
    agency: str
    year: int
    text: str  # simplified body text
    url: str
    kind: str  # "html" | "pdf" | "docx" | "xlsx" | "doc"
    official: bool  # found on the agency's own site (False for mirrors/portals)
    published: str | None  # YYYY-MM-DD
    title: str


class MatchKind(StrEnum):
    FIRST = "first"  # no copy stored yet in this block: the report's first copy
    EXACT = "exact"  # same folded text as ``copy_id``
    NEAR = "near"  # same report as ``copy_id``, near-identical text, same numbers
    VERSION = "version"  # same report as ``copy_id`` with numbers changed: a 更正版 / corrected re-post
    DISTINCT = "distinct"  # same agency and year, different text: kept apart, flagged for review


@dataclass(frozen=True)
class NumberChange:
    old: str
    new: str
    context: str  # the folded characters just before the number in the stored copy


@dataclass(frozen=True)
class Match:
    kind: MatchKind
    copy_id: str | None  # the stored copy it relates to (the most similar one); None for FIRST
    similarity: float  # shingle Jaccard with ``copy_id``; 1.0 for EXACT, 0.0 for FIRST
    changed_numbers: tuple[NumberChange, ...] = ()


class Canonical(NamedTuple):
    copy_id: str
    reason: str  # short, human: shown in the export


@dataclass(frozen=True)
class Fingerprint:
    exact_key: str
    shingles: np.ndarray


# Matching one block re-reads the stored copies' texts on every call; caching by text keeps that
# to one fold per distinct text. 4096 entries hold a busy loader's recent blocks.
@lru_cache(maxsize=4096)
def fingerprint(text: str) -> Fingerprint:
    folded = fold_text(text)
    return Fingerprint(key_of_folded(folded), shingle_hashes(folded))


def _check_one_block(new: CopyText, existing: Sequence[CopyText]) -> None:
    strangers = [copy for copy in existing if (copy.agency, copy.year) != (new.agency, new.year)]
    if strangers:
        raise MixedBlockError(new, strangers)


def _readable(tokens: Sequence[str]) -> str:
    # Folding dropped the separators: keep two neighbouring numbers apart ("17 5", not "175").
    pieces = [tokens[0]] if tokens else []
    for previous, token in zip(tokens, tokens[1:]):
        separate = _NUMBER_TOKEN.fullmatch(previous) and _NUMBER_TOKEN.fullmatch(token)
        pieces.append(" " + token if separate else token)
    return "".join(pieces)


def changed_numbers(old_text: str, new_text: str) -> tuple[NumberChange, ...]:
    """Numbers that were replaced one-for-one between two versions of a text, in text order.

    Only substitutions count: numbers present on one side only (a PDF's running header "2019年…",
    a junk character splitting "2012" into two runs) are layout, not corrections.
    """
    old_tokens, new_tokens = fold_tokens(old_text), fold_tokens(new_text)
    matcher = difflib.SequenceMatcher(None, old_tokens, new_tokens, autojunk=False)
    changes: list[NumberChange] = []
    for operation, old_start, old_end, new_start, new_end in matcher.get_opcodes():
        if operation != "replace":
            continue
        old_numbers = [(position, token) for position, token in enumerate(old_tokens[old_start:old_end], old_start)
                       if _NUMBER_TOKEN.fullmatch(token)]
        new_numbers = [token for token in new_tokens[new_start:new_end] if _NUMBER_TOKEN.fullmatch(token)]
        if not old_numbers or len(old_numbers) != len(new_numbers):
            continue
        for (position, old), new in zip(old_numbers, new_numbers):
            if old != new:
                context = _readable(old_tokens[max(0, position - _CONTEXT_TOKENS) : position])[-_CONTEXT_CHARACTERS:]
                changes.append(NumberChange(old=old, new=new, context=context))
    return tuple(changes)


def match(new: CopyText, existing: Sequence[CopyText]) -> Match:
    """How ``new`` relates to ``existing``, the copies already stored in its (agency, year) block."""
    _check_one_block(new, existing)
    if not existing:
        return Match(MatchKind.FIRST, copy_id=None, similarity=0.0)
    new_print = fingerprint(new.text)
    for copy in existing:
        if fingerprint(copy.text).exact_key == new_print.exact_key:
            return Match(MatchKind.EXACT, copy_id=copy.copy_id, similarity=1.0)
    similarities = [jaccard(new_print.shingles, fingerprint(copy.text).shingles) for copy in existing]
    best = int(np.argmax(similarities))  # first of equals: the earliest stored copy
    closest, similarity = existing[best], similarities[best]
    if similarity < NEAR_THRESHOLD:
        return Match(MatchKind.DISTINCT, copy_id=closest.copy_id, similarity=similarity)
    changes = changed_numbers(closest.text, new.text)
    kind = MatchKind.VERSION if changes else MatchKind.NEAR
    return Match(kind, copy_id=closest.copy_id, similarity=similarity, changed_numbers=changes)


def _version_depths(copies: Sequence[CopyText], matches: Mapping[str, Match]) -> dict[str, int]:
    """How many corrections lie between each copy and the report's first copy (DISTINCT: None).

    EXACT/NEAR copies share the version of the copy they matched; a VERSION is one correction
    further than its copy. ``copies`` are in the order found, so a copy's match target comes first.
    """
    depths: dict[str, int] = {}
    for copy in copies:
        found = matches[copy.copy_id]
        if found.kind is MatchKind.FIRST:
            depths[copy.copy_id] = 0
        elif found.kind is not MatchKind.DISTINCT and found.copy_id in depths:
            step = 1 if found.kind is MatchKind.VERSION else 0
            depths[copy.copy_id] = depths[found.copy_id] + step
    return depths


def _keep_official(candidates: list[CopyText]) -> tuple[list[CopyText], str | None]:
    official = [copy for copy in candidates if copy.official]
    if official and len(official) < len(candidates):
        return official, "official site over mirror"
    return candidates, None


def _keep_latest_version(candidates: list[CopyText], depths: Mapping[str, int]) -> tuple[list[CopyText], str | None]:
    by_depth: dict[int, list[CopyText]] = {}
    for copy in candidates:
        by_depth.setdefault(depths[copy.copy_id], []).append(copy)
    if len(by_depth) < 2:
        return candidates, None

    # Versions, not copies, are ranked (a later repost of the same text is not a later version):
    # a title saying 更正 is explicit; then the latest publication date among the version's
    # copies; then the later correction in the order the copies were matched.
    def rank(depth: int) -> tuple[bool, str, int]:
        version = by_depth[depth]
        marked = any(_CORRECTION_TITLE.search(copy.title) for copy in version)
        return marked, max(copy.published or "" for copy in version), depth

    latest = max(by_depth, key=rank)
    published = rank(latest)[1]
    return by_depth[latest], "latest correction" + (f" (published {published})" if published else "")


def _keep_complete_format(candidates: list[CopyText]) -> tuple[list[CopyText], str | None]:
    pages = [copy for copy in candidates if copy.kind == "html"]
    attachments = [copy for copy in candidates if copy.kind != "html"]
    if not pages or not attachments:
        return candidates, None
    page_length = max(len(fold_text(copy.text)) for copy in pages)
    attachment_length = max(len(fold_text(copy.text)) for copy in attachments)
    if attachment_length > page_length * COMPLETE_LENGTH_RATIO:
        return attachments, f"attachment is complete, HTML page is not ({attachment_length} vs {page_length} characters)"
    return pages, "HTML page over attachment"


def choose_canonical(copies: Sequence[CopyText], matches: Mapping[str, Match]) -> Canonical:
    """The copy the export shows for one report, and why.

    ``copies`` are one block's copies in the order they were found; ``matches[copy_id]`` is what
    ``match`` said when each was loaded. DISTINCT copies await review and are never canonical.
    Rule, each step only narrowing the candidates: official site over mirror; latest correction over
    earlier; HTML page over attachment when both are complete (the attachment's folded text is at
    most ``COMPLETE_LENGTH_RATIO`` times the page's); then the earliest found.
    """
    missing = [copy.copy_id for copy in copies if copy.copy_id not in matches]
    if missing:
        raise MissingMatchError(missing)
    depths = _version_depths(copies, matches)
    candidates = [copy for copy in copies if copy.copy_id in depths]
    if not candidates:
        raise NoVersionChainError([copy.copy_id for copy in copies])
    reasons: list[str] = []
    for narrow in (_keep_official, lambda found: _keep_latest_version(found, depths), _keep_complete_format):
        candidates, reason = narrow(candidates)
        if reason:
            reasons.append(reason)
    if len(candidates) > 1:
        reasons.append("earliest found")
    return Canonical(candidates[0].copy_id, "; ".join(reasons) or "only copy")


@dataclass(frozen=True)
class Placement:
    """The dedupe decision for one new copy of a block, for the loader to carry out."""

    match: Match  # how the new copy relates to the stored ones
    canonical: Canonical  # the block's canonical copy once the new copy is in it


def place_copy(new: CopyText, stored: Sequence[tuple[CopyText, Match]]) -> Placement:
    """How ``new`` matches its block's ``stored`` copies (each with the match recorded when it was
    loaded, in the order found), and which copy of the block is canonical with ``new`` added."""
    found = match(new, [copy for copy, _ in stored])
    matches = {copy.copy_id: recorded for copy, recorded in stored} | {new.copy_id: found}
    canonical = choose_canonical([*(copy for copy, _ in stored), new], matches)
    return Placement(found, canonical)

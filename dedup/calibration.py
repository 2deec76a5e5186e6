"""Where the dedup thresholds come from: realistic copy variants of real reports, and their Jaccard.

Run ``python -m dedup.calibration tests/fixtures/dedup/*.txt`` to print, for each variant and each
shingle size, the Jaccard similarity to the original. The builders are also what
``tests/test_dedup.py`` uses, so the test data and the calibration data are the same thing.

Variants (what the web does to one report, and what only looks like the same report):

* ``as_repost``: the same text posted again (other chrome, other byline).
* ``as_pdf_extraction``: the PDF attachment of an HTML page: re-wrapped lines, a running header
  and "- N -" page footers.
* ``as_traditional_mirror``: a mirror site's copy: Taiwan-vocabulary traditional script (OpenCC
  ``s2twp``), one injected junk character per ~150, the mirror's "熱門詞條 聯絡我們" chrome; it is
  then brought back with ``normalization.to_simplified`` as the loader does, which does not undo
  every phrase swap (整合 → 集成).
* ``as_correction``: a 更正版 with a few numbers changed.
* ``as_next_year``: the same agency's next report: every year +1, every other number changed,
  ~10% of the sentences rewritten.
* ``as_district``: a district report built from the city's template: agency name swapped, every
  number changed, ~25% of the sentences rewritten.
* ``unrelated_report``: another seed report (same genre, other agency and year).
"""
from __future__ import annotations

import random
import re
import sys
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path

import opencc

from dedup.fold import fold_text
from dedup.near import jaccard, shingle_hashes
from normalization import to_simplified

_YEAR = re.compile(r"(?<!\d)(19|20)(\d{2})(?!\d)")
_NUMBER = re.compile(r"\d+")
_SENTENCE_END = "。"
# Injected junk is drawn from characters mirror sites scatter into copied text.
_JUNK_CHARACTERS = "丄丅丆丌丏丒丗丠丩丮丯丱丳丵丷丼乀乁乂乄乆乊乑乕乗"
MIRROR_CHROME = "\n\n熱門詞條\n\n聯絡我們"
MIRROR_JUNK_EVERY = 150  # characters between junk insertions, on average


@lru_cache(maxsize=1)
def _to_traditional() -> opencc.OpenCC:
    return opencc.OpenCC("s2twp")


def as_repost(text: str) -> str:
    return "发布日期：2020-02-03 09:12  来源：市政府门户网站  【打印】【关闭】\n\n" + text + "\n\n网站地图 | 联系我们"


def as_pdf_extraction(text: str, running_header: str, line_width: int = 38, lines_per_page: int = 40) -> str:
    flowing = "".join(line.strip() for line in text.splitlines())
    wrapped = [flowing[start : start + line_width] for start in range(0, len(flowing), line_width)]
    pages = [wrapped[start : start + lines_per_page] for start in range(0, len(wrapped), lines_per_page)]
    return "\n".join(
        "\n".join([running_header, *page_lines, f"- {number} -"]) for number, page_lines in enumerate(pages, 1)
    )


def _inject_junk(text: str, rng: random.Random, junk_every: int) -> str:
    pieces: list[str] = []
    for character in text:
        pieces.append(character)
        if rng.randrange(junk_every) == 0:
            pieces.append(rng.choice(_JUNK_CHARACTERS))
    return "".join(pieces)


def as_traditional_mirror(text: str, seed: int = 0, junk_every: int = MIRROR_JUNK_EVERY) -> str:
    """The mirror copy as fetched (traditional); pass it through ``to_simplified`` like the loader."""
    return _inject_junk(_to_traditional().convert(text), random.Random(seed), junk_every) + MIRROR_CHROME


def _non_year_numbers(text: str) -> list[re.Match[str]]:
    return [match for match in _NUMBER.finditer(text) if not _YEAR.fullmatch(match.group())]


def as_correction(text: str, changes: int = 3, seed: int = 0) -> tuple[str, list[tuple[str, str]]]:
    """The 更正版 and the (old, new) numbers it changed, in text order."""
    rng = random.Random(seed)
    numbers = _non_year_numbers(text)
    chosen = sorted(rng.sample(numbers, changes), key=lambda match: match.start())
    changed = [(match.group(), str(int(match.group()) + 1 + rng.randrange(9))) for match in chosen]
    corrected = text
    for match, (_, new) in sorted(zip(chosen, changed), key=lambda pair: -pair[0].start()):
        corrected = corrected[: match.start()] + new + corrected[match.end() :]
    return corrected, changed


def _change_every_number(text: str, rng: random.Random) -> str:
    def replace(match: re.Match[str]) -> str:
        if _YEAR.fullmatch(match.group()):
            return match.group()
        return str(int(match.group()) + 1 + rng.randrange(20))

    return _NUMBER.sub(replace, text)


def _rewrite_sentences(text: str, share: float, donor: str, rng: random.Random) -> str:
    sentences = text.split(_SENTENCE_END)
    donor_sentences = [sentence for sentence in donor.split(_SENTENCE_END) if len(sentence) > 10]
    count = max(1, round(len(sentences) * share))
    for position in rng.sample(range(len(sentences)), count):
        sentences[position] = rng.choice(donor_sentences)
    return _SENTENCE_END.join(sentences)


def as_next_year(text: str, donor: str, seed: int = 0) -> str:
    rng = random.Random(seed)
    shifted = _YEAR.sub(lambda match: str(int(match.group()) + 1), text)
    return _rewrite_sentences(_change_every_number(shifted, rng), 0.10, donor, rng)


def as_district(text: str, city_agency: str, district_agency: str, donor: str, seed: int = 0) -> str:
    rng = random.Random(seed)
    renamed = text.replace(city_agency, district_agency)
    return _rewrite_sentences(_change_every_number(renamed, rng), 0.25, donor, rng)


def variants(text: str, agency: str, donor: str) -> dict[str, str]:
    """Every calibration variant of ``text`` (simplified script), keyed by name."""
    return {
        "repost": as_repost(text),
        "pdf_extraction": as_pdf_extraction(text, running_header=f"{agency}政府信息公开工作年度报告"),
        "traditional_mirror": to_simplified(as_traditional_mirror(text)),
        "junkier_mirror_1_in_50": to_simplified(as_traditional_mirror(text, junk_every=50)),
        "correction": as_correction(text)[0],
        "next_year": as_next_year(text, donor),
        "district": as_district(text, agency, agency.replace("市", "市某某区", 1), donor),
        "unrelated_report": donor,
    }


def similarity_table(
    reports: Sequence[tuple[str, str]], sizes: Sequence[int], shingler: Callable = shingle_hashes
) -> dict[str, dict[int, list[float]]]:
    """Jaccard of each variant to its original, per shingle size, over ``(agency, text)`` reports."""
    table: dict[str, dict[int, list[float]]] = {}
    for position, (agency, text) in enumerate(reports):
        donor = reports[(position + 1) % len(reports)][1]
        original = fold_text(text)
        for name, variant in variants(text, agency, donor).items():
            folded = fold_text(variant)
            for size in sizes:
                similarity = jaccard(shingler(original, size), shingler(folded, size))
                table.setdefault(name, {}).setdefault(size, []).append(similarity)
    return table


def _agency_of(text: str) -> str:
    # The seeds name their agency (…市公安局 / …省公安厅) in the first lines.
    found = re.search(r"[\u4e00-\u9fff]{2,4}(?:市公安局|省公安厅)", text)
    if not found:
        raise ValueError("no agency name in the first lines of a calibration report")
    return found.group()


def main(paths: Sequence[str]) -> None:
    reports = [(lambda text: (_agency_of(text), text))(to_simplified(Path(path).read_text("utf-8"))) for path in paths]
    sizes = range(2, 9)
    table = similarity_table(reports, sizes)
    print(f"{'variant':<24}" + "".join(f"   k={size} min/max" for size in sizes))
    for name, by_size in table.items():
        cells = "".join(f"   {min(values):.3f}/{max(values):.3f}" for values in by_size.values())
        print(f"{name:<24}{cells}")


if __name__ == "__main__":
    main(sys.argv[1:])

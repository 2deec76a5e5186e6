"""Split a report's text into its numbered parts (一、… 二、…), with a canonical key per part.

Headings vary a lot ("存在的主要问题及改进情况", "存在的问题及改进措施", "其它需要报告事项", "一 概 述"),
so a part is recognised by keywords, not wording. Only top-level ordinals count: （一） sub-headings
and "一是" enumerations are body text. Ordinals must run 一, 二, 三 … in sequence, which keeps a
stray "三、" inside a paragraph or an appendix from starting a part.

Keys (shared by the 2019+ six-part layout and the older layouts):
preamble, overview, proactive, requests, consultation, fees, review_litigation, problems, other,
appendix; None for a heading no keyword recognises (e.g. 三、平台建设).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from normalization.text import match_key
from core.document import Section

PREAMBLE = "preamble"

# Order matters: "因政府信息公开申请行政复议" is review_litigation although it says 申请, and
# "政府信息公开工作存在的主要问题及改进情况" is problems although it says 政府信息公开.
SECTION_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("other", ("其他需要报告", "其它需要报告", "其他需报告", "其他事项", "其它事项")),
    ("problems", ("问题", "改进", "不足")),
    ("review_litigation", ("复议", "诉讼", "申诉")),
    ("consultation", ("咨询",)),
    ("fees", ("收费", "减免", "支出")),
    ("requests", ("收到和处理", "依申请")),
    ("proactive", ("主动公开",)),
    ("overview", ("总体情况", "概述", "概况", "基本情况")),
    ("appendix", ("附表", "附件", "说明与附")),
)

_NUMERALS = "一二三四五六七八九十"
# "一、总体情况", "一．概述", "七 说明与附表", "一 概 述" (the spaced form only for short headings).
_HEADING = re.compile(rf"^\s*([{_NUMERALS}]{{1,3}})\s*(?:[、.．]\s*(?P<text>.+)|\s+(?P<spaced>\S.{{0,20}}))$")
# Row labels of the 申请 table are numbered like parts ("四、结转下年度继续办理") and show up as lines
# when a table is flattened to text.
_TABLE_ROW_WORDS = ("本年新收", "上年结转", "本年度办理结果", "结转下年")
_SENTENCE_END = re.compile(r"([。；;])")
_MAX_HEADING = 40  # longer first sentences are a paragraph that starts with an ordinal


def numeral_value(numeral: str) -> int:
    """一 → 1 … 十 → 10, 十一 → 11, 二十 → 20."""
    digits = {ch: i + 1 for i, ch in enumerate(_NUMERALS[:9])}
    if numeral == "十":
        return 10
    if numeral.startswith("十"):
        return 10 + digits[numeral[1]]
    if "十" in numeral:
        tens, _, ones = numeral.partition("十")
        return digits[tens] * 10 + (digits[ones] if ones else 0)
    return digits[numeral]


def section_key(heading: str) -> str | None:
    key = match_key(heading)
    for code, words in SECTION_RULES:
        if any(word in key for word in words):
            return code
    return None


@dataclass(frozen=True)
class _Heading:
    number: int
    heading: str
    rest: str  # text on the heading line after the heading sentence (old reports run on)


def _heading_of(line: str) -> _Heading | None:
    match = _HEADING.match(line)
    if not match:
        return None
    numeral = match.group(1)
    if any(ch not in _NUMERALS for ch in numeral):
        return None
    printed = line.strip()
    if any(word in match_key(printed) for word in _TABLE_ROW_WORDS):
        return None
    if match.group("spaced") is not None:
        if match.group("spaced").startswith(("是", "要", "在", "对")):  # "一 是…" enumerations
            return None
        return _Heading(numeral_value(numeral), printed, "")
    # Old reports run the first paragraph on after the heading: "一、…组织领导。一是建立…".
    parts = _SENTENCE_END.split(match.group("text"), maxsplit=1)
    if len(parts[0]) > _MAX_HEADING:
        return None
    rest = parts[2].strip() if len(parts) == 3 else ""
    heading = printed[: len(printed) - len(rest)].rstrip() if rest else printed
    return _Heading(numeral_value(numeral), heading.rstrip("。；;"), rest)


def split_sections(text: str) -> list[Section]:
    """The parts of ``text`` in order; text before the first part is the preamble."""
    sections: list[Section] = []
    current_heading: _Heading | None = None
    lines: list[str] = []

    def close() -> None:
        body = "\n".join(lines).strip()
        if current_heading is None:
            if body:
                sections.append(Section(PREAMBLE, "", body))
        else:
            sections.append(Section(section_key(current_heading.heading), current_heading.heading, body))

    for line in text.splitlines():
        heading = _heading_of(line)
        expected = 1 if current_heading is None else current_heading.number + 1
        if heading is not None and heading.number == expected:
            close()
            current_heading, lines = heading, ([heading.rest] if heading.rest else [])
        else:
            lines.append(line)
    close()
    return sections

"""Traditional → simplified, only where the text is traditional, with OpenCC ``tw2sp`` plus repairs.

Mirror sites publish mainland reports converted with something like OpenCC ``s2twp`` (网络→網路,
粉丝→冬粉 …); ``tw2sp`` undoes most of that. But ``tw2sp`` is a *Taiwan-vocabulary* converter: run on
mainland text it rewrites ordinary mainland words (显著→显着, 行程→进程, 核心→内核, 建立→创建, 文件→文档,
程序→进程 …) and names (魏其濛→魏其蒙, 乾安县→干安县). So it runs only on text that is traditional:

* **Detection.** Every CJK character is a *traditional marker* (OpenCC ``t2s`` changes it: 開, 報, 國),
  a *simplified marker* (``s2t`` changes it: 开, 报, 国) or neither (公, 安, 著, 行 — shared by both
  scripts). A text is cut into segments (lines); each segment is converted when its traditional
  markers outnumber its simplified ones, a tie goes to the document's majority, and a lone
  traditional marker in a simplified document (a name such as 魏其濛) is not enough. A segment
  without traditional markers is never touched. Measured on the real simplified pages of
  ``shared/reference``, seeds 002-004 and the demo sites: no body text changes (before: 显著→显着,
  行程→进程, 核心→内核 ×2, 魏其濛→魏其蒙); ``tests/test_normalization.py`` holds that.
* **Stray characters.** Simplified pages in GBK carry stray traditional characters (Word and IMEs
  write 政府信息公開 into a page declared gb2312). In a simplified segment a traditional marker is
  converted on its own (character by character, ``t2s``, no vocabulary) when it is *unambiguous*:
  outside GB2312, the simplified character set, and simplifying to simplified-only characters
  (開→开, 報→报). Characters that simplified text also uses — GB2312 members (乾 of 乾安县, 於) and
  the traditional halves of merged pairs (濛/蒙 of names, 後/后, 製/制) — stay as printed.
* **Conversion** of a traditional segment: protected phrases are swapped for private-use
  placeholders so ``tw2sp`` cannot touch them, then ``tw2sp``, then a small dictionary replaces
  Taiwan vocabulary ``tw2sp`` leaves behind (seeds 000 and 001, real mirror copies).

The protected phrases are what ``tw2sp`` still gets wrong on *traditional* mirror text (mainland
words that are Taiwan words too: 建立, 整合, 智慧, 效能 …). The words that were only there because
simplified pages went through ``tw2sp`` (文件, 程序, 乾县, 乾安县 in simplified script) are gone:
detection keeps simplified text away from the converter.

The converters and marker sets are built lazily (nothing at import time) and shared: building them
costs ~80 ms, and OpenCC's ``convert`` is thread-safe.
"""
from __future__ import annotations

import re
from functools import lru_cache

import opencc

# Traditional form → the simplified form it must become. Each entry is a word tw2sp rewrites wrongly
# in traditional mirror text; the comment gives tw2sp's output, verified with opencc 1.1.
PROTECTED_PHRASES: dict[str, str] = {
    "建立": "建立",  # tw2sp: 创建
    "查詢": "查询",  # tw2sp: 查找
    "指標": "指标",  # tw2sp: 指针
    "互動": "互动",  # tw2sp: 交互
    "智慧": "智慧",  # tw2sp: 智能 (智慧城市, 智慧警务)
    "整合": "整合",  # tw2sp: 集成
    "通訊": "通讯",  # tw2sp: 通信
    "資料": "资料",  # tw2sp: 数据 (宣传资料)
    "執行": "执行",  # tw2sp: 运行
    "效能": "效能",  # tw2sp: 性能 (行政效能)
    "新增": "新增",  # tw2sp: 添加
    "檔案館": "档案馆",  # tw2sp: 文件馆 (檔案 alone is the Taiwan word for 文件 and stays converted)
    "正規化": "正规化",  # tw2sp: 范式 (队伍正规化建设)
    "複製": "复制",  # tw2sp: 拷贝 (複製、列印、郵寄, seed 000)
}

# Taiwan vocabulary still present after tw2sp (found in seeds 000 and 001) → mainland word.
TAIWAN_LEFTOVERS: dict[str, str] = {
    "冬粉": "粉丝",  # 微博冬粉人数 (seed 000)
    "套用": "应用",  # 平台套用, 信息化套用水平 (seed 001)
    "契约制": "合同制",  # 契約制工作人员 (seed 001)
    "逾时": "超时",  # 逾時警告 (seed 001)
    "报导": "报道",  # 采访报導 (seed 000)
    "诈欺": "诈骗",  # 网购詐欺防范 (seed 000)
    "触摸屏幕": "触摸屏",  # 觸控螢幕 → 触摸屏幕 (seed 001)
    "网路": "网络",  # tw2sp converts 網路 but not the simplified-script 网路 of mixed segments
}

_PLACEHOLDER_BASE = 0xE000  # Unicode private-use area: OpenCC passes these through untouched
_CJK_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))
# A lone traditional marker in a simplified document is a name or a variant (魏其濛), not a
# traditional passage: a segment needs this many markers to be converted against its document.
_MIN_MARKERS_AGAINST_DOCUMENT = 2


@lru_cache(maxsize=1)
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("tw2sp")


@lru_cache(maxsize=1)
def _marker_sets() -> tuple[dict[str, str], frozenset[str]]:
    """(traditional marker → its ``t2s`` form, simplified markers).

    A character both conversions change (a handful of variants such as 醖/藴) is neither.
    """
    chars = [chr(code) for low, high in _CJK_RANGES for code in range(low, high + 1)]
    joined = "\n".join(chars)  # one character per line: conversion is per character, never per phrase
    to_simplified_chars = opencc.OpenCC("t2s").convert(joined).split("\n")
    to_traditional_chars = opencc.OpenCC("s2t").convert(joined).split("\n")
    traditional = {c: s for c, s in zip(chars, to_simplified_chars) if s != c}
    simplified = {c for c, t in zip(chars, to_traditional_chars) if t != c}
    both = traditional.keys() & simplified
    return {c: s for c, s in traditional.items() if c not in both}, frozenset(simplified - both)


@lru_cache(maxsize=1)
def _marker_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(traditional markers, simplified markers) as character classes."""
    traditional, simplified = _marker_sets()
    return _char_class(set(traditional)), _char_class(set(simplified))


def _char_class(chars: set[str]) -> re.Pattern[str]:
    return re.compile("[" + "".join(re.escape(c) for c in sorted(chars)) + "]")


def script_markers(text: str) -> tuple[int, int]:
    """(traditional markers, simplified markers) in ``text``."""
    traditional, simplified = _marker_patterns()
    return len(traditional.findall(text)), len(simplified.findall(text))


def is_traditional(text: str) -> bool:
    """Whether ``text`` as a whole is written in traditional script (more traditional markers)."""
    traditional, simplified = script_markers(text)
    return traditional > simplified


@lru_cache(maxsize=1)
def _stray_table() -> dict[int, str]:
    """Unambiguous traditional characters → their simplified form (see "Stray characters")."""
    traditional, simplified = _marker_sets()
    return {ord(char): target for char, target in traditional.items()
            if not _in_gb2312(char) and target and all(c in simplified for c in target)}


def _in_gb2312(char: str) -> bool:
    try:
        char.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def _segment_is_traditional(traditional: int, simplified: int, document_traditional: bool) -> bool:
    if traditional == 0 or traditional < simplified:
        return False
    if traditional == simplified:
        return document_traditional
    return document_traditional or traditional >= _MIN_MARKERS_AGAINST_DOCUMENT


def _alternation(words: dict[str, str]) -> re.Pattern[str]:
    # Longest first, so 檔案館 wins over any shorter word inside it.
    return re.compile("|".join(map(re.escape, sorted(words, key=len, reverse=True))))


@lru_cache(maxsize=1)
def _protected_pattern() -> re.Pattern[str]:
    return _alternation(PROTECTED_PHRASES)


@lru_cache(maxsize=1)
def _leftover_pattern() -> re.Pattern[str]:
    return _alternation(TAIWAN_LEFTOVERS)


@lru_cache(maxsize=1)
def _placeholders() -> dict[str, str]:
    """One private-use character per protected phrase."""
    return {word: chr(_PLACEHOLDER_BASE + i) for i, word in enumerate(PROTECTED_PHRASES)}


@lru_cache(maxsize=1)
def _placeholder_pattern() -> re.Pattern[str]:
    return _char_class(set(_placeholders().values()))


def convert_traditional(text: str) -> str:
    """``text``, known to be traditional, in simplified script with mainland vocabulary."""
    placeholders = _placeholders()
    if _placeholder_pattern().search(text):
        # The page itself uses these private-use code points; protecting would corrupt it.
        converted = _converter().convert(text)
    else:
        guarded, protected = _protected_pattern().subn(lambda m: placeholders[m.group(0)], text)
        converted = _converter().convert(guarded)
        if protected:  # OpenCC passes the placeholders through: put the protected words back
            for word, mark in placeholders.items():
                converted = converted.replace(mark, PROTECTED_PHRASES[word])
    return _leftover_pattern().sub(lambda m: TAIWAN_LEFTOVERS[m.group(0)], converted)


def to_simplified(text: str) -> str:
    """``text`` with its traditional segments (lines) converted, and unambiguous stray traditional
    characters of its simplified segments; simplified text comes back unchanged."""
    if not text:
        return text
    traditional_pattern, simplified_pattern = _marker_patterns()
    if not traditional_pattern.search(text):
        return text  # nothing traditional at all: the common case, a mainland page
    document_traditional = is_traditional(text)
    lines = text.split("\n")
    changed = False
    for i, line in enumerate(lines):
        markers = len(traditional_pattern.findall(line)), len(simplified_pattern.findall(line))
        if _segment_is_traditional(*markers, document_traditional):
            lines[i] = convert_traditional(line)
        elif markers[0]:
            lines[i] = line.translate(_stray_table())
        changed = changed or lines[i] != line
    return "\n".join(lines) if changed else text

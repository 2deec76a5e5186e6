"""Traditional → simplified with OpenCC ``tw2sp`` (phrase-level, Taiwan vocabulary), plus repairs.

Mirror sites publish mainland reports converted with something like OpenCC ``s2twp`` (网络→網路,
粉丝→冬粉 …). ``tw2sp`` undoes most of that but not all, and its phrase table also rewrites words that
are ordinary mainland usage in traditional script (建立→创建, 互動→交互, 效能→性能 …). Measured on the
seeds: converting seeds 002-004 (mainland originals) with ``s2twp`` and back with ``tw2sp``, or
passing them through ``tw2sp`` as they are, changes exactly the words in ``PROTECTED_PHRASES`` below; seeds 000-001 (real mirror copies) keep the
words in ``TAIWAN_LEFTOVERS`` after ``tw2sp``.

Three steps:
1. protected phrases (and place names that conversion damages, 乾安县 → 干安县) are swapped for
   private-use placeholders, so ``tw2sp`` cannot touch them, and come back in their simplified form;
2. ``tw2sp``;
3. a small dictionary replaces Taiwan vocabulary that ``tw2sp`` leaves behind.

The converter is built lazily (nothing at import time) and shared: building it costs ~20 ms and it is
thread-safe for ``convert``.
"""
from __future__ import annotations

import re
from functools import lru_cache

import opencc

# Traditional (or already simplified) form → the simplified form it must become. Each entry is a
# word tw2sp rewrites wrongly; the comment gives tw2sp's output, verified with opencc 1.1.
PROTECTED_PHRASES: dict[str, str] = {
    "乾安县": "乾安县",  # tw2sp: 干安县 (Jilin county; simplified input)
    "乾县": "乾县",  # tw2sp: 干县 (Shaanxi county; simplified input)
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
    # Already-simplified mainland text goes through tw2sp too (the extractor cannot tell scripts
    # apart page by page); these are the words seeds 002-004 lose that way.
    "文件": "文件",  # tw2sp: 文档
    "程序": "程序",  # tw2sp: 进程
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
    "网路": "网络",  # tw2sp converts 網路 but not the simplified-script 网路 of mixed pages
}

_PLACEHOLDER_BASE = 0xE000  # Unicode private-use area: OpenCC passes these through untouched


@lru_cache(maxsize=1)
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("tw2sp")


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


def _convert_protected(text: str) -> str:
    placeholders = _placeholders()
    if any(mark in text for mark in placeholders.values()):
        # The page itself uses these private-use code points; protecting would corrupt it.
        return _converter().convert(text)
    guarded = _protected_pattern().sub(lambda m: placeholders[m.group(0)], text)
    converted = _converter().convert(guarded)
    for word, mark in placeholders.items():
        converted = converted.replace(mark, PROTECTED_PHRASES[word])
    return converted


def to_simplified(text: str) -> str:
    """Return ``text`` in simplified script with mainland vocabulary."""
    if not text:
        return text
    converted = _convert_protected(text)
    return _leftover_pattern().sub(lambda m: TAIWAN_LEFTOVERS[m.group(0)], converted)

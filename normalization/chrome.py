"""Site chrome: what CMS templates and mirrors wrap around a report (menus, share bars, footers,
【打印】【关闭】 bylines, a mirror's 熱門詞條 / 聯絡我們). One definition, used by extraction (so the
stored text is the report's) and by dedup's comparison form.

Matching is done on simplified script; ``strip_chrome`` simplifies each short line before testing
it, so traditional-script chrome on mirrors is recognised too.
"""
from __future__ import annotations

import re

from normalization.script import to_simplified

# Chrome that sits inline, in brackets, on byline rows: 【打印】【关闭】【下载】【字体：大 中 小】.
BRACKETED_CHROME = re.compile(
    r"[【\[]\s*(?:打印(?:本页)?|关闭(?:窗口)?|下载|收藏|返回顶部|字体[^】\]]{0,12}|[大中小])\s*[】\]]"
)

# Words that, alone or together on one line, make a line of site chrome (menus, footers, share bars).
_CHROME_WORDS = (
    "热门词条", "联络我们", "联系我们", "打印本页", "关闭窗口", "打印", "关闭", "分享到", "网站地图",
    "返回顶部", "返回首页", "首页", "上一篇", "下一篇", "扫一扫在手机打开当前页", "收藏", "字体", "大", "中",
    "小", "下载",
)
_CHROME_WORD = re.compile("|".join(sorted(map(re.escape, _CHROME_WORDS), key=len, reverse=True)))

# Footer lines: everything from these words on is site furniture (版权所有 © …, 京ICP备…, 主办单位 …).
FOOTER_LINE = re.compile(r"^(?:版权所有|copyright|©|主办单位|承办单位|技术支持|网站标识码|.{0,20}icp备)", re.I)

# Chrome lines are short; a longer line is content even if it starts like a footer.
CHROME_MAX_LENGTH = 120
_NOT_CONTENT = re.compile(r"[\W_]+")


def is_chrome_line(line: str) -> bool:
    """A short line made only of chrome words and separators, or a footer line (simplified input)."""
    stripped = line.strip()
    if not stripped or len(stripped) > CHROME_MAX_LENGTH:
        return False
    if FOOTER_LINE.match(stripped):
        return True
    return not _NOT_CONTENT.sub("", _CHROME_WORD.sub("", stripped))


def strip_chrome(text: str) -> str:
    """``text`` (either script) without bracketed chrome and without chrome/footer lines."""
    kept = []
    for line in BRACKETED_CHROME.sub("", text).splitlines():
        probe = to_simplified(line) if len(line.strip()) <= CHROME_MAX_LENGTH else line
        if line.strip() and not is_chrome_line(BRACKETED_CHROME.sub("", probe)):
            kept.append(line.rstrip())
    return "\n".join(kept)

"""Traditional → simplified with OpenCC ``tw2sp`` (phrase-level, Taiwan vocabulary).

The converter is built lazily (nothing at import time) and shared: building it costs ~20 ms and it is
thread-safe for ``convert``.
"""
from __future__ import annotations

from functools import lru_cache

import opencc


@lru_cache(maxsize=1)
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("tw2sp")


def to_simplified(text: str) -> str:
    """Return ``text`` in simplified script with mainland vocabulary."""
    if not text:
        return text
    return _converter().convert(text)

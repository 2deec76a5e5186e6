"""Extract stage: the body text (and main-content HTML) of a fetched document.

``extract_html`` is imported on first use, not here: the bounded attachment child imports
``extraction.pdf`` and must not pay for trafilatura's import (see ``extraction.attachments``).
"""
from __future__ import annotations

__all__ = ["Extracted", "extract_html"]


def __getattr__(name: str):
    if name in __all__:
        from extraction import html

        return getattr(html, name)
    raise AttributeError(f"module 'extraction' has no attribute {name!r}")

"""Decoded HTML → one lxml tree: the parse that fetch-time classification, extraction and metadata share."""
from __future__ import annotations

import re

import lxml.etree
import lxml.html

_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


def html_tree(html: str) -> lxml.html.HtmlElement | None:
    """An lxml document for decoded HTML, or None when there is nothing to parse."""
    try:
        # lxml refuses str input that declares an encoding: the bytes are already decoded
        return lxml.html.document_fromstring(_XML_DECLARATION.sub("", html, count=1))
    except (lxml.etree.ParserError, ValueError):  # an empty document
        return None

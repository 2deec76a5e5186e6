"""Decoded HTML → one lxml tree: the parse that fetch-time classification, extraction, metadata,
tables and attachment links share; and the text of an element as a reader sees it.

The readers above this module were written against BeautifulSoup; they now walk the lxml tree
(BeautifulSoup's "lxml" builder is the same libxml2 parser underneath, at ~20× the cost: building
its Python objects took more CPU than everything else the page needed). ``strings`` keeps
BeautifulSoup's definition of an element's text, so what they read did not change.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable

import lxml.etree
import lxml.html

_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")

# Text a reader never sees. BeautifulSoup types the strings inside these elements apart (Script,
# Stylesheet, TemplateString, ruby annotations) and leaves them out of ``get_text``, except the
# text of such an element itself; comments and processing instructions are not text nodes at all.
_CONTAINERS = ("script", "style", "template", "rt", "rp")
_IN_CONTAINER = " or ".join(f"self::{tag}" for tag in _CONTAINERS)
_UNDER_CONTAINER = " or ".join(f"ancestor::{tag}" for tag in _CONTAINERS)  # 3× faster than ancestor::*[…]
_SEEN_TEXT = lxml.etree.XPath(f"descendant::text()[not({_UNDER_CONTAINER})]", smart_strings=False)
_ALL_TEXT = lxml.etree.XPath("descendant::text()", smart_strings=False)
_INSIDE_CONTAINER = lxml.etree.XPath(f"boolean({_UNDER_CONTAINER})")
_CONTAINER_NEAR = lxml.etree.XPath(
    "boolean(" + " or ".join(f"ancestor-or-self::{tag} or descendant::{tag}" for tag in _CONTAINERS) + ")")
_CONTAINER_TEXT = {tag: lxml.etree.XPath(f"descendant::text()[ancestor::*[{_IN_CONTAINER}][1][self::{tag}]]",
                                         smart_strings=False) for tag in _CONTAINERS}


def html_tree(html: str) -> lxml.html.HtmlElement | None:
    """An lxml document for decoded HTML, or None when there is nothing to parse."""
    try:
        # lxml refuses str input that declares an encoding: the bytes are already decoded
        return lxml.html.document_fromstring(_XML_DECLARATION.sub("", html, count=1))
    except (lxml.etree.ParserError, ValueError):  # an empty document
        return None


def strings(element: lxml.etree._Element) -> list[str]:
    """The element's text nodes in document order, as BeautifulSoup's ``get_text`` takes them: no
    comments, no processing instructions, nothing inside script, style, template, rt or rp (at any
    depth, as there; the text of such an element itself is its own kind and is taken), the
    element's own tail excluded."""
    own_kind = _CONTAINER_TEXT.get(element.tag)
    return own_kind(element) if own_kind is not None else _SEEN_TEXT(element)


def strings_within(root: lxml.etree._Element) -> Callable[[lxml.etree._Element], list[str]]:
    """``strings`` for elements inside ``root``: when no script, style, template, rt or rp is in or
    above ``root``, every text node counts and a plain XPath reads them (a statistics table's
    ~600 cells)."""
    return strings if _CONTAINER_NEAR(root) else _ALL_TEXT


def inside_unseen_text(element: lxml.etree._Element) -> bool:
    """Whether ``element`` sits inside a script, style, template, rt or rp, whose text ``strings``
    leaves out: its markup parsed on its own would read differently."""
    return bool(_INSIDE_CONTAINER(element))


def text_of(element: lxml.etree._Element, separator: str = "", strip: bool = False) -> str:
    """BeautifulSoup's ``element.get_text(separator, strip=strip)``."""
    if strip:
        return separator.join(piece for text in strings(element) if (piece := text.strip()))
    return separator.join(strings(element))


def is_element(node: object) -> bool:
    """An element, not a comment, processing instruction or entity (their ``tag`` is not a str)."""
    return isinstance(getattr(node, "tag", None), str)


def descendants_named(root: lxml.etree._Element, names: Iterable[str], stop: str | None = None
                      ) -> list[lxml.etree._Element]:
    """Descendants of ``root`` whose tag is in ``names``, in document order, not looking inside
    descendants tagged ``stop`` (a nested table's rows are its own). An element tagged ``stop``
    may itself be in ``names``: it is listed, its inside is not searched."""
    wanted = frozenset(names)
    found: list[lxml.etree._Element] = []
    pending = list(reversed(root))
    while pending:
        node = pending.pop()
        tag = node.tag
        if not isinstance(tag, str):
            continue
        if tag in wanted:
            found.append(node)
        if tag != stop:
            pending.extend(reversed(node))
    return found

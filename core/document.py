"""The document contract: what the parse stage produces and the load stage consumes.

``ContentParse`` (with its cells, figures, sections and flags) is what the pure parsers
(``parsing.*``) return; ``Document`` is one fetched, extracted, normalized and parsed document
ready to load (``storage``). Nothing here touches the network or the database.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class StatCell:
    """One number of a statistics table, with codebook codes and where it was read."""

    table: str  # codebook table code: requests | review_litigation | proactive
    row: str  # codebook row code, e.g. "withheld.state_secret"
    column: str  # codebook column code, e.g. "natural_person"
    value: float  # ints are stored as floats with no fraction; fee/procurement amounts in 万元
    row_label: str  # the row label as printed (after whitespace folding)
    column_label: str  # the column label as printed
    table_index: int  # 0-based position of the table in its document (HTML <table>, XLSX sheet, text block)
    origin: str  # "html" | "xlsx" | "text"
    empty: bool = False  # the cell was blank (or &nbsp;) and was read as 0


@dataclass(frozen=True)
class Figure:
    """A key figure (codebook ``figures``) with the sentence or cell it came from."""

    key: str  # applications_received | disclosed | partially_disclosed | reconsiderations | lawsuits
    value: int
    evidence: str  # the sentence, or "table/row/column" cell reference, it was read from
    method: str  # "table" | "prose" | "appendix"


@dataclass(frozen=True)
class Section:
    """One part of a report: its heading as printed and its text."""

    key: str | None  # canonical part code (see parsing.sections), None if the heading is unrecognised
    heading: str
    text: str


@dataclass(frozen=True)
class Flag:
    """Something a reader must know about a report: a broken identity, an image-only table, …"""

    kind: str  # "check_failed" | "image_only_table" | "empty_cells_as_zero" | …
    table: str | None
    detail: str  # human-readable: the identity and the numbers, or the heading of the missing table
    data: dict = field(default_factory=dict)  # machine-readable numbers behind ``detail``


@dataclass(frozen=True)
class ContentParse:
    """Everything parsed out of one document's body."""

    format: str | None  # "2019" | "2021" | None (pre-2019 or unknown)
    sections: list[Section]
    cells: list[StatCell]
    figures: dict[str, Figure]
    flags: list[Flag]


@dataclass
class Document:
    """A fetched, extracted, normalized and parsed document, ready to load."""

    source_id: str
    official: bool
    url: str
    final_url: str
    kind: str  # html | pdf | docx | xlsx | doc
    snapshot_hash: str
    agency: str
    year: int
    title: str | None
    published: str | None
    text: str  # simplified
    text_original: str
    content: ContentParse
    link_text: str | None = None
    listing_url: str | None = None
    evidence: dict = field(default_factory=dict)

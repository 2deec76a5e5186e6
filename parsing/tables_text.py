"""Statistics tables flattened to text (PDF/DOC text): labels followed by runs of numbers.

The text is cut into the report's parts (``parsing.sections``); each table is read from its part:
the 申请 table as labels each followed by 7 numbers, the 复议诉讼 table as one run of 15 numbers, the
主动公开 table as header words (本年制发件数 …) then row labels each followed by one number per header.
Blank cells vanish in flattened text, so a run of the wrong length cannot be aligned: it is flagged
(``text_row_incomplete``) and skipped rather than guessed.
"""
from __future__ import annotations

import re

from normalization.text import fold_whitespace, match_key
from core.codebook import load_codebook
from parsing.sections import split_sections
from parsing.tables import (
    PROACTIVE,
    PROACTIVE_2019_COLUMNS,
    PROACTIVE_2021_COLUMNS,
    PROACTIVE_COLUMN_RULES,
    PROACTIVE_ROW_RULES,
    REQUESTS,
    REQUESTS_2021_ROWS,
    REVIEW,
    CellBuilder,
    TableParse,
    match_request_row,
)

_NUMBER_TOKEN = re.compile(r"[+-]?\d+(?:\.\d+)?(?:万元|万|元)?")
# Where a 申请 row label starts, once header words before it are dropped.
_ROW_START = re.compile(r"[一二三四]、|\([一二三四五六七]\)|(?<![\d.])\d{1,2}[.、](?!\d)")


def _tokens(text: str) -> list[str]:
    return [match_key(token) for token in fold_whitespace(text).split(" ") if token]


def _runs(tokens: list[str]) -> list[tuple[str, list[str]]]:
    """(label before, numbers) for each run of number tokens.

    A lone number followed by more label text is part of the label (an item number that lost its
    dot: "1 属于国家秘密").
    """
    runs: list[tuple[str, list[str]]] = []
    label: list[str] = []
    numbers: list[str] = []
    for token in tokens:
        if _NUMBER_TOKEN.fullmatch(token):
            numbers.append(token)
            continue
        if numbers:
            if len(numbers) == 1 and label:
                label.append(numbers[0])
            else:
                runs.append(("".join(label), numbers))
                label = []
            numbers = []
        label.append(token)
    if numbers:
        runs.append(("".join(label), numbers))
    return runs


def _part_texts(text: str) -> dict[str, str]:
    parts: dict[str, str] = {}
    for section in split_sections(text):
        if section.key in (PROACTIVE, REQUESTS, REVIEW) and section.key not in parts:
            parts[section.key] = section.text
    return parts


def _read_requests(text: str, out: CellBuilder) -> None:
    labels = load_codebook().table(REQUESTS).columns  # printed order = codebook order
    columns = list(labels)
    group: str | None = None
    for label, numbers in _runs(_tokens(text)):
        start = _ROW_START.search(label)
        label = label[start.start():] if start else label
        match = match_request_row(label, group)
        if match.group is not None and match.group != group:
            group = match.group
        elif match.group is None:
            group = None
        code = match.code
        if code is None and match.group == "other":
            code = "other"
        if code is None:
            continue
        if len(numbers) != len(columns):
            out.flag("text_row_incomplete", f"{label}: {len(numbers)} numbers, expected {len(columns)}",
                     {"row": code, "numbers": numbers})
            continue
        out.result.formats.add("2021" if code in REQUESTS_2021_ROWS else "2019" if code == "other" else "")
        for column, number in zip(columns, numbers):
            out.add(code, column, number, label, labels[column])
    out.result.formats.discard("")


def _read_review(text: str, out: CellBuilder) -> None:
    columns = load_codebook().table(REVIEW).columns
    runs = [numbers for _, numbers in _runs(_tokens(text))]
    full = next((numbers for numbers in runs if len(numbers) == len(columns)), None)
    if full is None:
        if runs:
            out.flag("text_row_incomplete", f"复议诉讼 table: no run of {len(columns)} numbers",
                     {"runs": [len(r) for r in runs]})
        return
    for (column, label), number in zip(columns.items(), full):
        out.add("count", column, number, "", label)


def _header_columns(label: str) -> list[str]:
    """Proactive column codes named in ``label``, in printed order."""
    found = []
    for code, words in PROACTIVE_COLUMN_RULES:
        positions = [label.find(word) for word in words if word in label]
        if positions:
            found.append((min(positions), code))
    return [code for _, code in sorted(found)]


def _read_proactive(text: str, out: CellBuilder) -> None:
    labels = load_codebook().table(PROACTIVE).columns
    columns: list[str] = []
    for label, numbers in _runs(_tokens(text)):
        named = _header_columns(label)
        columns = named or columns
        row_hits = [(label.rfind(w), code) for code, words in PROACTIVE_ROW_RULES for w in words if w in label]
        if not row_hits or not columns:
            continue
        position, code = max(row_hits)
        if len(numbers) != len(columns):
            out.flag("text_row_incomplete", f"{label[position:]}: {len(numbers)} numbers for {len(columns)} columns",
                     {"row": code, "numbers": numbers})
            continue
        for column, number in zip(columns, numbers):
            out.add(code, column, number, label[position:], labels[column])
            if column in PROACTIVE_2021_COLUMNS:
                out.result.formats.add("2021")
            elif column in PROACTIVE_2019_COLUMNS:
                out.result.formats.add("2019")


def parse_text_tables(text: str, first_index: int = 0) -> TableParse:
    """Statistics tables flattened into ``text``; ``table_index`` numbers them in reading order."""
    result = TableParse()
    readers = ((PROACTIVE, _read_proactive), (REQUESTS, _read_requests), (REVIEW, _read_review))
    parts = _part_texts(text)
    index = first_index
    for table, reader in readers:
        if table not in parts:
            continue
        builder = CellBuilder(table, index, "text")
        reader(parts[table], builder)
        part = builder.finish()
        if part.cells:
            result.extend(part)
            index += 1
        else:
            result.flags.extend(f for f in part.flags if f.kind != "empty_cells_as_zero")
    return result

"""Parquet files of the export's tables (``govreports.tabular``), typed from their column
declarations and written in row groups, so that millions of statistics cells never sit in memory
at once. Imported only by the parquet export: pyarrow costs time to import."""
from __future__ import annotations

from itertools import islice
from pathlib import Path
from typing import Iterable

import pyarrow as pa
import pyarrow.parquet as pq

from core.output import replacing
from govreports.tabular import BOOL, DATE, FLOAT, INT, STRING, STRINGS, Column

ARROW_TYPES = {STRING: pa.string(), INT: pa.int64(), FLOAT: pa.float64(), BOOL: pa.bool_(), DATE: pa.date32(),
               STRINGS: pa.list_(pa.string())}
ROW_GROUP = 50_000  # rows per write: bounded memory, and row groups large enough to scan fast


def schema(columns: Iterable[Column]) -> pa.Schema:
    return pa.schema([pa.field(c.name, ARROW_TYPES[c.type], metadata={"meaning": c.meaning}) for c in columns])


def write_table(out: Path, columns: tuple[Column, ...], rows: Iterable[dict]) -> int:
    """Write ``rows`` (dicts keyed by column name) to ``out``; returns how many."""
    arrow_schema = schema(columns)
    rows = iter(rows)
    count = 0
    with replacing(out) as temporary:
        with pq.ParquetWriter(temporary, arrow_schema, compression="zstd") as writer:
            while batch := list(islice(rows, ROW_GROUP)):
                writer.write_table(pa.Table.from_pylist(batch, schema=arrow_schema))
                count += len(batch)
    return count

"""The data model. Natural keys and content hashes are unique constraints, so a retry or a re-run
can never duplicate a row (STYLE.md §9). Times are timezone-aware UTC."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import JSON, BigInteger, Column, DateTime, Index, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


def _utc() -> Column:
    return Column(DateTime(timezone=True))


class SourceRow(SQLModel, table=True):
    __tablename__ = "sources"
    id: str = Field(primary_key=True)
    name: Optional[str] = None
    kind: str
    config: dict = Field(sa_column=Column(JSON, nullable=False))
    first_seen_run: int
    last_seen_run: int


class CrawlRun(SQLModel, table=True):
    __tablename__ = "crawl_runs"
    id: Optional[int] = Field(default=None, primary_key=True)
    flow: str  # crawl | reparse
    state: str  # running | completed | failed | crashed
    started_at: datetime = Field(sa_column=_utc())
    ended_at: Optional[datetime] = Field(default=None, sa_column=_utc())
    heartbeat_at: Optional[datetime] = Field(default=None, sa_column=_utc())
    parameters: dict = Field(sa_column=Column(JSON, nullable=False))
    counts: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    errors: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    prefect_flow_run_id: Optional[str] = None
    hostname: Optional[str] = None
    pid: Optional[int] = None


class FetchRow(SQLModel, table=True):
    __tablename__ = "fetches"
    __table_args__ = (Index("ix_fetches_url_id", "url", "id"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    run_id: Optional[int] = Field(default=None, foreign_key="crawl_runs.id", index=True)
    source_id: Optional[str] = None
    purpose: str
    url: str
    method: str
    attempt: int
    outcome: str = Field(index=True)
    final_url: Optional[str] = None
    status: Optional[int] = None
    bytes: int = 0
    elapsed_ms: int = 0
    etag: Optional[str] = None
    last_modified: Optional[str] = None
    content_hash: Optional[str] = None
    content_type: Optional[str] = None
    redirects: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    error: Optional[str] = None
    fetched_at: datetime = Field(sa_column=_utc())


class Snapshot(SQLModel, table=True):
    __tablename__ = "snapshots"
    content_hash: str = Field(primary_key=True)  # sha256 of the raw bytes
    size: int
    content_type: Optional[str] = None
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    first_run_id: Optional[int] = None


class Report(SQLModel, table=True):
    """One per (agency, year): the deduplicated report."""

    __tablename__ = "reports"
    __table_args__ = (UniqueConstraint("agency", "year", name="uq_reports_agency_year"),)
    id: str = Field(primary_key=True)  # stable: derived from (agency, year)
    agency: str
    year: int = Field(index=True)
    title: Optional[str] = None
    published: Optional[str] = None
    url: str  # canonical copy's URL
    canonical_copy_id: str
    canonical_reason: str
    text: str = Field(sa_column=Column(Text, nullable=False))
    text_original: str = Field(sa_column=Column(Text, nullable=False))
    parse_key: str  # hash of (canonical text, parser version): re-parse only when it changes
    format: Optional[str] = None
    metadata_evidence: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    first_seen_run: int
    last_seen_run: int
    updated_run: int


class Copy(SQLModel, table=True):
    """Every place a report (or a copy of it) was found: one row per (URL, text)."""

    __tablename__ = "copies"
    __table_args__ = (UniqueConstraint("url", "text_key", name="uq_copies_url_text"),)
    id: str = Field(primary_key=True)  # derived from (url, text_key)
    report_id: str = Field(foreign_key="reports.id", index=True)
    source_id: str
    url: str
    final_url: str
    kind: str  # html | pdf | docx | xlsx | doc
    official: bool
    snapshot_hash: str
    text_key: str = Field(index=True)  # sha256 of the folded comparison text (indexed: same text elsewhere)
    title: Optional[str] = None
    published: Optional[str] = None
    link_text: Optional[str] = None
    listing_url: Optional[str] = None
    text: str = Field(sa_column=Column(Text, nullable=False))
    text_original: str = Field(sa_column=Column(Text, nullable=False))
    seq: int  # order found within its report (1 = first): the dedup rules read copies in this order
    match: str  # how it joined its report: first | exact | near | version | document | no_text | distinct (dedup.MatchKind)
    matched_copy_id: Optional[str] = None  # the stored copy it was matched against (for "document": its stub page)
    similarity: Optional[float] = None
    tables_found: int = Field(default=0, sa_column_kwargs={"server_default": "0"})  # statistics tables read from it
    changed_numbers: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    first_seen_run: int
    last_seen_run: int
    # MinHash of the text (dedup.index): with its band buckets in copy_bands, finds near texts filed
    # under other reports. NULL for copies loaded before it existed until `govreports reparse`.
    minhash: Optional[bytes] = Field(default=None, sa_column=Column(LargeBinary, nullable=True))


class CopyBand(SQLModel, table=True):
    """One LSH band bucket of a copy's MinHash: copies sharing a bucket are near-duplicate candidates."""

    __tablename__ = "copy_bands"
    copy_id: str = Field(foreign_key="copies.id", primary_key=True)
    band: int = Field(primary_key=True)
    bucket: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))


class FigureRow(SQLModel, table=True):
    __tablename__ = "figures"
    __table_args__ = (UniqueConstraint("report_id", "key", name="uq_figures_report_key"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    report_id: str = Field(foreign_key="reports.id", index=True)
    key: str
    value: int
    evidence: str = Field(sa_column=Column(Text, nullable=False))
    method: str
    copy_id: str
    snapshot_hash: str


class StatRow(SQLModel, table=True):
    __tablename__ = "stats"
    __table_args__ = (UniqueConstraint("report_id", "table", "row", "column", name="uq_stats_cell"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    report_id: str = Field(foreign_key="reports.id", index=True)
    table: str
    row: str
    column: str
    value: float
    row_label: str
    column_label: str
    table_index: int
    origin: str
    empty: bool = False
    copy_id: str
    snapshot_hash: str


class SectionRow(SQLModel, table=True):
    __tablename__ = "sections"
    __table_args__ = (UniqueConstraint("report_id", "position", name="uq_sections_position"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    report_id: str = Field(foreign_key="reports.id", index=True)
    position: int
    key: Optional[str] = None
    heading: str
    text: str = Field(sa_column=Column(Text, nullable=False))


class FlagRow(SQLModel, table=True):
    __tablename__ = "flags"
    __table_args__ = (UniqueConstraint("report_id", "position", name="uq_flags_position"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    report_id: str = Field(foreign_key="reports.id", index=True)
    position: int
    kind: str
    table: Optional[str] = None
    detail: str = Field(sa_column=Column(Text, nullable=False))
    data: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class HostLease(SQLModel, table=True):
    """Per-host politeness shared by workers (fetching.postgres_gate): the next allowed request start
    and, while a request is in flight, who holds the host and until when."""

    __tablename__ = "host_leases"
    host: str = Field(primary_key=True)  # host[:port], as fetching uses it
    next_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    holder: Optional[str] = None
    held_until: Optional[datetime] = Field(default=None, sa_column=_utc())


class HostStateRow(SQLModel, table=True):
    """Blocked, parked and robots.txt state of a host, shared by workers (fetching.postgres_host_state).
    Each state carries its own expiry (the ``*_until`` columns): N shards are N runs that share it."""

    __tablename__ = "host_state"
    host: str = Field(primary_key=True)  # host[:port], as fetching uses it
    blocked_reason: Optional[str] = None  # e.g. "HTTP 412"
    blocked_at: Optional[datetime] = Field(default=None, sa_column=_utc())
    blocked_until: Optional[datetime] = Field(default=None, sa_column=_utc())
    consecutive_failures: int = Field(default=0, sa_column_kwargs={"server_default": "0"})  # any worker's, in a row
    parked_until: Optional[datetime] = Field(default=None, sa_column=_utc())
    robots_status: Optional[int] = None
    robots_body: Optional[str] = Field(default=None, sa_column=Column(Text))  # the text of a 2xx answer
    robots_unavailable: Optional[str] = None  # why it could not be read: then everything is disallowed
    robots_crawl_delay: Optional[float] = None
    robots_fetched_at: Optional[datetime] = Field(default=None, sa_column=_utc())
    robots_until: Optional[datetime] = Field(default=None, sa_column=_utc())  # the copy is used until then
    robots_holder: Optional[str] = None  # the worker fetching robots.txt now, and its lease
    robots_held_until: Optional[datetime] = Field(default=None, sa_column=_utc())

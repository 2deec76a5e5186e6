"""The Store: every write govreports makes goes through here (runs, fetch ledger, snapshots,
sources, copies and reports), in short transactions, so that a kill -9 at any moment leaves a
consistent database that the next run continues from.

Concurrency: SQLite allows one writer, so writes from the crawl's threads are serialized by a
process-wide lock (WAL lets readers go on). On Postgres, loads into one (agency, year) block are
serialized by a transaction-scoped advisory lock, which also holds across workers on many machines.
"""
from __future__ import annotations

import hashlib
import os
import socket
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from enum import StrEnum
from typing import TYPE_CHECKING, Callable, Iterator

from sqlalchemy import JSON, func, select, text, update
from sqlalchemy.orm import Session

from dedup.fold import exact_key
from dedup.match import CopyText, Match, MatchKind, choose_canonical, match
from fetching.client import FetchRecord, Validators
from govreports.sources import Source
from parsing.types import ContentParse
from storage.db import make_engine, migrate
from storage.models import (
    Copy, CrawlRun, FetchRow, FigureRow, FlagRow, Report, SectionRow, Snapshot, SourceRow, StatRow,
)
from storage.upsert import _insert, insert_ignore, upsert

if TYPE_CHECKING:  # coverage imports the store; the store only names its row type
    from govreports.coverage import FoundReport

# A running run whose heartbeat is older than this is taken for dead (another machine's worker
# killed hard). Same-host runs are checked by pid at once.
STALE_AFTER = timedelta(minutes=15)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def report_id_for(agency: str, year: int) -> str:
    """Stable id of the report of (agency, year): survives re-crawls and re-parses."""
    return "r" + hashlib.sha256(f"{agency}\x1f{year}".encode()).hexdigest()[:16]


def copy_id_for(url: str, text_key: str) -> str:
    return "c" + hashlib.sha256(f"{url}\x1f{text_key}".encode()).hexdigest()[:16]


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


@dataclass(frozen=True)
class ReparseTarget:
    report_id: str
    year: int
    parse_key: str
    canonical: Copy


class LoadOutcome(StrEnum):
    NEW = "new"  # a report not seen before
    CHANGED = "changed"  # its canonical copy changed (a correction, a better copy)
    COPY_ADDED = "copy_added"  # a new copy of a known report; canonical unchanged
    UNCHANGED = "unchanged"  # this copy was already stored


ContentFor = Callable[[Copy], ContentParse]


class Store:
    def __init__(self, url: str, *, create: bool = True) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.dialect = self.engine.dialect.name
        self._sqlite_lock = threading.RLock()
        if create:
            migrate(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _tx(self) -> Iterator[Session]:
        if self.dialect == "sqlite":
            with self._sqlite_lock, Session(self.engine) as session, session.begin():
                yield session
        else:
            with Session(self.engine) as session, session.begin():
                yield session

    def session(self) -> Session:
        """A read session (callers must not write through it)."""
        return Session(self.engine)

    # -- runs ---------------------------------------------------------------------------------

    def start_run(self, flow: str, parameters: dict, prefect_flow_run_id: str | None = None) -> int:
        now = utcnow()
        with self._tx() as s:
            run = CrawlRun(flow=flow, state="running", started_at=now, heartbeat_at=now, parameters=parameters,
                           prefect_flow_run_id=prefect_flow_run_id, hostname=socket.gethostname(), pid=os.getpid())
            s.add(run)
            s.flush()
            return run.id

    def heartbeat(self, run_id: int, counts: dict) -> None:
        with self._tx() as s:
            s.execute(update(CrawlRun).where(CrawlRun.id == run_id).values(heartbeat_at=utcnow(), counts=counts))

    def finish_run(self, run_id: int, state: str, counts: dict, errors: dict) -> None:
        with self._tx() as s:
            s.execute(update(CrawlRun).where(CrawlRun.id == run_id).values(
                state=state, ended_at=utcnow(), heartbeat_at=utcnow(), counts=counts, errors=errors))

    def mark_crashed_runs(self) -> list[int]:
        """Runs still 'running' whose process is gone: mark them crashed; return their ids."""
        host = socket.gethostname()
        crashed: list[int] = []
        with self._tx() as s:
            for run in s.scalars(select(CrawlRun).where(CrawlRun.state == "running")):
                heartbeat = _aware(run.heartbeat_at or run.started_at)
                dead_here = run.hostname == host and run.pid is not None and not _pid_alive(run.pid)
                if dead_here or utcnow() - heartbeat > STALE_AFTER:
                    run.state = "crashed"
                    run.ended_at = heartbeat
                    run.errors = {**(run.errors or {}), "crashed": "the run's process ended without finishing"}
                    crashed.append(run.id)
        return crashed

    def resumable_runs(self) -> list[int]:
        """Crashed runs since the last completed or failed crawl: their fetches can be reused."""
        with self.session() as s:
            last_done = s.scalar(select(func.max(CrawlRun.id)).where(
                CrawlRun.flow == "crawl", CrawlRun.state.in_(("completed", "failed"))))
            query = select(CrawlRun.id).where(CrawlRun.flow == "crawl", CrawlRun.state == "crashed")
            if last_done is not None:
                query = query.where(CrawlRun.id > last_done)
            return list(s.scalars(query))

    def runs(self, limit: int = 50) -> list[CrawlRun]:
        with self.session() as s:
            return list(s.scalars(select(CrawlRun).order_by(CrawlRun.id.desc()).limit(limit)))

    def run(self, run_id: int) -> CrawlRun | None:
        with self.session() as s:
            return s.get(CrawlRun, run_id)

    # -- sources ------------------------------------------------------------------------------

    def upsert_sources(self, sources: list[Source], run_id: int) -> None:
        rows = [dict(id=src.id, name=src.name, kind=src.kind, config=src.as_config(), first_seen_run=run_id,
                     last_seen_run=run_id) for src in sources]
        with self._tx() as s:
            upsert(s, SourceRow, rows, ["id"], ["name", "kind", "config", "last_seen_run"])

    # -- fetch ledger and snapshots (fetching.client.FetchSink) -------------------------------

    def save_snapshot(self, content_hash: str, body: bytes, content_type: str | None) -> None:
        with self._tx() as s:
            insert_ignore(s, Snapshot, [dict(content_hash=content_hash, size=len(body), content_type=content_type,
                                             data=body)], ["content_hash"])

    def load_snapshot(self, content_hash: str) -> bytes:
        with self.session() as s:
            data = s.scalar(select(Snapshot.data).where(Snapshot.content_hash == content_hash))
        if data is None:
            raise KeyError(f"no snapshot {content_hash}")
        return bytes(data)

    def snapshot_content_type(self, content_hash: str) -> str | None:
        """The Content-Type the snapshot was served with (its charset may be declared only there)."""
        with self.session() as s:
            return s.scalar(select(Snapshot.content_type).where(Snapshot.content_hash == content_hash))

    def attachment_snapshots(self, report_id: str, kind: str) -> list[str]:
        """Snapshot hashes of a report's attachment copies of one kind, in the order found."""
        with self.session() as s:
            return list(s.scalars(select(Copy.snapshot_hash).where(Copy.report_id == report_id, Copy.kind == kind)
                                  .order_by(Copy.seq)))

    def record_fetch(self, record: FetchRecord) -> None:
        with self._tx() as s:
            s.add(FetchRow(**record.__dict__))

    def validators_for(self, url: str) -> Validators | None:
        """ETag/Last-Modified of the last good fetch of ``url``, for a conditional GET."""
        with self.session() as s:
            row = s.scalars(select(FetchRow).where(
                FetchRow.url == url, FetchRow.outcome.in_(("ok", "not_modified")), FetchRow.content_hash.is_not(None),
            ).order_by(FetchRow.id.desc()).limit(1)).first()
        if row is None:
            return None
        return Validators(row.content_hash, row.etag, row.last_modified, row.content_type)

    def resumable_fetch(self, url: str, run_ids: list[int]) -> FetchRow | None:
        """A good fetch of ``url`` made by one of the crashed runs we are resuming."""
        if not run_ids:
            return None
        with self.session() as s:
            return s.scalars(select(FetchRow).where(
                FetchRow.url == url, FetchRow.run_id.in_(run_ids), FetchRow.outcome.in_(("ok", "not_modified")),
                FetchRow.content_hash.is_not(None),
            ).order_by(FetchRow.id.desc()).limit(1)).first()

    def fetch_rows(self, run_id: int) -> list[FetchRow]:
        with self.session() as s:
            return list(s.scalars(select(FetchRow).where(FetchRow.run_id == run_id).order_by(FetchRow.id)))

    # -- reports ------------------------------------------------------------------------------

    def reports_found_before(self, source_id: str, before_run: int) -> int:
        """How many copies this source had yielded in earlier runs (regression detection)."""
        with self.session() as s:
            return s.scalar(select(func.count()).select_from(Copy).where(
                Copy.source_id == source_id, Copy.first_seen_run < before_run)) or 0

    def coverage_reports(self, source_ids: list[str]) -> list["FoundReport"]:
        """Reports with a copy from one of ``source_ids``: agency, year, published, when first seen."""
        from govreports.coverage import FoundReport

        with self.session() as s:
            rows = s.execute(
                select(Report.agency, Report.year, Report.published, Report.first_seen_run, CrawlRun.started_at,
                       Copy.source_id)
                .join(Copy, Copy.report_id == Report.id)
                .join(CrawlRun, CrawlRun.id == Report.first_seen_run)
                .where(Copy.source_id.in_(source_ids))
            ).all()
        grouped: dict[tuple[str, int], dict] = {}
        for agency, year, published, first_run, started, source_id in rows:
            entry = grouped.setdefault((agency, year), dict(published=published, run=first_run,
                                                            seen=_aware(started), sources=set()))
            entry["sources"].add(source_id)
        return [FoundReport(agency, year, e["published"], e["seen"], e["run"], tuple(sorted(e["sources"])))
                for (agency, year), e in sorted(grouped.items())]

    def source_looks(self, source_ids: list[str]) -> dict[str, list[tuple[int, datetime]]]:
        """Per source: the runs that fetched from it, with the time of their first fetch there."""
        with self.session() as s:
            rows = s.execute(
                select(FetchRow.source_id, FetchRow.run_id, func.min(FetchRow.fetched_at))
                .where(FetchRow.source_id.in_(source_ids), FetchRow.run_id.is_not(None))
                .group_by(FetchRow.source_id, FetchRow.run_id)
            ).all()
        looks: dict[str, list[tuple[int, datetime]]] = {}
        for source_id, run_id, first_fetch in rows:
            looks.setdefault(source_id, []).append((run_id, _aware(first_fetch)))
        return looks

    def failures_by_class(self, run_id: int) -> dict[str, int]:
        """Fetch outcomes other than ok / not_modified in one run's ledger, counted per class."""
        with self.session() as s:
            rows = s.execute(select(FetchRow.outcome, func.count()).where(
                FetchRow.run_id == run_id, FetchRow.outcome.not_in(("ok", "not_modified")))
                .group_by(FetchRow.outcome)).all()
        return {outcome: count for outcome, count in sorted(rows)}

    def load(self, doc: Document, run_id: int, content_for: ContentFor) -> LoadOutcome:
        """Add one copy to its (agency, year) report; returns what changed."""
        text_key = exact_key(doc.text)
        copy_id = copy_id_for(doc.url, text_key)
        report_id = report_id_for(doc.agency, doc.year)
        with self._tx() as s:
            self._lock_block(s, report_id)
            if s.get(Copy, copy_id) is not None:
                self._touch(s, copy_id, report_id, run_id)
                return LoadOutcome.UNCHANGED
            report = s.get(Report, report_id)
            copies = list(s.scalars(select(Copy).where(Copy.report_id == report_id).order_by(Copy.seq)))
            block = [_stored_text(c, doc.agency, doc.year) for c in copies]
            new_text = CopyText(copy_id=copy_id, agency=doc.agency, year=doc.year, text=doc.text, url=doc.url,
                                kind=doc.kind, official=doc.official, published=doc.published, title=doc.title or "")
            found = match(new_text, block)
            if report is None:
                insert_ignore(s, Report, [dict(
                    id=report_id, agency=doc.agency, year=doc.year, title=doc.title, published=doc.published,
                    url=doc.url, canonical_copy_id=copy_id, canonical_reason="only copy", text=doc.text,
                    text_original=doc.text_original, parse_key="", format=None, metadata_evidence=doc.evidence,
                    first_seen_run=run_id, last_seen_run=run_id, updated_run=run_id)], ["id"])
            new_copy = Copy(
                id=copy_id, report_id=report_id, source_id=doc.source_id, url=doc.url, final_url=doc.final_url,
                kind=doc.kind, official=doc.official, snapshot_hash=doc.snapshot_hash, text_key=text_key,
                title=doc.title, published=doc.published, link_text=doc.link_text, listing_url=doc.listing_url,
                text=doc.text, text_original=doc.text_original, seq=len(copies) + 1, match=found.kind.value,
                matched_copy_id=found.copy_id, similarity=found.similarity,
                changed_numbers=[c.__dict__ for c in found.changed_numbers], first_seen_run=run_id,
                last_seen_run=run_id,
            )
            s.add(new_copy)
            s.flush()
            copies.append(new_copy)
            canonical = choose_canonical([*block, new_text], {c.id: _stored_match(c) for c in copies})
            report = s.get(Report, report_id)
            if report.canonical_copy_id == canonical.copy_id and report.parse_key:
                report.last_seen_run = run_id
                report.canonical_reason = canonical.reason
                return LoadOutcome.COPY_ADDED
            chosen = new_copy if canonical.copy_id == copy_id else s.get(Copy, canonical.copy_id)
            content = doc.content if chosen is new_copy else content_for(chosen)
            self._set_canonical(s, report, chosen, canonical.reason, content, run_id)
            return LoadOutcome.NEW if len(copies) == 1 else LoadOutcome.CHANGED

    def replace_content(self, report_id: str, content: ContentParse, parse_key: str, run_id: int,
                        force: bool = False) -> bool:
        """Rewrite a report's parsed rows (reparse); returns False when nothing changed.
        ``force`` rewrites even when the parse key is the same (``govreports reparse --force``)."""
        with self._tx() as s:
            self._lock_block(s, report_id)
            report = s.get(Report, report_id)
            if report is None or (report.parse_key == parse_key and not force):
                return False
            chosen = s.get(Copy, report.canonical_copy_id)
            self._write_content(s, report, chosen, content)
            report.parse_key = parse_key
            report.updated_run = run_id
            return True

    def reparse_targets(self) -> list["ReparseTarget"]:
        """Every report with its canonical copy, in id order: what ``flows.reparse`` rebuilds."""
        with self.session() as s:
            rows = s.execute(select(Report.id, Report.year, Report.parse_key, Copy)
                             .join(Copy, Copy.id == Report.canonical_copy_id).order_by(Report.id)).all()
            for row in rows:
                s.expunge(row[3])  # usable after the session closes
        return [ReparseTarget(report_id, year, parse_key, copy) for report_id, year, parse_key, copy in rows]

    def _lock_block(self, s: Session, report_id: str) -> None:
        if self.dialect == "postgresql":
            s.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": report_id})

    def _touch(self, s: Session, copy_id: str, report_id: str, run_id: int) -> None:
        s.execute(update(Copy).where(Copy.id == copy_id).values(last_seen_run=run_id))
        s.execute(update(Report).where(Report.id == report_id).values(last_seen_run=run_id))

    def _set_canonical(self, s: Session, report: Report, chosen: Copy, reason: str, content: ContentParse,
                       run_id: int) -> None:
        report.canonical_copy_id = chosen.id
        report.canonical_reason = reason
        report.url = chosen.url
        report.title = chosen.title
        report.published = chosen.published
        report.text = chosen.text
        report.text_original = chosen.text_original
        report.last_seen_run = run_id
        report.updated_run = run_id
        report.parse_key = parse_key_for(chosen.text_key)
        self._write_content(s, report, chosen, content)

    def _write_content(self, s: Session, report: Report, chosen: Copy, content: ContentParse) -> None:
        report.format = content.format
        for model in (FigureRow, StatRow, SectionRow, FlagRow):
            s.execute(model.__table__.delete().where(model.report_id == report.id))
        provenance = dict(report_id=report.id, copy_id=chosen.id, snapshot_hash=chosen.snapshot_hash)
        _write_report_rows(s, FigureRow, [dict(key=f.key, value=f.value, evidence=f.evidence, method=f.method,
                                               **provenance)
                                          for f in content.figures.values()], ["report_id", "key"])
        _write_report_rows(s, StatRow, [dict(table=c.table, row=c.row, column=c.column, value=c.value,
                                             row_label=c.row_label, column_label=c.column_label,
                                             table_index=c.table_index, origin=c.origin, empty=c.empty, **provenance)
                                        for c in content.cells], ["report_id", "table", "row", "column"])
        _write_report_rows(s, SectionRow, [dict(report_id=report.id, position=i, key=sec.key, heading=sec.heading,
                                                text=sec.text) for i, sec in enumerate(content.sections)],
                           ["report_id", "position"])
        _write_report_rows(s, FlagRow, [dict(report_id=report.id, position=i, kind=f.kind, table=f.table, detail=f.detail,
                                             data=f.data) for i, f in enumerate(content.flags)], ["report_id", "position"])


def _write_report_rows(s: Session, model, rows: list[dict], keys: list[str]) -> None:
    """Insert a report's figures, cells, sections or flags, right after ``_write_content`` deleted
    the report's old ones under the block lock: nothing can conflict but the rows themselves.

    Never a multi-VALUES insert: it is compiled anew for every row count, and that compile was ~70%
    of a report's load time (cProfile in bench/db_load.py, ~200 cells per 2019-format report).
    SQLite: one cached executemany. Postgres: executemany sends one statement per row, so the rows
    go in by COPY, de-duplicated on ``keys`` first as ON CONFLICT DO NOTHING would (the first row
    wins)."""
    if not rows:
        return
    if s.get_bind().dialect.name == "postgresql":
        _copy_rows(s, model.__table__, _first_per_key(rows, keys))
        return
    s.execute(_insert(s, model.__table__).on_conflict_do_nothing(index_elements=keys), rows)


def _first_per_key(rows: list[dict], keys: list[str]) -> list[dict]:
    first: dict[tuple, dict] = {}
    for row in rows:
        first.setdefault(tuple(row[k] for k in keys), row)
    return list(first.values())


def _copy_rows(s: Session, table, rows: list[dict]) -> None:
    from psycopg.types.json import Json

    columns = list(rows[0])
    as_json = {c.name for c in table.columns if isinstance(c.type, JSON)}
    cursor = s.connection().connection.cursor()  # the session's own connection: the same transaction
    quoted = ", ".join(f'"{column}"' for column in columns)
    with cursor.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row([Json(row[c]) if c in as_json else row[c] for c in columns])


PARSER_VERSION = "2"  # bump when parsers change what they produce; `govreports reparse` then rewrites


def parse_key_for(text_key: str) -> str:
    return hashlib.sha256(f"{text_key}\x1f{PARSER_VERSION}".encode()).hexdigest()[:24]


def _stored_text(copy: Copy, agency: str, year: int) -> CopyText:
    return CopyText(copy_id=copy.id, agency=agency, year=year, text=copy.text, url=copy.url, kind=copy.kind,
                    official=copy.official, published=copy.published, title=copy.title or "")


def _stored_match(copy: Copy) -> Match:
    return Match(MatchKind(copy.match), copy_id=copy.matched_copy_id, similarity=copy.similarity or 0.0)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True

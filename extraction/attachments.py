"""Report attachments: find them on detail pages, and read their text (PDF, DOCX, XLSX) safely.

Reports are often published as attachments, or only as one (DOMAIN.md). Attachment bytes come from
strangers' servers, so reading one is bounded: the zip directory of a DOCX/XLSX is checked against
the caps *before* anything is decompressed (a zip bomb is rejected in microseconds), and the parse
itself runs in a child process with an address-space limit (``RLIMIT_AS``), a CPU limit and a
wall-clock timeout, so a pathological file fails *that attachment* with a typed error and never the
run. Children are forked from a ``forkserver`` (started once, single-threaded, with the parsers
preloaded): forking the crawl's own multi-threaded process would risk inheriting held locks.

DOC, XLS and WPS (OLE compound files) have no pure-Python reader among our dependencies: they are
refused as ``UnsupportedAttachment`` (outcome ``unsupported``) before any child is started.

Errors (all ``ExtractionError``, each with an ``outcome`` class recorded by the crawl)::

    ExtractionError
    └── AttachmentError             an attachment could not be read
        ├── UnsupportedAttachment   no reader for the format (doc, xls, wps): "unsupported"
        ├── AttachmentTooLarge      over a cap: zip bomb, page count, text size: "too_large"
        ├── AttachmentTimeout       the parse ran past the time cap: "timeout"
        ├── AttachmentMemory        the parse ran out of its address space: "out_of_memory"
        └── AttachmentUnreadable    not a valid document of its kind: "unreadable"
"""
from __future__ import annotations

import html as html_lib
import io
import json
import os
import re
import resource
import signal
import subprocess
import sys
import zipfile
from dataclasses import asdict, dataclass, fields, replace
from urllib.parse import parse_qsl, urljoin, urlsplit

from core.errors import ConfigError, ExtractionError

READABLE_KINDS = ("pdf", "docx", "xlsx")
UNSUPPORTED_KINDS = ("doc", "xls", "wps")
ATTACHMENT_EXTENSIONS = (".pdf", ".doc", ".docx", ".xls", ".xlsx", ".wps")
_MIB = 1024 * 1024


# -- errors ------------------------------------------------------------------------------------

class AttachmentError(ExtractionError):
    """An attachment could not be read; ``outcome`` is the class the crawl counts it under."""

    outcome = "unreadable"


class UnsupportedAttachment(AttachmentError):
    outcome = "unsupported"


class AttachmentTooLarge(AttachmentError):
    outcome = "too_large"


class AttachmentTimeout(AttachmentError):
    outcome = "timeout"


class AttachmentMemory(AttachmentError):
    outcome = "out_of_memory"


class AttachmentUnreadable(AttachmentError):
    outcome = "unreadable"


# -- caps --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AttachmentLimits:
    """Caps on reading one attachment; env ``GOVREPORTS_ATTACHMENT_<NAME>`` overrides each default."""

    # Wall clock for one parse, child start included. pypdf reads a 40-page text report in well under
    # a second (bench/attachments.py); 30 s leaves room for 300-page consolidated reports.
    timeout: float = 30.0
    # Address space of the child. The child starts at ~100 MiB of address space with a parser loaded;
    # a 20 MB PDF (the fetcher's max_bytes) parses within a few hundred MiB.
    memory_bytes: int = 1536 * _MIB
    # Real reports run 5-60 pages; consolidated ones with annexes rarely 200. /Count above this is
    # a pathological (or not-a-report) PDF and is refused before the page tree is walked.
    max_pdf_pages: int = 500
    # Zip directory caps (DOCX/XLSX). A report's document.xml / sheet XML is 0.1-5 MiB uncompressed.
    max_uncompressed_bytes: int = 200 * _MIB
    max_zip_members: int = 5000
    # Deflated XML of real documents compresses 5-30x (a 10,000-row generated sheet: ~25x); a zip
    # bomb's members compress 1000x. Only members above ``ratio_floor_bytes`` are judged by ratio,
    # because tiny members (empty styles, rels) can have any ratio without costing anything.
    max_compression_ratio: float = 200.0
    ratio_floor_bytes: int = 1 * _MIB
    # Text handed back: the longest seed report is ~15,000 characters.
    max_text_chars: int = 2_000_000
    # Attachments fetched per detail page: a report page links 1-4 (report, tables, 解读); a page
    # linking dozens is a listing or a download centre, not one report.
    max_attachments_per_page: int = 10

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "AttachmentLimits":
        environ = os.environ if environ is None else environ
        overrides = {}
        for f in fields(cls):
            name = f"GOVREPORTS_ATTACHMENT_{f.name.upper()}"
            if name not in environ:
                continue
            try:
                overrides[f.name] = {"int": int, "float": float}[f.type](environ[name])
            except ValueError:
                raise ConfigError(f"{name}={environ[name]!r} is not a valid {f.type}") from None
        return replace(cls(), **overrides)


# -- results -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class AttachmentText:
    kind: str  # pdf | docx | xlsx
    text: str  # in the document's own script
    content_html: str | None  # DOCX: paragraphs and tables as markup, for the statistics-table reader
    units: int  # pages (pdf), body blocks (docx) or sheets (xlsx)


@dataclass(frozen=True)
class AttachmentLink:
    url: str
    text: str


# -- discovery on detail pages -----------------------------------------------------------------

# Forms linked from every page's chrome are not the report (依申请公开申请表 …).
_NOT_REPORT_ATTACHMENT = re.compile(r"申请表|申请书|登记表|授权委托书")
_SKIP_SCHEMES = ("javascript:", "mailto:", "tel:", "#")


def attachment_links(page_html: str, page_url: str) -> list[AttachmentLink]:
    """Links to attachments on a detail page, absolute and de-duplicated, in page order.

    An attachment is a link whose path (or a query value: ``downfile.jsp?filename=x.pdf``) ends in a
    document extension, or whose text says 附件; also PDF viewers' ``file=`` targets in iframes.
    Host filtering is the caller's (it knows the source's allowed hosts).
    """
    from bs4 import BeautifulSoup  # here, not at the top: the parsing child never needs it

    soup = BeautifulSoup(page_html, "lxml")
    found: dict[str, AttachmentLink] = {}
    for anchor in soup.find_all("a", href=True):
        text = re.sub(r"\s+", " ", anchor.get_text(" ")).strip()
        _add_link(found, page_url, anchor["href"], text or anchor.get("title", ""), text_says_attachment="附件" in text)
    for frame in soup.find_all(["iframe", "embed", "object"]):
        target = frame.get("src") or frame.get("data")
        if target:
            _add_link(found, page_url, target, frame.get("title", ""), text_says_attachment=False)
    found.pop(page_url, None)
    return list(found.values())


def _add_link(found: dict[str, AttachmentLink], page_url: str, href: str, text: str, *,
              text_says_attachment: bool) -> None:
    href = href.strip()
    if not href or href.lower().startswith(_SKIP_SCHEMES) or _NOT_REPORT_ATTACHMENT.search(text):
        return
    url = urljoin(page_url, href).split("#")[0]  # ``x.pdf#page=2`` is the same attachment
    viewer_target = _viewer_file(url)
    if viewer_target:
        url = urljoin(url, viewer_target)
    if urlsplit(url).scheme not in ("http", "https"):
        return
    if (viewer_target or has_attachment_extension(url) or text_says_attachment) and url not in found:
        found[url] = AttachmentLink(url, text)


def has_attachment_extension(url: str) -> bool:
    parts = urlsplit(url)
    names = [parts.path] + [value for _, value in parse_qsl(parts.query)]
    return any(name.lower().endswith(ATTACHMENT_EXTENSIONS) for name in names)


def _viewer_file(url: str) -> str | None:
    """The PDF a pdf.js-style viewer URL shows (``viewer.html?file=/a/b.pdf``)."""
    parts = urlsplit(url)
    if "viewer" not in parts.path.lower():
        return None
    for key, value in parse_qsl(parts.query):
        if key == "file" and value.lower().split("?")[0].endswith(".pdf"):
            return value
    return None


# -- bounded extraction (parent side) ----------------------------------------------------------

def extract_attachment(body: bytes, kind: str, limits: AttachmentLimits | None = None) -> AttachmentText:
    """Text of one attachment, parsed in a bounded child process; raises an ``AttachmentError``."""
    limits = limits or AttachmentLimits()
    preflight(body, kind, limits)
    return _run_in_child(body, kind, limits)


def preflight(body: bytes, kind: str, limits: AttachmentLimits) -> None:
    """The checks that need no parser: a supported kind, and a sane zip directory."""
    if kind in UNSUPPORTED_KINDS:
        raise UnsupportedAttachment(f"{kind}: no pure-Python reader for this legacy format")
    if kind not in READABLE_KINDS:
        raise UnsupportedAttachment(f"{kind}: not an attachment format")
    if kind in ("docx", "xlsx"):
        check_zip_directory(body, limits)


def check_zip_directory(body: bytes, limits: AttachmentLimits) -> None:
    """Refuse a zip bomb from its central directory alone (nothing is decompressed here)."""
    try:
        members = zipfile.ZipFile(io.BytesIO(body)).infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise AttachmentUnreadable(f"not a zip container: {error}") from error
    if len(members) > limits.max_zip_members:
        raise AttachmentTooLarge(f"{len(members)} zip members > cap {limits.max_zip_members}")
    total = sum(member.file_size for member in members)
    if total > limits.max_uncompressed_bytes:
        raise AttachmentTooLarge(f"{total} bytes uncompressed > cap {limits.max_uncompressed_bytes}")
    for member in members:
        if member.file_size < limits.ratio_floor_bytes:
            continue
        ratio = member.file_size / max(1, member.compress_size)
        if ratio > limits.max_compression_ratio:
            raise AttachmentTooLarge(f"{member.filename}: compression ratio {ratio:.0f} > cap "
                                     f"{limits.max_compression_ratio:.0f} ({member.file_size} bytes uncompressed)")


# The child is a fresh interpreter, not a multiprocessing fork: forking the crawl's multi-threaded
# process can inherit locks held by other threads, and multiprocessing's spawn and forkserver modes
# re-run the caller's ``__main__`` script in the child. It runs this file by path (``runpy``) rather
# than importing ``extraction``, whose ``__init__`` pulls in trafilatura: that import alone was
# ~190 ms of a ~350 ms child (bench/attachments.py). So the child's answer is JSON, not pickled
# classes: its classes live in a module of another name.
_CHILD_RUN_NAME = "govreports_attachment_child"
_CHILD_CODE = f"import runpy, sys; runpy.run_path(sys.argv[1], run_name={_CHILD_RUN_NAME!r})"


def _run_in_child(body: bytes, kind: str, limits: AttachmentLimits) -> AttachmentText:
    argv = [sys.executable, "-c", _CHILD_CODE, os.path.abspath(__file__), kind, json.dumps(asdict(limits))]
    child = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        answer, errors = child.communicate(body, timeout=limits.timeout)
    except subprocess.TimeoutExpired:
        child.kill()
        child.communicate()
        raise AttachmentTimeout(f"{kind}: not parsed within {limits.timeout}s") from None
    if child.returncode != 0 or not answer:
        raise _death_error(kind, child.returncode, errors, limits)
    reply = json.loads(answer)
    if reply["status"] == "ok":
        return AttachmentText(**reply["result"])
    raise _ERRORS_BY_NAME.get(reply["status"], AttachmentUnreadable)(reply["message"])


def _death_error(kind: str, returncode: int, errors: bytes, limits: AttachmentLimits) -> AttachmentError:
    if returncode == -signal.SIGXCPU:
        return AttachmentTimeout(f"{kind}: CPU limit of {int(limits.timeout) + 1}s reached")
    last_line = (errors.decode("utf-8", "replace").strip().splitlines() or [""])[-1][:300]
    if returncode < 0:  # killed by a signal: under RLIMIT_AS, C code that cannot allocate aborts
        return AttachmentMemory(f"{kind}: the parser died of signal {-returncode} under a "
                                f"{limits.memory_bytes // _MIB} MiB address-space limit {last_line}".rstrip())
    if "MemoryError" in last_line:
        return AttachmentMemory(f"{kind}: out of memory under a {limits.memory_bytes // _MIB} MiB limit")
    return AttachmentUnreadable(f"{kind}: the parser process failed (exit code {returncode}): {last_line}")


_ERRORS_BY_NAME = {cls.__name__: cls for cls in (UnsupportedAttachment, AttachmentTooLarge, AttachmentTimeout,
                                                 AttachmentMemory, AttachmentUnreadable)}


# -- the child ---------------------------------------------------------------------------------

def child_main(argv: list[str]) -> None:
    """The child: limits first, then the body from stdin, then one JSON answer on stdout."""
    kind, limits = argv[0], AttachmentLimits(**json.loads(argv[1]))
    cpu = int(limits.timeout) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    body = sys.stdin.buffer.read()
    try:
        answer = {"status": "ok", "result": asdict(parse_attachment(body, kind, limits))}
    except AttachmentError as error:
        answer = {"status": type(error).__name__, "message": str(error)}
    except MemoryError:
        answer = {"status": "AttachmentMemory",
                  "message": f"{kind}: out of memory under a {limits.memory_bytes // _MIB} MiB limit"}
    except RecursionError:
        answer = {"status": "AttachmentUnreadable", "message": f"{kind}: structure nested too deeply to read"}
    except Exception as error:  # any parser failure on hostile bytes is this attachment's, typed below
        answer = {"status": "AttachmentUnreadable", "message": f"{kind}: {type(error).__name__}: {error}"}
        if _reached_address_space_limit(limits):
            # lxml reports a failed allocation as XMLSyntaxError("unknown error"): the peak says why.
            answer = {"status": "AttachmentMemory", "message": f"{kind}: failed at its {limits.memory_bytes // _MIB} "
                                                               f"MiB address-space limit ({type(error).__name__})"}
    sys.stdout.buffer.write(json.dumps(answer, ensure_ascii=False).encode("utf-8"))
    sys.stdout.buffer.flush()


def _reached_address_space_limit(limits: AttachmentLimits) -> bool:
    """The child's peak address space came within 5% of its limit (Linux /proc; False elsewhere)."""
    try:
        status = open("/proc/self/status", encoding="ascii").read()
    except OSError:
        return False
    peak = re.search(r"^VmPeak:\s+(\d+) kB", status, re.M)
    return peak is not None and int(peak.group(1)) * 1024 >= limits.memory_bytes * 0.95


def parse_attachment(body: bytes, kind: str, limits: AttachmentLimits) -> AttachmentText:
    """The parse itself, in-process and unbounded: call ``extract_attachment`` instead, except in
    the child and in benchmarks that measure what the child costs."""
    reader = {"pdf": _pdf_text, "docx": _docx_text, "xlsx": _xlsx_text}.get(kind)
    if reader is None:
        raise UnsupportedAttachment(f"{kind}: not an attachment format")
    result = reader(body, limits)
    if len(result.text) > limits.max_text_chars:
        raise AttachmentTooLarge(f"{kind}: {len(result.text)} characters of text > cap {limits.max_text_chars}")
    if not result.text.strip():
        raise AttachmentUnreadable(f"{kind}: no text (a scanned PDF or an empty document)")
    return result


def _pdf_text(body: bytes, limits: AttachmentLimits) -> AttachmentText:
    import pypdf
    from pypdf.errors import PdfReadError

    try:
        reader = pypdf.PdfReader(io.BytesIO(body))
        claimed = int(reader.trailer["/Root"]["/Pages"].get("/Count", 0))
    except (PdfReadError, KeyError, TypeError, ValueError) as error:
        raise AttachmentUnreadable(f"pdf: {type(error).__name__}: {error}") from error
    if claimed > limits.max_pdf_pages:
        raise AttachmentTooLarge(f"pdf: {claimed} pages > cap {limits.max_pdf_pages}")
    pages = reader.pages
    if len(pages) > limits.max_pdf_pages:  # /Count can lie; the walked tree cannot
        raise AttachmentTooLarge(f"pdf: {len(pages)} pages > cap {limits.max_pdf_pages}")
    texts = [page.extract_text() or "" for page in pages]
    return AttachmentText("pdf", _tidy("\n".join(texts)), None, len(texts))


def _docx_text(body: bytes, limits: AttachmentLimits) -> AttachmentText:
    import docx
    from docx.table import Table

    try:
        document = docx.Document(io.BytesIO(body))
    except (zipfile.BadZipFile, KeyError, ValueError) as error:
        raise AttachmentUnreadable(f"docx: {type(error).__name__}: {error}") from error
    lines: list[str] = []
    markup: list[str] = []
    blocks = 0
    for block in document.iter_inner_content():  # paragraphs and tables in document order
        blocks += 1
        if isinstance(block, Table):
            rows = _docx_rows(block)
            lines.extend("\t".join(cell for cell, _, _ in row) for row in rows)
            markup.append(_rows_html(rows))
        else:
            lines.append(block.text)
            markup.append(f"<p>{html_lib.escape(block.text)}</p>")
    return AttachmentText("docx", _tidy("\n".join(lines), keep_tabs=True), "\n".join(markup), blocks)


def _docx_rows(table) -> list[list[tuple[str, int, int]]]:
    """A table's rows as (text, colspan, rowspan) per real cell; vertically merged continuations
    are dropped and counted into the rowspan of the cell that starts the merge."""
    from docx.table import _Cell

    grid: list[list[tuple[int, object]]] = []  # per row: (grid column, tc)
    for tr in table._tbl.tr_lst:
        column, row = 0, []
        for tc in tr.tc_lst:
            row.append((column, tc))
            column += tc.grid_span
        grid.append(row)
    rows: list[list[tuple[str, int, int]]] = []
    for index, row in enumerate(grid):
        cells = []
        for column, tc in row:
            if tc.vMerge == "continue":
                continue
            rowspan = 1
            if tc.vMerge == "restart":
                rowspan += _continuations(grid, index + 1, column)
            cells.append((_Cell(tc, table).text.strip(), tc.grid_span, rowspan))
        rows.append(cells)
    return rows


def _continuations(grid: list[list[tuple[int, object]]], start: int, column: int) -> int:
    count = 0
    for row in grid[start:]:
        below = next((tc for col, tc in row if col == column), None)
        if below is None or below.vMerge != "continue":
            break
        count += 1
    return count


def _rows_html(rows: list[list[tuple[str, int, int]]]) -> str:
    def cell(text: str, colspan: int, rowspan: int) -> str:
        spans = (f' colspan="{colspan}"' if colspan > 1 else "") + (f' rowspan="{rowspan}"' if rowspan > 1 else "")
        return f"<td{spans}>{html_lib.escape(text)}</td>"

    body = "".join("<tr>" + "".join(cell(*c) for c in row) + "</tr>" for row in rows)
    return f"<table>{body}</table>"


def _xlsx_text(body: bytes, limits: AttachmentLimits) -> AttachmentText:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(body), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise AttachmentUnreadable(f"xlsx: {type(error).__name__}: {error}") from error
    lines: list[str] = []
    try:
        for sheet in workbook.worksheets:
            lines.append(sheet.title)
            for values in sheet.iter_rows(values_only=True):
                cells = [_cell_text(value) for value in values]
                while cells and not cells[-1]:
                    cells.pop()
                if cells:
                    lines.append("\t".join(cells))
        sheets = len(workbook.worksheets)
    finally:
        workbook.close()
    return AttachmentText("xlsx", "\n".join(lines), None, sheets)


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _tidy(text: str, keep_tabs: bool = False) -> str:
    spaces = r"[ \u3000\xa0]+" if keep_tabs else r"[ \t\u3000\xa0]+"
    lines = (re.sub(spaces, " ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


if __name__ == _CHILD_RUN_NAME:  # run by path in the child process (see _CHILD_CODE)
    child_main(sys.argv[2:])

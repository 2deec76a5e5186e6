"""Report attachments: find them on detail pages, and read their text (PDF, DOCX, XLSX) safely.

Reports are often published as attachments, or only as one (DOMAIN.md). Attachment bytes come from
strangers' servers, so reading one is bounded: the zip directory of a DOCX/XLSX is checked against
the caps *before* anything is decompressed (a zip bomb is rejected in microseconds), and the parse
itself runs in a child process with an address-space limit (``RLIMIT_AS``), a CPU limit and a
wall-clock timeout, so a pathological file fails *that attachment* with a typed error and never the
run. Children are forked from a ``forkserver`` (started once, single-threaded, with the parsers
preloaded): forking the crawl's own multi-threaded process would risk inheriting held locks.

PDFs are read with pdfplumber (``extraction.pdf``: text as a reader sees it, tables by cell
geometry), after pypdf has checked the page count and inflated every content stream under its
decompression caps. Old Excel (XLS) is read with xlrd. Old Word (DOC) and WPS files go through a
Debian converter inside the same child: LibreOffice headless turns them into DOCX (tables and
merged cells kept), else antiword gives their text; where neither is installed the copy is
recorded unreadable, with the reason, before any child is started.

Errors (all ``ExtractionError``, each with an ``outcome`` class recorded by the crawl)::

    ExtractionError
    └── AttachmentError             an attachment could not be read
        ├── UnsupportedAttachment   not a document format we read: "unsupported"
        ├── AttachmentTooLarge      over a cap: zip bomb, page count, text size: "too_large"
        ├── AttachmentTimeout       the parse ran past the time cap: "timeout"
        ├── AttachmentMemory        the parse ran out of its address space: "out_of_memory"
        └── AttachmentUnreadable    not a valid document of its kind: "unreadable"
            └── ConverterMissing    DOC/WPS and no converter installed (the reason says which)
"""
from __future__ import annotations

import html as html_lib
import io
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import asdict, dataclass, fields, replace
from urllib.parse import parse_qsl, urljoin, urlsplit

from core.errors import ConfigError, ExtractionError

READABLE_KINDS = ("pdf", "docx", "xlsx", "xls", "doc", "wps")
CONVERTED_KINDS = ("doc", "wps")  # read through a converter (LibreOffice headless, else antiword)
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


class ConverterMissing(AttachmentUnreadable):
    """A DOC/WPS file on a machine with neither LibreOffice nor antiword."""


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
    kind: str  # pdf | docx | xlsx | xls | doc | wps
    text: str  # in the document's own script; "" only for a PDF without a text layer (image_only)
    content_html: str | None  # PDF/DOCX/DOC: paragraphs and tables (with spans) as markup for the table reader
    units: int  # pages (pdf), body blocks (docx, doc) or sheets (xlsx, xls)
    grid_html: str | None = None  # PDF: tables read from word positions where nothing is ruled
    empty_pages: tuple[int, ...] = ()  # PDF: 1-based pages with no readable text layer (scanned)

    @property
    def image_only(self) -> bool:
        """A document that is pictures of pages: nothing to read without OCR."""
        return not self.text.strip() and bool(self.empty_pages)


@dataclass(frozen=True)
class AttachmentLink:
    url: str
    text: str


# -- discovery on detail pages -----------------------------------------------------------------

# Forms linked from every page's chrome are not the report (依申请公开申请表 …).
_NOT_REPORT_ATTACHMENT = re.compile(r"申请表|申请书|登记表|授权委托书")
_SKIP_SCHEMES = ("javascript:", "mailto:", "tel:", "#")


def attachment_links(page_html: str, page_url: str, tree=None) -> list[AttachmentLink]:
    """Links to attachments on a detail page, absolute and de-duplicated, in page order.

    An attachment is a link whose path (or a query value: ``downfile.jsp?filename=x.pdf``) ends in a
    document extension, or whose text says 附件; also PDF viewers' ``file=`` targets in iframes.
    Host filtering is the caller's (it knows the source's allowed hosts). ``tree``: ``page_html``
    already parsed (``core.html.html_tree``), read and never changed.
    """
    from core.html import html_tree, text_of  # here, not at the top: the parsing child never needs lxml.html

    root = tree if tree is not None else html_tree(page_html)
    found: dict[str, AttachmentLink] = {}
    if root is None:
        return []
    for anchor in root.iter("a"):
        href = anchor.get("href")
        if href is None:
            continue
        text = re.sub(r"\s+", " ", text_of(anchor, " ")).strip()
        _add_link(found, page_url, href, text or anchor.get("title", ""), text_says_attachment="附件" in text)
    for frame in root.iter("iframe", "embed", "object"):
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
    """The checks that need no parser: a supported kind, a converter for it, a sane zip directory."""
    if kind not in READABLE_KINDS:
        raise UnsupportedAttachment(f"{kind}: not an attachment format")
    if kind in CONVERTED_KINDS and not converters():
        raise ConverterMissing(f"{kind}: no converter installed for old Word files (install the Debian packages "
                               "libreoffice-writer-nogui or antiword; .ci/run does)")
    if kind in ("docx", "xlsx"):
        check_zip_directory(body, limits)


def converters() -> list[str]:
    """The DOC/WPS converters on this machine, best first: LibreOffice keeps tables, antiword text."""
    found = []
    for name, program in (("libreoffice", shutil.which("soffice") or shutil.which("libreoffice")),
                          ("antiword", shutil.which("antiword"))):
        if program and os.environ.get(f"GOVREPORTS_NO_{name.upper()}") is None:
            found.append(program)
    return found


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
        result = reply["result"]
        return AttachmentText(**{**result, "empty_pages": tuple(result["empty_pages"])})
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
                                                 AttachmentMemory, AttachmentUnreadable, ConverterMissing)}


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
    reader = {"pdf": _pdf_text, "docx": _docx_text, "xlsx": _xlsx_text, "xls": _xls_text, "doc": _converted_text,
              "wps": _converted_text}.get(kind)
    if reader is None:
        raise UnsupportedAttachment(f"{kind}: not an attachment format")
    started = time.monotonic()
    result = reader(body, limits) if reader is not _converted_text else reader(body, limits, kind, started)
    if len(result.text) > limits.max_text_chars:
        raise AttachmentTooLarge(f"{kind}: {len(result.text)} characters of text > cap {limits.max_text_chars}")
    if not result.text.strip() and not result.image_only:
        raise AttachmentUnreadable(f"{kind}: no text (an empty document)")
    return result


def _pdf_text(body: bytes, limits: AttachmentLimits) -> AttachmentText:
    """pypdf first, for what it checks cheaply and safely: the page count (before walking a tree
    that claims a million pages) and every content stream inflated under its decompression caps
    (pdfminer has none). Then pdfplumber reads text and tables (``extraction.pdf``)."""
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
    for page in pages:  # inflated under pypdf's caps: a decompression bomb raises LimitReachedError
        contents = page.get_contents()
        if contents is not None:
            contents.get_data()
    from extraction.pdf import read_pdf

    content = read_pdf(body)
    return AttachmentText("pdf", content.text, content.html, content.pages, content.grid_html or None,
                          content.empty_pages)


def _docx_text(body: bytes, limits: AttachmentLimits, kind: str = "docx") -> AttachmentText:
    import docx
    from docx.table import Table

    try:
        document = docx.Document(io.BytesIO(body))
    except (zipfile.BadZipFile, KeyError, ValueError) as error:
        raise AttachmentUnreadable(f"{kind}: {type(error).__name__}: {error}") from error
    lines: list[str] = []
    markup: list[str] = []
    blocks = 0
    for block in document.iter_inner_content():  # paragraphs and tables in document order
        blocks += 1
        if isinstance(block, Table):
            for rows in _docx_tables(block):
                lines.extend("\t".join(cell for cell, _, _ in row if cell) for row in rows)
                markup.append(_rows_html(rows))
        else:
            lines.append(block.text)
            markup.append(f"<p>{html_lib.escape(block.text)}</p>")
    return AttachmentText(kind, _tidy("\n".join(lines), keep_tabs=True), "\n".join(markup), blocks)


def _docx_tables(table, depth: int = 0) -> list[list[list[tuple[str, int, int]]]]:
    """A table and the tables nested in its cells, each as rows: nested ones follow their outer
    table as tables of their own (a layout cell holding a statistics table must not make the
    layout table look like one)."""
    from docx.table import Table, _Cell

    found = [_docx_rows(table)]
    if depth >= 5:  # real templates nest one or two levels; deeper is a hostile file
        return found
    for tc in table._tbl.iter_tcs():
        for nested in _Cell(tc, table).tables:
            found.extend(_docx_tables(Table(nested._tbl, table), depth + 1))
    return found


def _docx_rows(table) -> list[list[tuple[str, int, int]]]:
    """A table's rows as (text, colspan, rowspan) per real cell; vertically merged continuations
    are dropped and counted into the rowspan of the cell that starts the merge. Grid columns a row
    skips (``w:gridBefore``, Word's indented rows) are an empty cell, so the row's cells stay in
    their columns."""
    from docx.table import _Cell

    grid: list[list[tuple[int, object]]] = []  # per row: (grid column, tc)
    skipped: list[int] = []
    for tr in table._tbl.tr_lst:
        column, row = tr.grid_before, []
        for tc in tr.tc_lst:
            row.append((column, tc))
            column += tc.grid_span
        grid.append(row)
        skipped.append(tr.grid_before)
    rows: list[list[tuple[str, int, int]]] = []
    for index, row in enumerate(grid):
        cells = [("", skipped[index], 1)] if skipped[index] else []
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


def _xls_text(body: bytes, limits: AttachmentLimits) -> AttachmentText:
    """Old Excel (BIFF) through xlrd: the sheets as tab-separated rows, like XLSX."""
    import xlrd

    try:
        workbook = xlrd.open_workbook(file_contents=body, on_demand=True)
    except xlrd.XLRDError as error:  # anything else a hostile file raises is caught by child_main
        raise AttachmentUnreadable(f"xls: {type(error).__name__}: {error}") from error
    lines: list[str] = []
    try:
        for sheet in workbook.sheets():
            lines.append(sheet.name)
            for r in range(sheet.nrows):
                cells = [_cell_text(value) for value in sheet.row_values(r)]
                while cells and not cells[-1]:
                    cells.pop()
                if cells:
                    lines.append("\t".join(cells))
        sheets = workbook.nsheets
    finally:
        workbook.release_resources()
    return AttachmentText("xls", "\n".join(lines), None, sheets)


def _converted_text(body: bytes, limits: AttachmentLimits, kind: str, started: float) -> AttachmentText:
    """Old Word / WPS: LibreOffice headless converts to DOCX, read like one (tables and merged cells
    kept); where LibreOffice is missing or fails, antiword's text (tables flattened)."""
    failures = []
    for program in converters():
        budget = limits.timeout - (time.monotonic() - started) - 1.0  # leave the parent's clock the last word
        if budget <= 1:
            break
        try:
            if "antiword" in os.path.basename(program):
                return _antiword_text(program, body, kind, budget)
            return _docx_text(_libreoffice_docx(program, body, budget), limits, kind)
        except AttachmentError as error:
            failures.append(str(error))
    if not failures:
        raise ConverterMissing(f"{kind}: no converter installed (libreoffice-writer-nogui or antiword)")
    raise AttachmentUnreadable(f"{kind}: " + "; ".join(failures))


def _run_converter(argv: list[str], budget: float, what: str, **kwargs) -> subprocess.CompletedProcess:
    """A converter in its own process group, killed whole when it overruns its share of the time
    (LibreOffice forks; the child's CPU and memory limits are inherited as a backstop)."""
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True, **kwargs)
    try:
        out, err = process.communicate(timeout=budget)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise AttachmentTimeout(f"{what}: no answer within {budget:.0f}s") from None
    return subprocess.CompletedProcess(argv, process.returncode, out, err)


def _libreoffice_docx(program: str, body: bytes, budget: float) -> bytes:
    with tempfile.TemporaryDirectory(prefix="govreports-doc-") as work:
        source = os.path.join(work, "document.doc")  # LibreOffice detects DOC and WPS by content
        with open(source, "wb") as handle:
            handle.write(body)
        # a private profile per conversion: two conversions sharing one would talk to each other
        done = _run_converter([program, f"-env:UserInstallation=file://{work}/profile", "--headless", "--norestore",
                               "--convert-to", "docx", "--outdir", work, source], budget, "libreoffice",
                              env={**os.environ, "HOME": work})
        target = os.path.join(work, "document.docx")
        if done.returncode != 0 or not os.path.exists(target):
            last = (done.stderr or done.stdout).decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
            raise AttachmentUnreadable(f"libreoffice could not convert it (exit {done.returncode}) {last[0][:200]}")
        with open(target, "rb") as handle:
            return handle.read()


def _antiword_text(program: str, body: bytes, kind: str, budget: float) -> AttachmentText:
    with tempfile.NamedTemporaryFile(suffix=".doc") as handle:
        handle.write(body)
        handle.flush()
        done = _run_converter([program, "-m", "UTF-8.txt", "-w", "0", handle.name], budget, "antiword")
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip()[:200]
        raise AttachmentUnreadable(f"antiword could not read it (exit {done.returncode}): {message}")
    text = done.stdout.decode("utf-8", "replace")
    # antiword draws table rows as |cell|cell|: cells become tab-separated, as for DOCX
    lines = ["\t".join(cell.strip() for cell in line.strip().strip("|").split("|")) if line.lstrip().startswith("|")
             else line for line in text.splitlines()]
    return AttachmentText(kind, _tidy("\n".join(lines), keep_tabs=True), None, len(lines))


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

"""A large synthetic web of agency portals on 127.0.0.1, generated deterministically (not a test).

    /work/venv/bin/python -m bench.synthetic_web serve --hosts 200 --reports 30

Host ``h`` is one district portal (its own port, so its own politeness key ``127.0.0.1:PORT``)
publishing ``reports`` annual reports of its departments (six departments × years) in a paged
listing (``index.html``, ``index_1.html`` … with 下一页 links and a TRS ``createPageHTML`` pager),
mixed with look-alikes (年报解读) that discovery must reject, a PDF attachment next to every fifth
report (fetched, then set aside as an attachment), and a re-post of every seventh report under a
second URL (an exact copy for dedup). Bodies are report-sized and real:

- 2019 and 2020 reports are the Shanghai 2019 fragment (tests/fixtures/parsing, three 2019-format
  statistics tables, ~36 KB) with the agency, the year and the table numbers substituted, so the
  table parser, the identity checks and the stats loader do real work on every one;
- earlier years are the five seed reports (govreports/demo/seeds: two in traditional script, one
  with appendix tables) with the agency and year substituted.

Pages are built on demand from ``(host, path)`` alone, so the server holds nothing per page and two
servers of the same size serve the same bytes. The server is its own process (``serve``) so that
the crawler's CPU measurements do not include the server's; it stops when its stdin closes (the
parent that started it went away) or after ``--max-seconds``.
"""
from __future__ import annotations

import argparse
import asyncio
import hashlib
import html
import json
import re
import sys
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "govreports" / "demo" / "seeds"
STATS_TEMPLATE = ROOT / "tests" / "fixtures" / "parsing" / "fragment_shanghai_annual_report_2019_body_tables_utf8.html"
LISTING_PATH = "/xxgk/ndbg/index.html"
PAGE_SIZE = 10  # report links per listing page, as on most TRS column pages
ROBOTS = b"User-agent: *\nDisallow: /private/\n"
LAST_MODIFIED = "Tue, 14 Nov 2023 22:13:20 GMT"

CITIES = ("南京市", "苏州市", "无锡市", "常州市", "杭州市", "宁波市", "温州市", "合肥市", "福州市", "厦门市",
          "南昌市", "济南市", "青岛市", "郑州市", "武汉市", "长沙市", "广州市", "成都市", "昆明市", "西安市")
_DISTRICT_A = "东西南北中新安宁和平"
_DISTRICT_B = "城湖山江河川林阳华兴"
DEPARTMENTS = ("公安局", "教育局", "财政局", "民政局", "卫生健康委员会", "交通运输局")
OLD_YEARS = (2008, 2010, 2012, 2013, 2015, 2016, 2017, 2018)
STATS_YEARS = (2019, 2020)
# (file, the agency name as the seed writes it, its year): both are substituted.
SEED_REPORTS = (
    ("000_ac5d5796d1c49dd0.txt", ("深圳市公安局",), "2012"),
    ("001_45b3fb819af8aa55.txt", ("廣東省公安廳", "省公安廳"), "2017"),
    ("002_ea6a3b00d8d8dc32.txt", ("广州市公安局",), "2013"),
    ("003_2bd2ec3356da2fb3.txt", ("杭州市公安局", "市公安局"), "2019"),
    ("004_63fef033ffe3ca1d.txt", ("武汉市公安局",), "2008"),
)
STATS_AGENCY = "上海市人民政府办公厅"
_NUMBER_CELL = re.compile(r"(<td[^>]*>(?:<p[^>]*>)?)(\d{1,5})(?=<)")


@dataclass(frozen=True)
class Page:
    body: bytes
    content_type: str


@dataclass(frozen=True)
class Report:
    index: int
    agency: str
    year: int
    title: str
    path: str
    published: str
    attachment: str | None  # path of its PDF version, when it has one
    repost: str | None  # path of a second copy on the same host


@dataclass(frozen=True)
class Web:
    """The shape of the web: ``hosts`` portals × ``reports`` reports each."""

    hosts: int
    reports: int

    def district(self, host: int) -> str:
        city = CITIES[host % len(CITIES)]
        k = host // len(CITIES)
        # 100 two-character district names per city: enough for 2,000 distinct hosts.
        return f"{city}{_DISTRICT_A[k % 10]}{_DISTRICT_B[(k // 10) % 10]}区"

    def report(self, host: int, index: int) -> Report:
        department = DEPARTMENTS[index % len(DEPARTMENTS)]
        year = _host_years(host)[(index // len(DEPARTMENTS)) % (len(OLD_YEARS) + len(STATS_YEARS))]
        agency = f"{self.district(host)}{department}"
        month = 1 if year >= 2019 else 3  # since 2019 departments publish by 31 January (DOMAIN.md)
        published = f"{year + 1}-{month:02d}-{(index % 27) + 1:02d}"
        ident = 1000 + index
        compact = published.replace("-", "")
        return Report(
            index=index, agency=agency, year=year, title=f"{agency}{year}年政府信息公开工作年度报告",
            path=f"/xxgk/ndbg/{compact[:6]}/t{compact}_{ident}.html", published=published,
            attachment=f"/xxgk/ndbg/files/P{compact}{ident}.pdf" if index % 5 == 2 else None,
            repost=f"/zwgk/zz/{compact[:6]}/t{compact}_{ident}.html" if index % 7 == 3 else None,
        )

    def reports_of(self, host: int) -> list[Report]:
        return [self.report(host, i) for i in range(self.reports)]

    def listing_pages(self) -> int:
        return max(1, -(-self.reports // PAGE_SIZE))

    def requests_per_host(self) -> int:
        """What a complete polite crawl of one host sends: robots, listings, reports, copies, PDFs."""
        reports = self.reports_of(0)
        return (1 + self.listing_pages() + len(reports) + sum(r.repost is not None for r in reports)
                + sum(r.attachment is not None for r in reports))

    def page(self, host: int, path: str) -> Page | None:
        return _page(self, host, path)


def _host_years(host: int) -> list[int]:
    """The years a host's departments report, in order: two of every five are 2019-format years."""
    rotated = [OLD_YEARS[(host + i) % len(OLD_YEARS)] for i in range(len(OLD_YEARS))]
    return rotated[:1] + [STATS_YEARS[0]] + rotated[1:2] + [STATS_YEARS[1]] + rotated[2:]


@lru_cache(maxsize=1)
def _seed_texts() -> tuple[str, ...]:
    return tuple((SEEDS / name).read_text(encoding="utf-8") for name, _, _ in SEED_REPORTS)


@lru_cache(maxsize=1)
def _stats_template() -> str:
    return STATS_TEMPLATE.read_text(encoding="utf-8")


def _page(web: Web, host: int, path: str) -> Page | None:
    if not 0 <= host < web.hosts:
        return None
    if path == "/robots.txt":
        return Page(ROBOTS, "text/plain")
    listing = _listing_number(path)
    if listing is not None:
        return _html(listing_html(web, host, listing)) if listing < web.listing_pages() else None
    for report in web.reports_of(host):
        if path in (report.path, report.repost):
            return _html(detail_html(web, host, report))
        if path == report.attachment:
            return Page(attachment_pdf(report), "application/pdf")
    if path.startswith("/xxgk/ndbg/") and path.endswith("_jd.html"):
        return _html(lookalike_html(web, host, path))
    return None


def _listing_number(path: str) -> int | None:
    if path in ("/xxgk/ndbg/", LISTING_PATH):
        return 0
    found = re.fullmatch(r"/xxgk/ndbg/index_(\d+)\.html", path)
    return int(found.group(1)) if found else None


def _html(markup: str) -> Page:
    return Page(markup.encode("utf-8"), "text/html; charset=utf-8")


def listing_html(web: Web, host: int, number: int) -> str:
    district = web.district(host)
    reports = web.reports_of(host)[number * PAGE_SIZE:(number + 1) * PAGE_SIZE]
    items = []
    for report in reports:
        items.append((report.path, report.title, report.published))
        if report.attachment:
            items.append((report.attachment, f"{report.title}（PDF版）", report.published))
        if report.repost:
            items.append((report.repost, report.title, report.published))
        if report.index % 4 == 1:
            items.append((report.path.replace(".html", "_jd.html"), f"{report.agency}{report.year}年政府信息公开工作年度报告解读",
                          report.published))
    lis = "\n".join(f'<li><a href="{href}" target="_blank" title="{html.escape(title)}">{html.escape(title)}</a>'
                    f"<span>{date}</span></li>" for href, title, date in items)
    count = web.listing_pages()
    next_link = f'<a href="index_{number + 1}.html">下一页</a>' if number + 1 < count else ""
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>政府信息公开年报_{district}人民政府</title></head>
<body><div class="nav"><a href="/">首页</a> &gt; <a href="/xxgk/">政府信息公开</a> &gt; 年度报告</div>
<div class="list"><ul>{lis}</ul></div>
<div class="page"><script>var currentPage = {number};var countPage = {count};
createPageHTML({count}, {number}, "index", "html");</script>{next_link}</div>
<div class="footer">网站地图 | 联系我们 | 版权所有：{district}人民政府</div></body></html>"""


def _numbers(template: str, salt: str) -> str:
    """Scale every table number by 1-3 (sums stay sums, so the 勾稽关系 identities hold), and in one
    report of eight bump a single cell, so that some identities break, as in real reports, and the
    checks flag them."""
    digest = hashlib.blake2b(salt.encode(), digest_size=4).digest()
    factor, broken_at = 1 + digest[0] % 3, (digest[2] if digest[1] % 8 == 0 else None)
    seen = 0

    def swap(found: re.Match) -> str:
        nonlocal seen
        seen += 1
        value = int(found.group(2)) * factor + (1 if seen == broken_at else 0)
        return found.group(1) + str(value)

    return _NUMBER_CELL.sub(swap, template)


def body_html(web: Web, host: int, report: Report) -> str:
    """The report's body markup: the stats template for 2019+, a seed report before."""
    if report.year in STATS_YEARS:
        body = _stats_template().replace(STATS_AGENCY, report.agency).replace("2019年", f"{report.year}年")
        return _numbers(body, f"{host}:{report.index}")
    name, agencies, seed_year = SEED_REPORTS[(host + report.index) % len(SEED_REPORTS)]
    text = _seed_texts()[(host + report.index) % len(SEED_REPORTS)]
    for agency in agencies:
        text = text.replace(agency, report.agency)
    text = text.replace(seed_year, str(report.year))
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return "\n".join(_line_html(line) for line in lines)


def _line_html(line: str) -> str:
    if "\t" in line:  # the Guangzhou seed's appendix rows
        return "<table border='1'><tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in line.split("\t")) + "</tr></table>"
    return f"<p>{html.escape(line)}</p>"


def detail_html(web: Web, host: int, report: Report) -> str:
    district = web.district(host)
    title = html.escape(report.title)
    index_no = f"{11320000 + host:08d}/{report.year + 1}-{report.index:05d}"
    attachment = (f'<p>附件：<a href="{report.attachment}">{title}（PDF版）</a></p>' if report.attachment else "")
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<meta name="ArticleTitle" content="{title}"><meta name="PubDate" content="{report.published}">
<meta name="ContentSource" content="{html.escape(report.agency)}"><title>{title}_{district}人民政府</title></head>
<body><div class="header"><a href="/">首页</a> &gt; <a href="/xxgk/ndbg/index.html">政府信息公开年报</a></div>
<table class="xxgk_table"><tr><td>索引号:</td><td>{index_no}</td><td>公开方式:</td><td>主动公开</td></tr>
<tr><td>发布机构:</td><td>{html.escape(report.agency)}</td><td>公开日期:</td><td>{report.published}</td></tr></table>
<div class="article"><h1 class="title">{title}</h1>
<div class="info">发布日期：{report.published} 来源：{html.escape(report.agency)} 【打印本页】【关闭窗口】</div>
<!--ContentStart--><div class="TRS_Editor">{body_html(web, host, report)}{attachment}</div><!--ContentEnd-->
</div><div class="footer">网站地图 | 联系我们 | 版权所有：{district}人民政府</div></body></html>"""


def lookalike_html(web: Web, host: int, path: str) -> str:
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>年报解读_{web.district(host)}人民政府</title></head>
<body><h1>年报解读</h1><p>{"一图读懂政府信息公开工作年度报告。" * 30}</p></body></html>"""


def attachment_pdf(report: Report) -> bytes:
    """A small, well-formed PDF naming the report (the pipeline sets PDFs aside as attachments)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({report.year} annual report {report.index}) Tj ET".encode()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
                b"/Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> >>"),
               b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream"]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def web_digest(web: Web) -> str:
    """sha256 over every page of the web, in order: equal digests mean byte-identical webs."""
    digest = hashlib.sha256()
    for host in range(web.hosts):
        for path in site_paths(web, host):
            page = web.page(host, path)
            digest.update(path.encode() + b"\0" + page.body + b"\0")
    return digest.hexdigest()


def site_paths(web: Web, host: int) -> list[str]:
    paths = ["/robots.txt", LISTING_PATH] + [f"/xxgk/ndbg/index_{n}.html" for n in range(1, web.listing_pages())]
    for report in web.reports_of(host):
        paths += [p for p in (report.path, report.attachment, report.repost) if p]
    return paths


def sources_toml(web: Web, ports: list[int], delay: float) -> str:
    """A sources file: one portal source per host (agencies come from the report titles)."""
    entries = []
    for host, port in enumerate(ports):
        entries.append("\n".join([
            "[[source]]", f'id = "h{host:04d}"', 'kind = "portal"',
            f'start_urls = ["http://127.0.0.1:{port}{LISTING_PATH}"]', f"delay = {delay}",
        ]))
    return "\n\n".join(entries) + "\n"


# -- the server ---------------------------------------------------------------------------------

_NOT_FOUND = "<html><head><meta charset='utf-8'><title>404</title></head><body>您访问的页面不存在</body></html>".encode()


async def _handle(web: Web, host: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """HTTP/1.1 GET with keep-alive: all the crawler needs, nothing more."""
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            request_line, *header_lines = head.decode("latin-1").split("\r\n")
            method, target, _version = request_line.split(" ", 2)
            headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines if h)}
            page = web.page(host, target.split("#")[0]) if method in ("GET", "HEAD") else None
            status, body, ctype = (200, page.body, page.content_type) if page else (404, _NOT_FOUND, "text/html; charset=utf-8")
            etag = '"' + hashlib.blake2b(body, digest_size=8).hexdigest() + '"'
            if page and headers.get("if-none-match") == etag:
                status, body = 304, b""
            reason = {200: "OK", 304: "Not Modified", 404: "Not Found"}[status]
            lines = [f"HTTP/1.1 {status} {reason}", f"Content-Length: {len(body)}", f"ETag: {etag}",
                     f"Last-Modified: {LAST_MODIFIED}"]
            if status != 304:
                lines.append(f"Content-Type: {ctype}")
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + (body if method == "GET" else b""))
            await writer.drain()
            if headers.get("connection", "").lower() == "close":
                break
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError, ValueError):
        pass
    finally:
        writer.close()


async def _serve(web: Web, max_seconds: float) -> None:
    servers = []
    for host in range(web.hosts):
        server = await asyncio.start_server(lambda r, w, h=host: _handle(web, h, r, w), "127.0.0.1", 0, backlog=64)
        servers.append(server)
    ports = [s.sockets[0].getsockname()[1] for s in servers]
    print(json.dumps({"ports": ports}), flush=True)
    loop = asyncio.get_running_loop()
    parent_gone = asyncio.Event()

    def watch_stdin() -> None:  # read() returns at EOF: the parent closed our stdin or died
        sys.stdin.buffer.read()
        loop.call_soon_threadsafe(parent_gone.set)

    threading.Thread(target=watch_stdin, daemon=True).start()
    try:
        await asyncio.wait_for(parent_gone.wait(), timeout=max_seconds)
    except asyncio.TimeoutError:
        pass
    for server in servers:
        server.close()


class WebServer:
    """The synthetic web in its own process: ``with WebServer(web) as ports: ...``."""

    def __init__(self, web: Web, max_seconds: float = 3600.0) -> None:
        self.web = web
        self.max_seconds = max_seconds
        self.process = None
        self.ports: list[int] = []

    def __enter__(self) -> list[int]:
        import subprocess

        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.synthetic_web", "serve", "--hosts", str(self.web.hosts),
             "--reports", str(self.web.reports), "--max-seconds", str(self.max_seconds)],
            cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"synthetic web server exited with {self.process.wait()} before listening")
        self.ports = json.loads(line)["ports"]
        return self.ports

    def __exit__(self, *exc) -> None:
        self.process.stdin.close()  # the server stops at EOF on its stdin
        try:
            self.process.wait(timeout=30)
        except Exception:
            self.process.kill()
            self.process.wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the web on 127.0.0.1 (one port per host) until stdin closes")
    digest = sub.add_parser("digest", help="print the sha256 of every page of the web")
    for command in (serve, digest):
        command.add_argument("--hosts", type=int, default=200)
        command.add_argument("--reports", type=int, default=30)
    serve.add_argument("--max-seconds", type=float, default=3600.0)
    args = parser.parse_args(argv)
    web = Web(args.hosts, args.reports)
    if args.command == "digest":
        print(web_digest(web))
        return
    asyncio.run(_serve(web, args.max_seconds))


if __name__ == "__main__":
    main()

"""Pictures of the data (``govreports plot``), as PNG files drawn by matplotlib with a CJK font:

* ``coverage.png``: the coverage ledger as a heatmap, agency × year: found / late / missing
  (``coverage-1.png``, ``coverage-2.png`` … of ``HEATMAP_PAGE`` agencies each when there are more);
* ``trend-<agency>.png``: per agency, applications received per year and what became of the
  answered ones (公开, 部分公开, 不予公开, 无法提供, 不予处理, 其他处理), from the cells;
* ``disclosure-rate-<year>.png``: 公开率 across agencies for one year (reports whose metric carries a
  caveat are hatched).

Drawing functions take plain data (ledger rows, metric values, cells) and return PNG bytes, so the
crawl flow draws the same heatmap for its artifact without a file. A missing CJK font is an error
that says which package to install, never a picture of empty boxes.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from analysis.coverage import FOUND, LATE, MISSING, LedgerRow
from core.errors import GovreportsError

DPI = 100
STATUS_COLOURS = {FOUND: "#2e7d32", LATE: "#f9a825", MISSING: "#e0e0e0"}
STATUS_LABELS = {FOUND: "已找到 found", LATE: "迟发布 late", MISSING: "缺失 missing"}
# Outcome groups of the 申请 table (row-code prefixes), in the order the table prints them.
OUTCOMES = (("disclosed", "予以公开"), ("partially_disclosed", "部分公开"), ("withheld.", "不予公开"),
            ("unavailable.", "无法提供"), ("not_processed.", "不予处理"), ("other", "其他处理"))
OUTCOME_COLOURS = ("#1b5e20", "#66bb6a", "#c62828", "#8d6e63", "#90a4ae", "#cfd8dc")
_CJK_FONTS = ("WenQuanYi Zen Hei", "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "SimHei",
              "Microsoft YaHei", "PingFang SC")
_CJK_FILES = ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")


class NoCJKFont(GovreportsError):
    """No font that draws Chinese is installed."""


def _pyplot():
    import logging

    import matplotlib

    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)  # "weight normal … using 500" is noise

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    if not names & set(_CJK_FONTS):
        for path in _CJK_FILES:
            if Path(path).is_file():
                font_manager.fontManager.addfont(path)
        names = {f.name for f in font_manager.fontManager.ttflist}
    family = next((name for name in _CJK_FONTS if name in names), None)
    if family is None:
        raise NoCJKFont("no CJK font for the pictures: apt-get install fonts-wqy-zenhei")
    plt.rcParams["font.family"] = [family, "DejaVu Sans"]
    plt.rcParams["axes.unicode_minus"] = False
    return plt


def _png(fig, plt) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)  # fixed size: no bbox_inches="tight", so tests know it
    plt.close(fig)
    return buffer.getvalue()


# -- the coverage heatmap ----------------------------------------------------------------------------

HEATMAP_PAGE = 100  # agencies per heatmap file: ~3,500 px tall; thousands in one would pass matplotlib's 65,536 px


def heatmap_size(agencies: int, years: int) -> tuple[int, int]:
    """Pixel size of the heatmap for a grid of agencies × years."""
    width = 3.2 + 0.42 * max(years, 4)
    height = 1.6 + 0.34 * max(agencies, 3)
    return round(width * DPI), round(height * DPI)


def coverage_heatmap(rows: Sequence[LedgerRow], title: str = "覆盖台账 coverage ledger") -> bytes:
    """The ledger as an agency × year grid of found / late / missing."""
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    plt = _pyplot()
    agencies = sorted({r.agency for r in rows})
    years = sorted({r.year for r in rows})
    code = {MISSING: 0, LATE: 1, FOUND: 2}
    grid = [[0] * len(years) for _ in agencies]
    for row in rows:
        grid[agencies.index(row.agency)][years.index(row.year)] = code[row.status]
    width, height = heatmap_size(len(agencies), len(years))
    fig, ax = plt.subplots(figsize=(width / DPI, height / DPI))
    cmap = ListedColormap([STATUS_COLOURS[MISSING], STATUS_COLOURS[LATE], STATUS_COLOURS[FOUND]])
    ax.imshow(grid, cmap=cmap, vmin=0, vmax=2, aspect="auto", interpolation="nearest")
    ax.set_xticks(range(len(years)), [str(y) for y in years], rotation=90 if len(years) > 12 else 0, fontsize=8)
    ax.set_yticks(range(len(agencies)), agencies, fontsize=8)
    ax.set_xticks([x - 0.5 for x in range(1, len(years))], minor=True)
    ax.set_yticks([y - 0.5 for y in range(1, len(agencies))], minor=True)
    ax.grid(which="minor", color="white", linewidth=1)
    ax.tick_params(which="minor", length=0)
    counts = {status: sum(1 for r in rows if r.status == status) for status in code}
    ax.set_title(f"{title}: {counts[FOUND]} found, {counts[LATE]} late, {counts[MISSING]} missing", fontsize=10)
    ax.legend(handles=[Patch(color=STATUS_COLOURS[s], label=STATUS_LABELS[s]) for s in (FOUND, LATE, MISSING)],
              loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    fig.subplots_adjust(left=min(0.45, 1.9 / (width / DPI)), right=1 - 1.35 / (width / DPI),
                        top=1 - 0.45 / (height / DPI), bottom=0.55 / (height / DPI))
    return _png(fig, plt)


# -- trends per agency ----------------------------------------------------------------------------------

TREND_SIZE = (1000, 520)


@dataclass(frozen=True)
class AgencyYear:
    year: int
    applications: float | None  # the applications_received figure (any method)
    outcomes: dict[str, float]  # outcome group label -> answered requests (requests/<rows>/total); empty before 2019


def trend_chart(agency: str, points: Sequence[AgencyYear]) -> bytes:
    """Applications per year (line) over the outcomes of the answered requests (stacked bars)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(TREND_SIZE[0] / DPI, TREND_SIZE[1] / DPI))
    points = sorted(points, key=lambda p: p.year)
    years = [p.year for p in points]
    bottoms = [0.0] * len(points)
    for (_, label), colour in zip(OUTCOMES, OUTCOME_COLOURS):
        heights = [p.outcomes.get(label, 0.0) for p in points]
        if any(heights):
            ax.bar(years, heights, bottom=bottoms, color=colour, width=0.6, label=f"办结: {label}")
            bottoms = [b + h for b, h in zip(bottoms, heights)]
    known = [(p.year, p.applications) for p in points if p.applications is not None]
    if known:
        ax.plot([y for y, _ in known], [v for _, v in known], color="#0d47a1", marker="o", linewidth=2,
                label="收到申请 applications")
        for year, value in known:
            ax.annotate(f"{value:.0f}", (year, value), textcoords="offset points", xytext=(0, 6), ha="center",
                        fontsize=8, color="#0d47a1")
    ax.set_xticks(years, [str(y) for y in years])
    ax.set_ylabel("件 requests")
    ax.set_title(f"{agency}: 申请与办理结果 applications and outcomes", fontsize=11)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    fig.subplots_adjust(left=0.08, right=0.76, top=0.9, bottom=0.1)
    return _png(fig, plt)


def outcome_groups(cells: dict[tuple[str, str, str], float]) -> dict[str, float]:
    """Answered requests by outcome group, from the 申请 table's 总计 column."""
    groups: dict[str, float] = {}
    for (table, row, column), value in cells.items():
        if table != "requests" or column != "total":
            continue
        for prefix, label in OUTCOMES:
            if row == prefix or (prefix.endswith(".") and row.startswith(prefix)) or (
                    prefix == "other" and (row == "other" or row.startswith("other."))):
                groups[label] = groups.get(label, 0.0) + value
                break
    return groups


# -- 公开率 across agencies -----------------------------------------------------------------------------

def distribution_size(agencies: int) -> tuple[int, int]:
    if agencies > 40:
        return 1000, 560
    return 1000, round((1.3 + 0.32 * max(agencies, 3)) * DPI)


@dataclass(frozen=True)
class Rate:
    agency: str
    value: float
    caveated: bool  # the metric carries a caveat (broken identity, empty cells, …)


def disclosure_distribution(year: int, rates: Sequence[Rate]) -> bytes:
    """公开率 of every agency for ``year``: sorted bars (≤ 40 agencies) or a histogram (more)."""
    plt = _pyplot()
    width, height = distribution_size(len(rates))
    fig, ax = plt.subplots(figsize=(width / DPI, height / DPI))
    values = [r.value * 100 for r in rates]
    median = sorted(values)[len(values) // 2] if values else 0
    if len(rates) > 40:
        ax.hist(values, bins=20, range=(0, 100), color="#1b5e20")
        ax.set_xlabel("公开率 disclosure rate (%)")
        ax.set_ylabel("机关数 agencies")
        fig.subplots_adjust(left=0.08, right=0.97, top=0.9, bottom=0.12)
    else:
        ordered = sorted(rates, key=lambda r: r.value)
        bars = ax.barh([r.agency for r in ordered], [r.value * 100 for r in ordered], color="#1b5e20")
        for bar, rate in zip(bars, ordered):
            if rate.caveated:
                bar.set_hatch("///")
                bar.set_edgecolor("white")
            ax.annotate(f"{rate.value:.1%}", (bar.get_width(), bar.get_y() + bar.get_height() / 2),
                        textcoords="offset points", xytext=(4, 0), va="center", fontsize=8)
        ax.set_xlim(0, 100)
        ax.set_xlabel("公开率 disclosure rate (%) = (予以公开 + 部分公开) / 办结;  ///: 有注意事项 caveat")
        fig.subplots_adjust(left=0.28, right=0.95, top=1 - 0.5 / (height / DPI), bottom=0.6 / (height / DPI))
    ax.axvline(median, color="#f9a825", linestyle="--", linewidth=1.5, label=f"中位数 median {median:.1f}%")
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    ax.set_title(f"{year}年 公开率 across {len(rates)} agencies", fontsize=11)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig, plt)


# -- files ------------------------------------------------------------------------------------------

def file_name(agency: str) -> str:
    """A file-system-safe name that keeps the Chinese (agency names have no slashes, but be sure)."""
    return re.sub(r"[\\/:*?\"<>|\s]+", "_", agency)


@dataclass(frozen=True)
class Written:
    path: Path
    size: tuple[int, int]


def write_all(out: Path, ledger: Sequence[LedgerRow], trends: dict[str, list[AgencyYear]],
              rates_year: int | None, rates: Iterable[Rate]) -> list[Written]:
    """Draw every picture into ``out``; returns what was written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    agencies = sorted({r.agency for r in ledger})
    pages = [agencies[i:i + HEATMAP_PAGE] for i in range(0, len(agencies), HEATMAP_PAGE)]
    years = len({r.year for r in ledger})
    for number, page in enumerate(pages, start=1):
        path = out / ("coverage.png" if len(pages) == 1 else f"coverage-{number}.png")
        shown = set(page)
        title = "覆盖台账 coverage ledger" + ("" if len(pages) == 1 else f" ({number}/{len(pages)})")
        path.write_bytes(coverage_heatmap([r for r in ledger if r.agency in shown], title=title))
        written.append(Written(path, heatmap_size(len(page), years)))
    for agency, points in sorted(trends.items()):
        path = out / f"trend-{file_name(agency)}.png"
        path.write_bytes(trend_chart(agency, points))
        written.append(Written(path, TREND_SIZE))
    rates = list(rates)
    if rates_year is not None and rates:
        path = out / f"disclosure-rate-{rates_year}.png"
        path.write_bytes(disclosure_distribution(rates_year, rates))
        written.append(Written(path, distribution_size(len(rates))))
    return written


def plot_store(store, out: Path, sources=None, years: tuple[int, int] | None = None, year: int | None = None,
               agencies: Sequence[str] | None = None) -> list[Written]:
    """Every picture of a database: the ledger of ``sources`` (default: those the crawls recorded)
    over ``years`` (default: the years found), trends of the agencies with two or more reports (or
    ``agencies``), and 公开率 for ``year`` (default: the year with the most rates, the latest on a tie)."""
    from analysis.coverage import coverage_ledger, default_years
    from analysis.dataviews import report_numbers, sources_in_db
    from analysis.metrics import all_metrics

    sources = sources if sources is not None else sources_in_db(store)
    span = years or default_years(store.coverage_reports([s.id for s in sources]))
    ledger = coverage_ledger(store, sources, span) if span and sources else []
    numbers = report_numbers(store)
    by_agency: dict[str, list[AgencyYear]] = {}
    for report in numbers:
        if agencies and report.agency not in agencies:
            continue
        cells = {key: cell.value for key, cell in report.cells.items()}
        applications = report.figures.get("applications_received")
        by_agency.setdefault(report.agency, []).append(
            AgencyYear(report.year, float(applications) if applications is not None else None, outcome_groups(cells)))
    trends = {a: points for a, points in by_agency.items() if len(points) >= 2 or agencies}
    rates_by_year: dict[int, list[Rate]] = {}
    for value in all_metrics(numbers):
        if value.metric == "disclosure_rate" and value.value is not None:
            rates_by_year.setdefault(value.year, []).append(Rate(value.agency, value.value, bool(value.caveats)))
    if year is None and rates_by_year:
        year = max(rates_by_year, key=lambda y: (len(rates_by_year[y]), y))
    return write_all(out, ledger, trends, year, rates_by_year.get(year, []) if year is not None else [])

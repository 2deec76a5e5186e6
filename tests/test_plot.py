"""`plot`: real PNG files of the expected size, with the colours of what they show (looked at while
writing: docs/img/plot-*.png are the demo's)."""
from __future__ import annotations

import io
import os
import struct
import subprocess
import sys
from datetime import date

import pytest
from PIL import Image

from analysis.coverage import LedgerRow
from analysis.plot import (
    STATUS_COLOURS, TREND_SIZE, AgencyYear, Rate, coverage_heatmap, disclosure_distribution, distribution_size,
    heatmap_size, trend_chart,
)
from statsdb import load_report, simple_requests

ENV = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


def colour_share(data: bytes, hex_colour: str, tolerance: int = 12) -> float:
    """Share of the picture's pixels within ``tolerance`` of a colour."""
    target = tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    image = Image.open(io.BytesIO(data)).convert("RGB")
    pixels = list(image.get_flattened_data()) if hasattr(image, "get_flattened_data") else list(image.getdata())
    near = sum(1 for p in pixels if all(abs(a - b) <= tolerance for a, b in zip(p, target)))
    return near / len(pixels)


LEDGER = [LedgerRow(agency, year, status, date(year + 1, 1, 31))
          for agency, statuses in (("深圳市公安局", ("found", "late", "missing")), ("广州市公安局", ("missing", "found", "found")))
          for year, status in zip((2021, 2022, 2023), statuses)]


def test_heatmap_is_a_png_of_the_grid_size_with_each_status_drawn():
    data = coverage_heatmap(LEDGER)
    assert png_size(data) == heatmap_size(2, 3)
    for status in ("found", "late", "missing"):
        assert colour_share(data, STATUS_COLOURS[status]) > 0.005, status
    assert colour_share(data, STATUS_COLOURS["found"]) > colour_share(data, STATUS_COLOURS["late"])  # 3 cells vs 1


def test_heatmap_grows_with_agencies_and_years():
    assert heatmap_size(40, 16)[1] > heatmap_size(4, 16)[1] and heatmap_size(4, 16)[0] > heatmap_size(4, 4)[0]


def test_many_agencies_make_several_heatmap_files(tmp_path):
    from analysis.plot import HEATMAP_PAGE, write_all

    ledger = [LedgerRow(f"第{i:03d}县人民政府", year, "missing", date(year + 1, 3, 31))
              for i in range(2 * HEATMAP_PAGE + 30) for year in (2022, 2023)]
    written = write_all(tmp_path, ledger, {}, None, [])
    assert [(w.path.name, w.size) for w in written] == [
        ("coverage-1.png", heatmap_size(HEATMAP_PAGE, 2)), ("coverage-2.png", heatmap_size(HEATMAP_PAGE, 2)),
        ("coverage-3.png", heatmap_size(30, 2))]
    assert all(png_size(w.path.read_bytes()) == w.size for w in written)


def test_trend_chart_size_and_bars():
    points = [AgencyYear(2021, 120, {"予以公开": 40, "无法提供": 50}), AgencyYear(2022, 150, {"予以公开": 60, "无法提供": 70}),
              AgencyYear(2018, 80, {})]
    data = trend_chart("深圳市公安局", points)
    assert png_size(data) == TREND_SIZE
    assert colour_share(data, "#1b5e20") > 0.01  # 予以公开 bars
    assert colour_share(data, "#0d47a1", tolerance=30) > 0.001  # the applications line


@pytest.mark.parametrize("agencies", [5, 60])
def test_distribution_size_bars_or_histogram(agencies):
    rates = [Rate(f"第{i}市公安局", (i % 10) / 10, i == 0) for i in range(agencies)]
    data = disclosure_distribution(2022, rates)
    assert png_size(data) == distribution_size(agencies)
    assert colour_share(data, "#1b5e20") > 0.01


def test_plot_command_writes_the_pictures(tmp_path):
    from storage.store import Store

    db = tmp_path / "g.db"
    store = Store(f"sqlite:///{db}")
    for agency, years in (("东莞市公安局", (2021, 2022, 2023)), ("佛山市公安局", (2021, 2023))):
        for offset, year in enumerate(years):
            load_report(store, agency, year, simple_requests(40 + 10 * offset, 0, 10 + offset, 5, 3, 22 + 9 * offset, 0))
    store.close()
    sources = tmp_path / "s.toml"
    sources.write_text('[[source]]\nid = "test"\nkind = "portal"\nstart_urls = ["http://127.0.0.1:9/"]\n', encoding="utf-8")
    out = tmp_path / "plots"
    result = subprocess.run([sys.executable, "-m", "govreports", "plot", "--db", str(db), "--out", str(out),
                             "--sources", str(sources), "--years", "2021-2023"], env=ENV, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    sizes = {p.name: png_size(p.read_bytes()) for p in out.glob("*.png")}
    assert sizes == {"coverage.png": heatmap_size(2, 3), "trend-东莞市公安局.png": TREND_SIZE,
                     "trend-佛山市公安局.png": TREND_SIZE, "disclosure-rate-2023.png": distribution_size(2)}
    assert "wrote" in result.stdout and result.stderr == ""


def test_plot_without_a_database_exits_2(tmp_path):
    result = subprocess.run([sys.executable, "-m", "govreports", "plot", "--db", str(tmp_path / "none.db"), "--out",
                             str(tmp_path / "p")], env=ENV, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "no database at" in result.stderr
    assert not (tmp_path / "none.db").exists() and not (tmp_path / "p").exists()

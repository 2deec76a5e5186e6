"""`govreports scaffold` against a loopback site: raw-bytes fixture, a valid sources entry, and a
generated test that is red until its expected links are written, green once they are."""
from __future__ import annotations

import runpy
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govreports.cli import app
from govreports.demo.server import serve
from govreports.demo.site import Page, Site
from core.sources import load_sources
from scrapers.registry import platform_names

ROOT = Path(__file__).parent.parent
GBK_LIST = (Path(__file__).parent / "fixtures" / "sites" / "generic" / "index.shtml").read_bytes()


@pytest.fixture(scope="module")
def site():
    pages = {"/zwgk/ndbg/index.shtml": Page(GBK_LIST, "text/html")}
    with serve([Site("wh", "武汉市公安局", "agency", "/zwgk/ndbg/index.shtml", pages)]) as bases:
        yield bases["wh"] + "/zwgk/ndbg/index.shtml"


@pytest.fixture
def scaffolded(site, tmp_path):
    (tmp_path / "tests").mkdir()
    shutil.copytree(ROOT / "tests" / "fixtures" / "sites" / "generic", tmp_path / "tests" / "fixtures" / "sites" / "generic")
    result = CliRunner().invoke(app, ["scaffold", "--url", site, "--id", "wh-gaj", "--name", "武汉市公安局",
                                      "--root", str(tmp_path)])
    assert result.exit_code == 0, result.output
    return tmp_path, site


def test_fixture_is_the_raw_bytes(scaffolded):
    root, _ = scaffolded
    assert (root / "tests/fixtures/sites/wh-gaj/listing.html").read_bytes() == GBK_LIST


def test_sources_entry_validates(scaffolded):
    root, url = scaffolded
    [source] = load_sources(root / "sources" / "scaffolded.toml", platform_names())
    assert (source.id, source.name, source.start_urls, source.verified) == ("wh-gaj", "武汉市公安局", (url,), False)


def test_generated_test_is_red(scaffolded):
    root, _ = scaffolded
    test = runpy.run_path(str(root / "tests" / "test_site_wh_gaj.py"))
    with pytest.raises(AssertionError, match="fill in EXPECTED_REPORTS"):
        test["test_report_links_of_the_saved_page"]()


def test_generated_test_turns_green_when_filled_in(scaffolded):
    root, url = scaffolded
    path = root / "tests" / "test_site_wh_gaj.py"
    base = url.rsplit("/", 1)[0]
    path.write_text(path.read_text(encoding="utf-8").replace(
        '    # "https://…/t20200118_1.html": 2019,',
        f'    "{base}/200903/t20090320_22101.shtml": 2008,'), encoding="utf-8")
    runpy.run_path(str(path))["test_report_links_of_the_saved_page"]()


def test_same_id_twice_refused(scaffolded):
    root, url = scaffolded
    result = CliRunner().invoke(app, ["scaffold", "--url", url, "--id", "wh-gaj", "--root", str(root)])
    assert result.exit_code != 0 and "exists already" in str(result.exception)

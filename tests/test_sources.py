"""The sources file is validated completely, and names the bad entry."""
from __future__ import annotations

import pytest

from core.errors import SourcesError
from core.sources import load_sources
from scrapers.registry import platform_names

GOOD = """
[[source]]
id = "hz-gaj"
name = "杭州市公安局"
start_urls = ["https://www.hangzhou.gov.cn/col/col1229/index.html"]
delay = 2.5
max_pages = 10

[[source]]
id = "mirror-1"
kind = "mirror"
start_urls = ["http://mirror.example.org/list"]
"""


def write(tmp_path, text: str):
    path = tmp_path / "sources.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_good_file_loads_every_entry(tmp_path):
    sources = load_sources(write(tmp_path, GOOD), platform_names())
    assert [s.id for s in sources] == ["hz-gaj", "mirror-1"]


def test_optional_keys_are_read(tmp_path):
    hz = load_sources(write(tmp_path, GOOD), platform_names())[0]
    assert (hz.delay, hz.max_pages, hz.kind, hz.official) == (2.5, 10, "agency", True)


def test_mirror_has_no_default_agency_and_is_not_official(tmp_path):
    mirror = load_sources(write(tmp_path, GOOD), platform_names())[1]
    assert (mirror.name, mirror.official, mirror.delay) == (None, False, 1.0)


def test_hosts_default_to_start_url_hosts(tmp_path):
    hz = load_sources(write(tmp_path, GOOD), platform_names())[0]
    assert hz.hosts() == frozenset({"www.hangzhou.gov.cn"})


BAD = {
    "unknown key": ('[[source]]\nid = "a"\nname = "甲局"\nstart_urls = ["http://a.gov.cn/"]\nspeed = 3\n',
                    'source #1 (id "a")', "unknown key(s) ['speed']"),
    "missing start_urls": ('[[source]]\nid = "a"\nname = "甲局"\n', 'source #1 (id "a")', "start_urls is missing"),
    "empty start_urls": ('[[source]]\nid = "a"\nname = "甲局"\nstart_urls = []\n', 'source #1 (id "a")',
                         "start_urls is missing or empty"),
    "malformed URL": ('[[source]]\nid = "a"\nname = "甲局"\nstart_urls = ["www.a.gov.cn/index.html"]\n',
                      'source #1 (id "a")', "malformed start URL"),
    "ftp URL": ('[[source]]\nid = "a"\nname = "甲局"\nstart_urls = ["ftp://a.gov.cn/"]\n', 'source #1 (id "a")',
                "malformed start URL"),
    "duplicate id": ('[[source]]\nid = "a"\nname = "甲局"\nstart_urls = ["http://a.gov.cn/"]\n'
                     '[[source]]\nid = "a"\nname = "乙局"\nstart_urls = ["http://b.gov.cn/"]\n',
                     'source id "a"', "duplicate id"),
    "bad id": ('[[source]]\nid = "Hang Zhou"\nname = "甲局"\nstart_urls = ["http://a.gov.cn/"]\n',
               'source #1 (id "Hang Zhou")', "lower-case slug"),
    "negative delay": ('[[source]]\nid = "a"\nname = "甲局"\nstart_urls = ["http://a.gov.cn/"]\ndelay = -1\n',
                       'source #1 (id "a")', "delay must be"),
    "agency without name": ('[[source]]\nid = "a"\nkind = "agency"\nstart_urls = ["http://a.gov.cn/"]\n',
                            'source #1 (id "a")', "needs a name"),
    "mirror with a name": ('[[source]]\nid = "m"\nkind = "mirror"\nname = "甲局"\nstart_urls = ["http://m.org/"]\n',
                           'source #1 (id "m")', "a mirror has no default agency"),
    "unknown platform": ('[[source]]\nid = "a"\nname = "甲局"\nplatform = "wordpress"\nstart_urls = ["http://a.gov.cn/"]\n',
                         'source #1 (id "a")', "unknown platform"),
    "second entry bad": ('[[source]]\nid = "a"\nname = "甲局"\nstart_urls = ["http://a.gov.cn/"]\n'
                         '[[source]]\nid = "b"\nname = "乙局"\nstart_urls = "http://b.gov.cn/"\n',
                         'source #2 (id "b")', "start_urls"),
    "not toml": ('[[source]\nid = "a"\n', None, "not valid TOML"),
    "no entries": ('title = "x"\n', None, "unknown top-level key"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_file_error_names_the_entry(tmp_path, case):
    text, entry, message = BAD[case]
    with pytest.raises(SourcesError) as caught:
        load_sources(write(tmp_path, text), platform_names())
    assert caught.value.entry == entry
    assert message in caught.value.message


def test_directory_of_files_checks_ids_across_files(tmp_path):
    (tmp_path / "a.toml").write_text('[[source]]\nid = "x"\nname = "甲局"\nstart_urls = ["http://a.gov.cn/"]\n')
    (tmp_path / "b.toml").write_text('[[source]]\nid = "x"\nname = "乙局"\nstart_urls = ["http://b.gov.cn/"]\n')
    with pytest.raises(SourcesError, match="duplicate id"):
        load_sources(tmp_path, platform_names())

"""Agencies in their place: administrative division (行政区划), level, kind and parent government.

Every agency gets a ``Place``. The sources file may say it (optional, validated keys, see
``core.sources``)::

    division_code = "440300"          # GB/T 2260 行政区划代码, six digits
    division = "深圳市"                # the division's name
    level = "市"                       # 省 | 市 | 县 (provincial, prefectural, county level)
    agency_kind = "部门"               # 人民政府 | 部门 | 办公厅
    parent = "深圳市人民政府"           # the government the agency belongs to

Where it does not, the place is inferred from the name (``infer_place``), which reads the chain of
divisions the name starts with and what follows it:

* 深圳市公安局 → division 深圳市, level 市, kind 部门, parent 深圳市人民政府;
* 杭州市西湖区人民政府 → division 西湖区, level 县, kind 人民政府, parent 杭州市人民政府;
* 浙江省人民政府办公厅 → division 浙江省, level 省, kind 办公厅, parent 浙江省人民政府;
* 北京市公安局 → level 省 (a 直辖市 is provincial level), 内蒙古自治区… → 省.

What a name cannot tell: a county-level city named alone (义乌市人民政府 reads as 市 level; 金华市义乌市…
reads right), an agency whose name starts with something other than its division (国家税务总局深圳市
税务局: no division), and codes (never invented: a code comes only from the sources file). The
sources file wins field by field; ``origin`` says which fields were given and which inferred.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Iterable

LEVELS = ("省", "市", "县")
AGENCY_KINDS = ("人民政府", "部门", "办公厅")
MUNICIPALITIES = ("北京市", "上海市", "天津市", "重庆市")  # 直辖市: provincial level
_GOVERNMENT_SUFFIXES = ("人民政府", "政府", "行政公署")  # 行政公署: a 地区/盟's government
_OFFICE_SUFFIXES = ("人民政府办公厅", "人民政府办公室", "政府办公厅", "政府办公室")
# Division name suffixes, longest first so that 自治县 wins over 县. Each maps to the level of a
# division of that kind when it stands first in a chain; a 市 after a prefecture is county level.
_SUFFIX_LEVEL = (
    ("特别行政区", "省"), ("自治区", "省"), ("省", "省"),
    ("自治州", "市"), ("地区", "市"), ("盟", "市"),
    ("自治县", "县"), ("自治旗", "县"), ("林区", "县"), ("新区", "县"), ("县", "县"), ("旗", "县"), ("区", "县"),
    ("市", "市"),
)
# Characters no place name holds but institution names do: they stop a greedy match from taking
# 国家税务总局深圳 or 城市管理 for a division.
_NOT_IN_PLACE_NAME = set("局厅委办部院署会所队站心司处科室组政府关税务公安财教卫民监管理")
_SUFFIX_RE = "|".join(re.escape(s) for s, _ in _SUFFIX_LEVEL)
_DIVISION = re.compile(rf"(?P<name>.+?)(?P<suffix>{_SUFFIX_RE})")
_CODE = re.compile(r"^[1-9]\d{5}$")


@dataclass(frozen=True)
class Place:
    agency: str
    division: str | None = None  # 行政区划 name: 深圳市, 西湖区
    division_code: str | None = None  # six digits, only when the sources file gives it
    level: str | None = None  # 省 | 市 | 县
    agency_kind: str = "部门"  # 人民政府 | 部门 | 办公厅
    parent: str | None = None  # the government it belongs to; None for a top government we know no parent of
    province: str | None = None  # the provincial-level division of the chain, for roll-ups
    origin: dict = field(default_factory=dict)  # field -> "sources" | "inferred"

    def as_dict(self) -> dict:
        return asdict(self)


# A place's fields as the exports and browse carry them (each says in ``origin`` whether it was given
# or inferred).
PLACE_FIELDS = ("division", "division_code", "level", "agency_kind", "parent", "province")


@dataclass(frozen=True)
class _Chain:
    divisions: tuple[tuple[str, str], ...]  # (name, level) from the widest down
    rest: str  # what follows the divisions: 公安局, 人民政府, 人民政府办公厅 …


def _read_chain(name: str) -> _Chain:
    divisions: list[tuple[str, str]] = []
    position = 0
    while position < len(name):
        found = _DIVISION.match(name, position)
        if found is None:
            break
        place_name = found.group("name")
        if any(ch in _NOT_IN_PLACE_NAME for ch in place_name) or len(place_name) > 12:
            break
        if len(place_name) < 2 and not (found.group("suffix") == "县" and not divisions):
            break  # one-character names are real only for counties (沛县, 歙县); 城市, 市区 are not places
        full = place_name + found.group("suffix")
        divisions.append((full, _level_of(full, found.group("suffix"), divisions)))
        position = found.end()
    return _Chain(tuple(divisions), name[position:])


def _level_of(full: str, suffix: str, above: list[tuple[str, str]]) -> str:
    if full in MUNICIPALITIES:
        return "省"
    level = dict(_SUFFIX_LEVEL)[suffix]
    if above:  # under a division: one level below it at least (金华市义乌市: a county-level city)
        parent_level = above[-1][1]
        below = LEVELS[min(LEVELS.index(parent_level) + 1, len(LEVELS) - 1)]
        return max(level, below, key=LEVELS.index)
    return level


def agency_kind_of(name: str) -> str:
    """人民政府, 办公厅 (the government's own office, 办公厅 or 办公室) or 部门."""
    name = name.strip()
    if name.endswith(_OFFICE_SUFFIXES):
        return "办公厅"
    if name.endswith(_GOVERNMENT_SUFFIXES):
        return "人民政府"
    return "部门"


def infer_place(name: str) -> Place:
    """Everything the agency's name tells about its place (see the module docstring)."""
    name = name.strip()
    chain = _read_chain(name)
    kind = agency_kind_of(name)
    names = [n for n, _ in chain.divisions]
    division, level = chain.divisions[-1] if chain.divisions else (None, None)
    governing = names[:-1] if kind == "人民政府" else names
    if len(governing) > 1 and chain.divisions[0][1] == "省" and chain.divisions[0][0] not in MUNICIPALITIES:
        governing = governing[1:]  # 广东省深圳市公安局 belongs to 深圳市人民政府, not "广东省深圳市人民政府"
    parent = "".join(governing) + "人民政府" if governing else None
    province = next((n for n, lvl in chain.divisions[:1] if lvl == "省"), None)
    inferred = {k: "inferred" for k, v in (("division", division), ("level", level), ("agency_kind", kind),
                                           ("parent", parent), ("province", province)) if v is not None}
    return Place(name, division, None, level, kind, parent, province, inferred)


def level_of_code(code: str) -> str:
    """The level a GB/T 2260 code stands for: 440000 省, 440300 市, 440305 县 (110101: a 直辖市 district)."""
    if code.endswith("0000"):
        return "省"
    if code.endswith("00"):
        return "市"
    return "县"


def validate_place_keys(entry: dict) -> str | None:
    """None when the optional place keys of one sources entry are well-formed, else what is wrong."""
    code = entry.get("division_code")
    if code is not None and (not isinstance(code, str) or not _CODE.match(code)):
        return f"division_code must be a six-digit 行政区划 code as a string (e.g. \"440300\"), not {code!r}"
    for key in ("division", "parent"):
        value = entry.get(key)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            return f"{key} must be a non-empty string when given"
    level = entry.get("level")
    if level is not None and level not in LEVELS:
        return f"level must be one of {'/'.join(LEVELS)}, not {level!r}"
    kind = entry.get("agency_kind")
    if kind is not None and kind not in AGENCY_KINDS:
        return f"agency_kind must be one of {'/'.join(AGENCY_KINDS)}, not {kind!r}"
    if code is not None and level is not None and level_of_code(code) != level:
        return f"level {level} does not match division_code {code} (a {level_of_code(code)}-level code)"
    given = [k for k in PLACE_KEYS if k in entry]
    if given and not entry.get("name"):
        return f"{', '.join(given)} describe the source's agency: a source without a name has none"
    return None


PLACE_KEYS = ("division_code", "division", "level", "agency_kind", "parent")


def place_of(name: str, given: dict | None = None) -> Place:
    """The sources file's keys where given, the name's inference for the rest."""
    inferred = infer_place(name)
    given = {k: v for k, v in (given or {}).items() if k in PLACE_KEYS and v is not None}
    if not given:
        return inferred
    values = inferred.as_dict()
    origin = dict(inferred.origin)
    for key, value in given.items():
        values[key] = value
        origin[key] = "sources"
    if "division_code" in given and "level" not in given:  # the code says the level
        values["level"] = level_of_code(given["division_code"])
        origin["level"] = "sources"
    values["origin"] = origin
    return Place(**values)


def places(agencies: Iterable[str], given: dict[str, dict]) -> dict[str, Place]:
    """A place for every agency name: ``given`` maps an agency name to its sources-file keys."""
    return {agency: place_of(agency, given.get(agency)) for agency in sorted(set(agencies))}

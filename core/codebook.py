"""The statistics codebook (``stats_codebook.yaml``, bundled with the package), loaded lazily.

The YAML is the single source of the table, row and column codes and of the arithmetic identities
(勾稽关系). Identities are written there as small formulas ("every column: received + carried_over ==
total + carried_forward"); ``parse_check`` turns each into a ``Check`` that ``parsing.checks``
evaluates, so adding an identity to the codebook needs no code change.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml

CODEBOOK_FILE = "stats_codebook.yaml"


class CodebookError(ValueError):
    """The bundled codebook is missing a part this code relies on, or has a malformed check."""


@dataclass(frozen=True)
class Term:
    """One addend of an identity: an exact code, or every code with a prefix (``sum(withheld.*)``)."""

    pattern: str
    is_prefix: bool

    def matches(self, code: str) -> bool:
        return code.startswith(self.pattern) if self.is_prefix else code == self.pattern

    def __str__(self) -> str:
        return f"sum({self.pattern}*)" if self.is_prefix else self.pattern


@dataclass(frozen=True)
class Check:
    """An identity ``sum(lhs) == sum(rhs)`` to hold in every column, every row or each group."""

    text: str  # as written in the codebook
    scope: str  # "column" | "row" | "group"
    lhs: tuple[Term, ...]
    rhs: tuple[Term, ...]


@dataclass(frozen=True)
class TableSpec:
    code: str
    label: str
    rows: dict[str, str]  # row code → official label (insertion order = printed order)
    columns: dict[str, str]  # column code → official label
    checks: tuple[Check, ...]


@dataclass(frozen=True)
class Codebook:
    tables: dict[str, TableSpec]
    figures: dict[str, str]  # figure key → description

    def table(self, code: str) -> TableSpec:
        try:
            return self.tables[code]
        except KeyError:
            raise CodebookError(f"codebook has no table {code!r}") from None


_SCOPES = {"every column": "column", "every row": "row", "each group": "group"}
_FORMULA = re.compile(r"^\s*(.+?)\s*==\s*(.+?)\s*$")
_SUM = re.compile(r"^sum\(\s*([\w.]+?)\.?\*\s*\)$")


def _parse_terms(expression: str, check_text: str) -> tuple[Term, ...]:
    terms = []
    for raw in expression.split("+"):
        raw = raw.strip()
        summed = _SUM.match(raw)
        if summed:
            # sum(withheld.*) covers "withheld.x"; sum(other*) covers "other" and "other.x".
            prefix = summed.group(1) + ("." if raw.rstrip(") ").endswith(".*") else "")
            terms.append(Term(prefix, is_prefix=True))
        elif re.fullmatch(r"[\w.]+", raw):
            terms.append(Term(raw, is_prefix=False))
        else:
            raise CodebookError(f"cannot read term {raw!r} of check {check_text!r}")
    return tuple(terms)


def parse_check(scope: str, formula: str) -> Check:
    """Read one codebook identity: scope "every row", formula "total == natural_person + commercial".

    (In the YAML a check is written ``- every row: total == …``, which YAML reads as a one-key map.)
    """
    text = f"{scope}: {formula}"
    match = _FORMULA.match(formula)
    if scope not in _SCOPES or not match:
        raise CodebookError(f"malformed check {text!r}")
    lhs, rhs = match.groups()
    return Check(text, _SCOPES[scope], _parse_terms(lhs, text), _parse_terms(rhs, text))


def _checks(code: str, raw: list) -> tuple[Check, ...]:
    checks = []
    for item in raw:
        if not isinstance(item, dict) or len(item) != 1:
            raise CodebookError(f"check {item!r} of table {code!r} is not 'scope: formula'")
        ((scope, formula),) = item.items()
        checks.append(parse_check(str(scope), str(formula)))
    return tuple(checks)


def _table_spec(code: str, raw: dict) -> TableSpec:
    if "rows" in raw:
        rows = {str(k): str(v) for k, v in raw["rows"].items()}
    elif "row" in raw:  # review_litigation: a single data row
        rows = {str(raw["row"]): str(raw.get("label", ""))}
    else:
        raise CodebookError(f"table {code!r} has neither rows nor row")
    columns = {str(k): str(v) for k, v in raw.get("columns", {}).items()}
    checks = _checks(code, raw.get("checks") or [])
    return TableSpec(code, str(raw.get("label", code)), rows, columns, checks)


def parse_codebook(source: str) -> Codebook:
    """Build a ``Codebook`` from YAML text."""
    raw = yaml.safe_load(source)
    if not isinstance(raw, dict) or "tables" not in raw or "figures" not in raw:
        raise CodebookError("codebook needs 'tables' and 'figures'")
    tables = {str(code): _table_spec(str(code), spec) for code, spec in raw["tables"].items()}
    return Codebook(tables, {str(k): str(v) for k, v in raw["figures"].items()})


@lru_cache(maxsize=1)
def load_codebook() -> Codebook:
    """The bundled codebook (read once, on first use)."""
    source = resources.files("core").joinpath(CODEBOOK_FILE).read_text(encoding="utf-8")
    return parse_codebook(source)

"""The README documents every CLI command and the fetcher's outcome classes (sqlite-utils' habit)."""
from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
import typer

from fetching.outcomes import OUTCOMES
from govreports.cli import app

README = Path(__file__).parent.parent / "README.md"


def command_paths(group: click.Group, prefix: str = "") -> list[str]:
    paths = []
    for name, command in group.commands.items():
        path = f"{prefix}{name}"
        paths.append(path)
        if isinstance(command, click.Group):
            paths.extend(command_paths(command, path + " "))
    return paths


@pytest.mark.parametrize("path", command_paths(typer.main.get_command(app)))
def test_every_command_is_documented(path):
    assert f"`govreports {path}" in README.read_text(encoding="utf-8")


def outcome_table() -> str:
    rows = ["| class | becomes a document | retried | meaning |", "|---|---|---|---|"]
    for name, (document, retried, meaning) in OUTCOMES.items():
        rows.append(f"| `{name}` | {'yes' if document else 'no'} | {'yes' if retried else 'no'} | {meaning} |")
    return "\n".join(rows)


def test_outcome_table_matches_the_code():
    text = README.read_text(encoding="utf-8")
    documented = re.search(r"<!-- outcome-classes:start -->\n(.*?)\n<!-- outcome-classes:end -->", text, re.S)
    assert documented and documented.group(1) == outcome_table()


def test_quick_start_commands_exist_in_the_makefile():
    makefile = (README.parent / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^demo:", makefile, re.M) and re.search(r"^test:", makefile, re.M)


def _block(name: str) -> str:
    text = README.read_text(encoding="utf-8")
    found = re.search(rf"<!-- {name}:start -->\n(.*?)\n<!-- {name}:end -->", text, re.S)
    assert found, f"README has no {name} block"
    return found.group(1)


def test_export_schema_table_matches_the_code():
    from govreports.tabular import schema_markdown

    assert _block("export-schema") == schema_markdown()


def test_every_export_format_is_documented_and_in_the_help():
    from govreports.export import FORMATS

    command = typer.main.get_command(app).commands["export"]
    help_text = next(p.help for p in command.params if p.name == "fmt")
    for name in FORMATS:
        assert f"| `{name}`" in README.read_text(encoding="utf-8") and name in help_text


def test_run_policy_table_matches_the_policy():
    """Each row naming a source status says what `decide` does with one such source among ok ones."""
    from core.policy import SourceStatus, decide

    rows = [line.strip("|").split("|") for line in _block("run-policy").splitlines()[2:]]
    checked = 0
    for _what, status, state, code in (map(str.strip, row) for row in rows):
        if status.strip("`") in {s.value for s in SourceStatus}:
            verdict = decide({"other": SourceStatus.OK, "this": SourceStatus(status.strip("`"))})
            assert (verdict.state, verdict.exit_code) == (state, int(code)), status
            checked += 1
    assert checked == len(SourceStatus)
    every_failed = decide({"a": SourceStatus.REFUSED, "b": SourceStatus.REFUSED})
    assert any(row[0].strip().startswith("every source") and row[3].strip() == str(every_failed.exit_code)
               for row in rows)

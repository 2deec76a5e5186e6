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

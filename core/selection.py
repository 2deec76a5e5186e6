"""What a run covers, from the command line: which sources (``--source``) and which years
(``--years``). Pure and Prefect-free, so the CLI checks them before anything starts."""
from __future__ import annotations

from core.errors import ConfigError
from core.sources import Source


def parse_years(years: str | None) -> tuple[int, int] | None:
    """"2008-2024" → (2008, 2024); "2019" → (2019, 2019)."""
    if not years:
        return None
    first, _, last = years.partition("-")
    try:
        span = (int(first), int(last or first))
    except ValueError:
        raise ConfigError(f"--years must look like 2008-2024 or 2019, not {years!r}") from None
    if span[0] > span[1]:
        raise ConfigError(f"--years {years}: the first year is after the last")
    return span


def select_sources(sources: list[Source], source_ids: list[str] | None) -> list[Source]:
    if not source_ids:
        return sources
    known = {s.id for s in sources}
    unknown = [i for i in source_ids if i not in known]
    if unknown:
        raise ConfigError(f"--source {', '.join(unknown)}: not in the sources file (known: {', '.join(sorted(known))})")
    return [s for s in sources if s.id in set(source_ids)]

"""Fetch settings: every number is a default that can be changed (env GOVREPORTS_<NAME> or code)."""
from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace

from core import PROJECT_URL, __version__
from core.errors import ConfigError

DEFAULT_USER_AGENT = (
    f"govreports/{__version__} (+{PROJECT_URL}; collects published annual reports for research; "
    "obeys robots.txt)"
)


@dataclass(frozen=True)
class FetchSettings:
    user_agent: str = DEFAULT_USER_AGENT
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    total_timeout: float = 60.0  # wall clock for one response, body included
    max_bytes: int = 20 * 1024 * 1024
    max_redirects: int = 10
    max_attempts: int = 3  # for transient outcomes only
    backoff_base: float = 1.0  # attempt n waits backoff_base * 2**(n-1), jittered ±50%
    backoff_max: float = 30.0
    retry_after_max: float = 120.0  # a longer Retry-After gives up on the URL for this run
    delay_jitter: float = 0.2  # per-host delay is multiplied by U(1, 1+jitter): never below the delay
    park_after: int = 5  # consecutive failed attempts that park a host for the run
    # How long state shared by workers on Postgres holds (fetching/postgres_host_state.py says why):
    blocked_for: float = 12 * 3600.0  # a host that blocked any worker: longer than a crawl, shorter than between crawls
    parked_for: float = 3600.0  # a parked host, before one request probes it again
    robots_ttl: float = 24 * 3600.0  # a robots.txt read (RFC 9309 §2.4: a cached copy no longer than 24 h)
    robots_unavailable_for: float = 3600.0  # a robots.txt that could not be read (everything disallowed meanwhile)
    obey_robots: bool = True
    conditional_get: bool = True  # GETs without explicit validators use the sink's stored ETag/Last-Modified

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "FetchSettings":
        environ = os.environ if environ is None else environ
        overrides = {}
        for f in fields(cls):
            raw = environ.get(f"GOVREPORTS_{f.name.upper()}")
            if raw is None:
                continue
            try:
                overrides[f.name] = _coerce(f.type, raw)
            except ValueError:
                raise ConfigError(f"GOVREPORTS_{f.name.upper()}={raw!r} is not a valid {f.type}") from None
        return replace(cls(), **overrides)


def _coerce(type_name: str, raw: str):
    if type_name == "bool":
        if raw.lower() in ("1", "true", "yes"):
            return True
        if raw.lower() in ("0", "false", "no"):
            return False
        raise ValueError(raw)
    return {"int": int, "float": float, "str": str}[type_name](raw)

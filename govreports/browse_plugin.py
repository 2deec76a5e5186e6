"""Datasette plugin hooks for ``govreports browse``: links from cells to where they came from.

* a ``snapshot`` value (a sha256) links to ``/-/snapshot/<hash>``, which serves the stored raw
  bytes from the crawl database, sandboxed (``Content-Security-Policy: sandbox``: a saved
  government page's scripts never run) and never sniffed into another type;
* a ``report_id`` / ``other_report_id`` value links to that report's cells (the ``report_cells``
  canned query).
"""
from __future__ import annotations

import asyncio
import re

from datasette import hookimpl
from datasette.utils.asgi import Response
from markupsafe import Markup, escape

PLUGIN_NAME = "govreports-browse"
_HASH = re.compile(r"^[0-9a-f]{64}$")
_REPORT_ID = re.compile(r"^r[0-9a-f]{16}$")


@hookimpl
def render_cell(value, column, database, datasette):
    if not isinstance(value, str):
        return None
    if column == "snapshot" and _HASH.match(value):
        return Markup(f'<a href="{datasette.urls.path("/-/snapshot/" + value)}" title="{value}">{value[:12]}…</a>')
    if column in ("report_id", "other_report_id") and _REPORT_ID.match(value):
        # (a table view shows report_id as its foreign-key label, linking the report's row, instead)
        href = datasette.urls.path(f"/{database}/report_cells?report_id={value}")
        return Markup(f'<a href="{href}">{escape(value)}</a>')
    return None


async def snapshot_view(request, datasette):
    content_hash = request.url_vars["hash"]
    reader = getattr(datasette, "govreports_snapshots", None)
    if reader is None:
        return Response.text("snapshots are served by `govreports browse` (this database has none attached)",
                             status=404)
    try:
        body, content_type = await asyncio.to_thread(reader, content_hash)
    except KeyError:
        return Response.text(f"no snapshot {content_hash}", status=404)
    return Response(body, content_type=content_type or "application/octet-stream",
                    headers={"Content-Security-Policy": "sandbox", "X-Content-Type-Options": "nosniff"})


@hookimpl
def register_routes():
    return [(r"^/-/snapshot/(?P<hash>[0-9a-f]{64})$", snapshot_view)]


def register() -> None:
    """Register the hooks once per process (Datasette's plugin manager is global)."""
    import sys

    from datasette.plugins import pm

    if pm.get_plugin(PLUGIN_NAME) is None:
        pm.register(sys.modules[__name__], name=PLUGIN_NAME)

"""Content-addressed snapshots: the raw bytes of every fetched document, stored once per hash.

Everything parsed can be rebuilt from these without the network (``govreports reparse``).
"""
from __future__ import annotations

from sqlalchemy import select

from storage.base import StoreBase
from storage.models import Snapshot
from storage.upsert import insert_ignore


class Snapshots(StoreBase):
    def save_snapshot(self, content_hash: str, body: bytes, content_type: str | None) -> None:
        with self._tx() as s:
            insert_ignore(s, Snapshot, [dict(content_hash=content_hash, size=len(body), content_type=content_type,
                                             data=body)], ["content_hash"])

    def load_snapshot(self, content_hash: str) -> bytes:
        with self.session() as s:
            data = s.scalar(select(Snapshot.data).where(Snapshot.content_hash == content_hash))
        if data is None:
            raise KeyError(f"no snapshot {content_hash}")
        return bytes(data)

    def snapshot_content_type(self, content_hash: str) -> str | None:
        """The Content-Type the snapshot was served with (its charset may be declared only there)."""
        with self.session() as s:
            return s.scalar(select(Snapshot.content_type).where(Snapshot.content_hash == content_hash))

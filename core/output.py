"""Files the CLI writes (exports, the coverage CSV): checked before any work, written atomically.

``check_file`` / ``check_directory`` raise ``ConfigError`` (one line, exit 2) when ``--out`` cannot
be written: a missing directory, a directory where a file is wanted, no permission, a read-only
file system. They probe by creating and removing a temporary file, because permission bits do
not tell the truth for root or on a read-only mount. ``replacing`` writes to a temporary file
beside the target and renames it into place only when the writer finished, so a failed export
leaves neither a half-written file nor a clobbered earlier one.
"""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from core.errors import ConfigError


def check_file(path: Path, option: str = "--out") -> None:
    """``path`` can be created or replaced as a file."""
    if path.is_dir():
        raise ConfigError(f"{option} {path} is a directory; give a file name")
    if not path.parent.is_dir():
        raise ConfigError(f"{option} {path}: the directory {path.parent} does not exist")
    _probe(path.parent, option, path)


def check_directory(path: Path, option: str = "--out") -> None:
    """``path`` is a writable directory, or can be created as one (its parent exists)."""
    if path.exists() and not path.is_dir():
        raise ConfigError(f"{option} {path} is a file; this format writes a directory of files")
    if not path.exists() and not path.parent.is_dir():
        raise ConfigError(f"{option} {path}: the directory {path.parent} does not exist")
    _probe(path if path.is_dir() else path.parent, option, path)


def _probe(directory: Path, option: str, target: Path) -> None:
    try:
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".govreports-probe-"):
            pass
    except OSError as exc:
        raise ConfigError(f"{option} {target}: cannot write in {directory} ({exc.strerror or exc})") from None


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path`` to write to; renamed onto ``path`` when the block succeeds,
    removed when it fails."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    os.close(handle)
    temporary_path = Path(temporary)
    os.chmod(temporary_path, 0o666 & ~_umask())  # mkstemp's 0600 is for secrets; an export is a normal file
    try:
        yield temporary_path
        os.replace(temporary_path, path)
    finally:
        temporary_path.unlink(missing_ok=True)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current

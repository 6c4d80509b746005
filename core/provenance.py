"""Where a cache or an index came from: recorded beside it, checked before it is reused.

An infini-gram index, a frequency file being resumed, an AdaXEval answer cache and a trace folder are reused by
later runs. Reused from other inputs they give silently wrong numbers (an index built from corpus A counting for
corpus B). So each records the identity of its inputs in a small JSON (:func:`record`) and a later run compares
(:func:`check`): a difference is a :class:`xlfact.errors.UsageError` naming the input that differs, one line.

Identities: :func:`content_identity` hashes the bytes of a file or of every file of a folder (corpora: small enough,
and a copy moved elsewhere is still the same corpus); :func:`stat_identity` takes size and modification time (model
folders: too large to hash on every run).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from xlfact.errors import UsageError


def _files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
    return [path]


def content_identity(path: str | Path) -> str:
    """SHA-256 over the relative names and bytes of ``path`` (a file, or every non-hidden file of a folder)."""
    path = Path(path)
    digest = hashlib.sha256()
    for file in _files(path):
        digest.update(str(file.relative_to(path) if path.is_dir() else file.name).encode() + b"\0")
        with file.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        digest.update(b"\0")
    return "sha256:" + digest.hexdigest()


def stat_identity(path: str | Path) -> str:
    """Size and modification time of every file of ``path`` (a file or folder), hashed to one short string."""
    path = Path(path)
    parts = [(str(f.relative_to(path)) if path.is_dir() else f.name, f.stat().st_size, f.stat().st_mtime_ns)
             for f in _files(path)]
    return "stat:" + hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:32]


def record(file: str | Path, identity: dict[str, Any]) -> None:
    """Write ``identity`` (JSON-able) to ``file``."""
    from xlfact.core.atomic import write_json_atomic

    write_json_atomic(file, identity)


def read(file: str | Path) -> dict[str, Any] | None:
    """The recorded identity, or None when ``file`` does not exist (an unreadable one is a UsageError)."""
    file = Path(file)
    if not file.is_file():
        return None
    try:
        saved = json.loads(file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise UsageError(f"{file}: not a readable provenance record ({type(err).__name__}); delete it and the "
                         "cache it describes, or rebuild") from None
    if not isinstance(saved, dict):
        raise UsageError(f"{file}: not a provenance record (expected a JSON object)")
    return saved


def differences(saved: dict[str, Any], identity: dict[str, Any]) -> list[str]:
    """Keys whose recorded value differs from ``identity`` (JSON-normalised), in ``identity``'s order."""
    now = json.loads(json.dumps(identity))
    return [key for key in now if saved.get(key) != now[key]]


def check(file: str | Path, identity: dict[str, Any], *, what: str, remedy: str) -> None:
    """Refuse (UsageError) when ``file`` records other inputs than ``identity``; record ``identity`` when absent.

    ``what`` names the thing being reused (``"--index idx"``), ``remedy`` says how to start over."""
    saved = read(file)
    if saved is None:
        record(file, identity)
        return
    differ = differences(saved, identity)
    if differ:
        key = differ[0]
        raise UsageError(f"{what}: was built from other inputs: {key} differs (recorded {saved.get(key)!r}, now "
                         f"{json.loads(json.dumps(identity[key]))!r}); {remedy}")

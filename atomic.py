"""Atomic writes: a reader (a web server, CI, a resumed trace) never sees half a file.

Each writer writes a temporary file in the target's folder and renames it over the target with ``os.replace``,
which is atomic on POSIX and Windows when both live on one filesystem.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any


def write_bytes_atomic(path: str | Path, data: bytes) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_text_atomic(path: str | Path, text: str) -> Path:
    return write_bytes_atomic(path, text.encode("utf-8"))


def write_json_atomic(path: str | Path, data: Any) -> Path:
    """JSON with NaN written as ``null`` (browsers and most JSON readers refuse a bare ``NaN``)."""
    return write_text_atomic(path, json.dumps(_nan_to_none(data), indent=2, ensure_ascii=False) + "\n")


def write_csv_atomic(path: str | Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Path:
    """CSV with empty cells for None/NaN and formula-like text neutralised (``xlfact.leaderboard.formatting``)."""
    from xlfact.leaderboard.formatting import csv_row

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(csv_row(header))
    for row in rows:
        writer.writerow(csv_row(["" if _is_nan(v) else v for v in row]))
    return write_text_atomic(path, buffer.getvalue())


def _is_nan(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def _nan_to_none(data: Any) -> Any:
    if isinstance(data, float) and data != data:
        return None
    if isinstance(data, dict):
        return {k: _nan_to_none(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_nan_to_none(v) for v in data]
    return data

"""Atomic writes: a reader (a web server, CI, a resumed trace) never sees half a file.

Each writer writes a temporary file in the target's folder and renames it over the target with ``os.replace``,
which is atomic on POSIX and Windows when both live on one filesystem. ``tempfile.mkstemp`` creates the temporary
file with mode 0600 whatever the umask; the file is given the mode an ordinary ``open(path, "w")`` would have
(0666 less the umask: 0644 by default), so a built site or report can be read by others like lm-eval's own files.
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

from xlfact.core.formatting import csv_row


def current_umask() -> int:
    """The process umask (read by setting and restoring it: POSIX offers no read-only call)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_bytes_atomic(path: str | Path, data: bytes) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if hasattr(os, "fchmod"):  # POSIX; on Windows the mode bits do not apply
                os.fchmod(handle.fileno(), 0o666 & ~current_umask())
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
    """CSV with empty cells for None/NaN and formula-like text neutralised (``xlfact.core.formatting``)."""
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

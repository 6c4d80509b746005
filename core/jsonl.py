"""Reading JSON Lines files with errors that name the file and the line: one reader for every loader in xlfact."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from xlfact.errors import DataError


def text_line_of(path: str | Path, offset: int) -> int:
    """The 1-based line of byte ``offset`` in ``path`` (for decode errors reported by offset)."""
    with Path(path).open("rb") as handle:
        return handle.read(offset).count(b"\n") + 1


def read_utf8(path: str | Path, *, error: type[Exception] = DataError) -> str:
    """The text of ``path``; a file that is not UTF-8 (a Latin-1 export, most often) raises ``error`` naming the
    file, line and byte."""
    data = Path(path).read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        column = err.start - (data.rfind(b"\n", 0, err.start) + 1) + 1
        raise error(f"{path} line {line}: not UTF-8 (byte 0x{data[err.start]:02x} at column {column}); expected "
                    "UTF-8 text (re-save it as UTF-8)") from None


def read_json(path: str | Path, *, error: type[Exception] = DataError, where: str | None = None,
              hint: str = "is the file truncated?", expect_object: bool = True) -> Any:
    """The JSON value of ``path``: one reader for every JSON file xlfact reads (results, relation files, markers).

    Not valid JSON, or (``expect_object``) not a JSON object, raises ``error`` naming ``where`` (default: the path),
    the line and the column, then ``hint`` (what to do about it); not UTF-8 names the path, line and byte
    (:func:`read_utf8`). A missing file raises
    ``FileNotFoundError`` as ``open`` does: what a missing file means is the caller's to say."""
    where = where or str(path)
    text = read_utf8(path, error=error)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise error(f"{where}: not valid JSON at line {err.lineno} column {err.colno} ({err.msg})"
                    + (f"; {hint}" if hint else "")) from None
    if expect_object and not isinstance(value, dict):
        raise error(f"{where}: expected a JSON object, got {type(value).__name__}")
    return value


def read_jsonl(
    path: str | Path, *, error: type[Exception] = DataError, unit: str = "row"
) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(number from 1, object)`` for every non-blank line of ``path`` (``.gz`` files are decompressed).

    A line that is not UTF-8, not valid JSON (a truncated file, most often) or not a JSON object raises ``error``
    with ``"<path> <unit> <number>: ..."``, so the caller's own error type and wording of "row"/"line" carry through.
    """
    opener = gzip.open if str(path).endswith(".gz") else open  # gzip-compressed JSON Lines (MKQA's release)
    with opener(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as err:
                raise error(
                    f"{path} {unit} {number}: not UTF-8 (byte 0x{raw[err.start]:02x} at column {err.start + 1}); "
                    "expected UTF-8 text"
                ) from None
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as err:
                raise error(
                    f"{path} {unit} {number}: not valid JSON ({err.msg} at column {err.colno}); is the file truncated?"
                ) from None
            if not isinstance(value, dict):
                raise error(f"{path} {unit} {number}: expected a JSON object, got {type(value).__name__}")
            yield number, value

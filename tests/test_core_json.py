"""core/jsonl.read_json, the one JSON file reader: one line naming the file (or the caller's name for it), the line
and the column, in the caller's error class."""

from __future__ import annotations

import pytest

from xlfact.core.jsonl import read_json
from xlfact.errors import DataError, RunError


def test_truncated_file_names_line_and_column(tmp_path):
    path = tmp_path / "r.json"
    path.write_text('{"a": 1,\n "b": ')
    with pytest.raises(RunError, match=rf"^{path}: not valid JSON at line 2 column 7 \(.*\); is the file truncated\?$"):
        read_json(path, error=RunError)
    with pytest.raises(DataError, match=r"^zh/x\.json \(relation x\): not valid JSON at line 2 column 7 \([^)]*\)$"):
        read_json(path, where="zh/x.json (relation x)", hint="")


def test_not_utf8_and_not_an_object(tmp_path):
    latin = tmp_path / "l.json"
    latin.write_bytes(b'{"a":\n "caf\xe9"}')
    with pytest.raises(DataError, match=rf"^{latin} line 2: not UTF-8 \(byte 0xe9 at column 6\)"):
        read_json(latin)
    listing = tmp_path / "list.json"
    listing.write_text("[1, 2]")
    with pytest.raises(DataError, match="expected a JSON object, got list"):
        read_json(listing)
    assert read_json(listing, expect_object=False) == [1, 2]
    with pytest.raises(FileNotFoundError):
        read_json(tmp_path / "missing.json")

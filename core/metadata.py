"""``--metadata``, lm-eval's way to pass task options, parsed once for every xlfact command."""

from __future__ import annotations

import json

from xlfact.errors import UsageError


def parse_metadata(text: str | None) -> dict:
    """``--metadata`` as every xlfact command takes it, in lm-eval's two forms: a JSON object
    (``'{"data_dir": "/data"}'``) or ``key=value,key=value`` (values that parse as JSON numbers or booleans become
    them, as in lm-eval)."""
    text = (text or "").strip()
    if not text:
        return {}
    if text.startswith("{"):
        try:
            value = json.loads(text)
        except json.JSONDecodeError as err:
            raise UsageError(f"--metadata: not valid JSON ({err.msg} at column {err.colno}); use a JSON object or "
                             "key=value,key=value") from None
        if not isinstance(value, dict):
            raise UsageError("--metadata: expected a JSON object or key=value,key=value")
        return value
    out: dict = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--metadata: {part!r} is not key=value; use key=value,key=value or a JSON object")
        try:
            parsed = json.loads(value)
            out[key.strip()] = parsed if isinstance(parsed, (int, float, bool)) or parsed is None else value
        except json.JSONDecodeError:
            out[key.strip()] = {"True": True, "False": False}.get(value, value)
    return out

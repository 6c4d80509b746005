"""One value checker for every command's numbers, booleans and indices: checked before any work starts.

Python's slicing reads a negative count as "all but the last" (``[:-1]``), ``float("nan")`` compares false with every
bound, and ``bool("maybe")`` is true: each silently gave wrong numbers before. So:

* counts (``--limit``, ``--max_docs``, ``data.max_facts``) are whole numbers >= 0, sizes (``--batch-size``,
  ``lora.r``) whole numbers >= 1; ``true``/``false`` are never numbers;
* real numbers are finite (NaN and infinity refused);
* booleans are ``true``/``false`` (JSON/YAML booleans, or those words, case-insensitive, and 1/0 as text);
* an answer index is an integer, never ``true`` or ``"1"``.

The ``arg_*`` functions are argparse ``type=`` callables (argparse turns their ``ArgumentTypeError`` into one usage
line, exit 2); :func:`check` raises :class:`xlfact.errors.UsageError` with the caller's ``where`` (file, row, field).
"""

from __future__ import annotations

import argparse
import math
from typing import Any, Literal

from xlfact.errors import UsageError

Kind = Literal["count", "size", "number", "positive_number", "bool", "index"]
_EXPECTED = {"count": "a whole number >= 0", "size": "a whole number >= 1", "number": "a finite number",
             "positive_number": "a finite number > 0", "bool": "true or false", "index": "an integer option index"}
_TRUE, _FALSE = {"true", "1", "yes"}, {"false", "0", "no"}


class ValueProblem(ValueError):
    """``value`` does not fit ``kind``; ``str()`` says what was expected."""


def coerce(value: Any, kind: Kind) -> Any:
    """``value`` as ``kind`` (text such as ``"3"`` from a command line is read for counts, numbers and booleans, never
    for an index); :class:`ValueProblem` otherwise."""
    bad = ValueProblem(f"{value!r} is not {_EXPECTED[kind]}")
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise bad
    if isinstance(value, bool):
        raise bad
    if kind == "index":
        if isinstance(value, int):
            return value
        raise bad
    if kind in ("count", "size"):
        if isinstance(value, str):
            try:
                value = int(value.strip())
            except ValueError:
                raise bad from None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, int) or value < (0 if kind == "count" else 1):
            raise bad
        return value
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise bad from None
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        raise bad
    if kind == "positive_number" and value <= 0:
        raise bad
    return value


def check(value: Any, kind: Kind, where: str) -> Any:
    """:func:`coerce`, with a :class:`UsageError` ``"<where>: <value> is not <expected>"``."""
    try:
        return coerce(value, kind)
    except ValueProblem as err:
        raise UsageError(f"{where}: {err}") from None


def _argtype(kind: Kind):
    def parse(text: str) -> Any:
        try:
            return coerce(text, kind)
        except ValueProblem as err:
            raise argparse.ArgumentTypeError(str(err)) from None

    parse.__name__ = kind  # argparse names the type in its message
    return parse


arg_count = _argtype("count")
arg_size = _argtype("size")
arg_number = _argtype("number")
arg_positive_number = _argtype("positive_number")
arg_bool = _argtype("bool")


class ArgumentParser(argparse.ArgumentParser):
    """argparse's parser whose refusals are one line, ``<prog>: error: <message>``, exit status 2, like every other
    bad input (argparse's own prints the whole usage first); ``--help`` still shows the usage. Subparsers inherit it."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (--help shows the options)\n")

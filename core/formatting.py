"""The one home for turning figures into text: numbers, percentages, confidence intervals, Markdown tables, CSV cells
and the sort keys of the HTML tables.

Why one module: the report, the CLiKA section, the leaderboard (HTML, Markdown, CSV) and the release gate each had
their own formatter, with different missing-value marks and digits for the same figure. Scoring code returns numbers;
everything that prints them comes through here.

CSV cells are *neutralised* (OWASP "CSV injection"): a text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or
a carriage return is what a spreadsheet runs as a formula (a model called ``=HYPERLINK(...)``), so it gets a leading
``'``. Numbers stay numbers, and text that *is* a number (``-0.5``) or a lone ``-`` is left alone.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

MISSING = "–"
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def number(value: Any, digits: int = 3, *, missing: str = MISSING, spec: str | None = None) -> str:
    """A figure with ``digits`` decimals (or a format ``spec`` such as ``+.2f``, ``.3g``); ``missing`` for None/NaN;
    anything else as text."""
    if is_missing(value):
        return missing
    if spec is not None and isinstance(value, (int, float)):
        return format(value, spec)
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def percent(value: Any, digits: int = 2, *, missing: str = "-") -> str:
    """A fraction printed in percent (``0.4567`` -> ``45.67``), as the papers print accuracy and RA."""
    return missing if is_missing(value) else f"{100 * float(value):.{digits}f}"


def interval(ci: Any, digits: int = 3) -> str:
    """``[low, high]``, or empty when the interval is missing or undefined."""
    if not ci or any(is_missing(x) for x in ci):
        return ""
    return f"[{ci[0]:.{digits}f}, {ci[1]:.{digits}f}]"


def count(value: Any, *, missing: str = MISSING) -> str:
    """A parameter count the way people say it: 134.5M, 7.24B."""
    if is_missing(value) or isinstance(value, bool) or not isinstance(value, (int, float)):
        return missing if is_missing(value) else str(value)
    for unit, size in (("T", 1e12), ("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if abs(value) >= size:
            return f"{value / size:.{1 if abs(value) / size >= 100 else 2}f}{unit}"
    return str(int(value))


def sort_value(value: Any) -> str:
    """The ``data-value`` a sortable HTML cell carries: a number, or empty (sorted last)."""
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, (int, float)):
        return "" if math.isnan(value) else repr(float(value))
    return str(value)


def markdown_cell(value: Any) -> str:
    """Markdown-safe text: pipes split cells, a line break ends the table row and raw HTML would render on GitHub,
    so pipes are escaped, line breaks become spaces and markup is escaped."""
    text = " ".join(str(value).splitlines())
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")


def markdown_table(header: Sequence[Any], rows: Sequence[Sequence[Any]], *, pad: bool = True) -> str:
    """A GitHub-flavoured Markdown table; ``pad`` aligns the columns so it reads in a terminal too."""
    if not pad:
        lines = ["| " + " | ".join(str(c) for c in header) + " |", "|" + "---|" * len(header)]
        return "\n".join(lines + ["| " + " | ".join(str(c) for c in row) + " |" for row in rows])
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]

    def line(cells: Sequence[Any]) -> str:
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"

    return "\n".join([line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, rows)])


def csv_cell(value: Any) -> Any:
    """A CSV cell a spreadsheet will not run as a formula (see the module docstring)."""
    if not isinstance(value, str) or not value.startswith(FORMULA_PREFIXES) or value == "-":
        return value
    try:
        float(value)
    except ValueError:
        return "'" + value
    return value


def csv_row(values: Sequence[Any]) -> list[Any]:
    return [csv_cell(v) for v in values]

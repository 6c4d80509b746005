"""One colour per language, the same in every figure xlfact draws (leaderboard page, report, compare, trace,
analysis plots), and legends that sit outside the data.

Why a fixed table rather than matplotlib's colour cycle: the default cycle has 10 colours, so with PolyFact's 12 or
KLAR-CLC's 17 languages two languages share a colour (bn and zh did), and a cycle gives a language whatever colour its
position in *that* figure happens to get. Here each language the suite's benchmarks know (the union of PolyFact,
KLAR-CLC, CLiKA and Global-MMLU: 24 languages) owns one colour for good.

How the colours were chosen: a greedy max-min search in CIELAB over an 18-step sRGB grid, lightness 28-78 (readable
on white, not black), each new colour the grid point farthest from white and from every colour already taken. Every
pair of the 24 is at least ΔE*ab 35 apart (tests/test_palette.py checks it; ~2.3 is "just noticeable"). Each language
also owns a marker, so lines stay apart in greyscale print and for colour-blind readers.

Languages not in the table (a user's own task) get the reserve colours in the order first asked for, then grey.

Importable without matplotlib; :func:`legend_outside` takes a matplotlib Axes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

LANGUAGE_COLORS: dict[str, str] = {
    "en": "#0000ff", "zh": "#ff0000", "ar": "#00d200", "ru": "#870f69", "de": "#3c4b00", "fr": "#0096ff",
    "es": "#f0b400", "ja": "#ff00f0", "pt": "#00d2a5", "id": "#e17869", "bn": "#006978", "sw": "#2d2db4",
    "ca": "#f0a5f0", "el": "#ff0078", "fa": "#a5c35a", "he": "#693c3c", "hu": "#00d2f0", "ko": "#969678",
    "nl": "#3c3c78", "tr": "#960000", "uk": "#008700", "vi": "#f0781e", "it": "#c369f0", "pl": "#966900",
}
RESERVE_COLORS: tuple[str, ...] = ("#96a5d2", "#ff4bc3", "#00784b", "#960fe1", "#960f3c", "#96d200")
FALLBACK_COLOR = "#808080"
MARKERS: tuple[str, ...] = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "h", "*", "p")
LANGUAGE_MARKERS: dict[str, str] = {lang: MARKERS[i % len(MARKERS)] for i, lang in enumerate(LANGUAGE_COLORS)}
# Series that are not languages (averages, aggregate metrics) are drawn in black, dashed, on top.
AGGREGATE_STYLE: dict[str, Any] = {"color": "black", "linestyle": "--", "linewidth": 2, "zorder": 3}

_assigned: dict[str, str] = {}


def language_color(lang: str) -> str:
    """The hex colour of ``lang`` (a language code such as ``de``; case and region suffixes are ignored)."""
    key = str(lang).lower().replace("_", "-").split("-")[0]
    if key in LANGUAGE_COLORS:
        return LANGUAGE_COLORS[key]
    if key not in _assigned:
        used = len(_assigned)
        _assigned[key] = RESERVE_COLORS[used] if used < len(RESERVE_COLORS) else FALLBACK_COLOR
    return _assigned[key]


def language_marker(lang: str) -> str:
    """The matplotlib marker of ``lang`` (the same in every figure)."""
    key = str(lang).lower().replace("_", "-").split("-")[0]
    return LANGUAGE_MARKERS.get(key, MARKERS[sum(map(ord, key)) % len(MARKERS)])


def language_colors(langs: Iterable[str]) -> dict[str, str]:
    """``{lang: colour}`` for the languages of one figure."""
    return {lang: language_color(lang) for lang in langs}


def is_language(name: str) -> bool:
    """Whether a series name looks like a language code (``de``, ``zh-Hans``, ``pt_BR``), not an aggregate such as
    'macro average' or 'total consistency'."""
    return re.fullmatch(r"[a-z]{2,3}(?:[-_][A-Za-z0-9]+)?", str(name)) is not None


def line_style(name: str) -> dict[str, Any]:
    """matplotlib keyword arguments for a series: the language's colour and marker, or the aggregate style."""
    if is_language(name):
        return {"color": language_color(name), "marker": language_marker(name)}
    return dict(AGGREGATE_STYLE)


def legend_outside(ax: Any, *, title: str | None = None, ncol: int | None = None, fontsize: int = 8) -> Any:
    """Put ``ax``'s legend to the right of the plot area, never on the data (one column up to 12 entries)."""
    handles, labels = ax.get_legend_handles_labels()
    if not handles:
        return None
    if ncol is None:
        ncol = 1 if len(handles) <= 12 else 2
    return ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0,
                     frameon=False, ncol=ncol, fontsize=fontsize, title=title)

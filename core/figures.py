"""The pictures of the leaderboard, the report and the release gate, drawn once with matplotlib.

Each function takes plain numbers (what ``leaderboard.json``, ``xlfact_report.json`` and ``compare.json`` hold) and
returns a matplotlib Figure. :func:`save` writes it as PNG and SVG files (beside ``xlfact report``'s tables, in the
site's ``figures/`` folder, beside ``compare.md``); :func:`data_uri` gives the same SVG for an ``<img>`` in the page —
an image, not inline markup, so the page's Content-Security-Policy stays strict and nothing in a figure (a hostile
model name included) can run. The page therefore needs no chart library and no network.

Every language is drawn in its own colour from :mod:`xlfact.core.palette`, the same in every figure, and
legends sit outside the data. Text is never parsed as mathtext, so a model called ``$x$`` prints as written.

This module is also the one matplotlib set-up and the one saver of every other xlfact figure (the analyses'
:mod:`xlfact.analysis.mechanistic.plots`, :mod:`xlfact.analysis.tracing.plots`, the trace): :func:`pyplot` gives
pyplot with the safe settings, :func:`save_png` / :func:`save` write atomically. Labels carry answers in every
script, so a CJK font is added as fallback where one is installed (:data:`CJK_FONTS`); where none is, a figure with
CJK text draws boxes and :func:`save_png` warns once, naming the fix (Debian/Ubuntu: ``apt-get install
fonts-noto-cjk``; any of :data:`CJK_FONTS` works).

Figures: :func:`heatmap` (models x languages accuracy of one benchmark), :func:`language_matrix` (language x language
RankC / answer agreement of one model), :func:`accuracy_vs_consistency` (scatter across models),
:func:`seen_vs_heldout` (KLAR-CLC), :func:`radar` (CLiKA's RA and en-CO per language), :func:`deltas` (the release
gate's per-language differences with their intervals).
"""

from __future__ import annotations

import base64
import functools
import io
import math
import re
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from xlfact.core.atomic import write_bytes_atomic
from xlfact.core.palette import language_color, language_marker, legend_outside

NAN = math.nan


# Fonts with CJK glyphs, in order of preference; the first installed ones back DejaVu Sans up.
CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans CJK JP", "WenQuanYi Zen Hei", "Droid Sans Fallback")
CJK_HINT = ("no CJK font is installed, so Chinese/Japanese/Korean labels draw as boxes; install one of "
            f"{', '.join(CJK_FONTS)} (Debian/Ubuntu: apt-get install fonts-noto-cjk)")
_CJK_RANGES = ((0x2E80, 0x9FFF), (0xAC00, 0xD7AF), (0xF900, 0xFAFF), (0xFF00, 0xFFEF))
_warned_cjk = False


@functools.lru_cache(maxsize=1)
def installed_cjk_fonts() -> tuple[str, ...]:
    """The fonts of :data:`CJK_FONTS` that matplotlib finds on this machine."""
    from matplotlib import font_manager  # matplotlib is imported only when a figure is drawn (heavy, optional)

    installed = {font.name for font in font_manager.fontManager.ttflist}
    return tuple(font for font in CJK_FONTS if font in installed)


def pyplot() -> Any:
    """matplotlib's pyplot with xlfact's settings: the Agg backend, no mathtext parsing (a label ``$x$`` prints as
    written), reproducible SVG, DejaVu Sans with the installed CJK fonts as fallback. Every xlfact figure is drawn
    after this call."""
    import matplotlib  # heavy optional dependency ([demo]/[train] extras): imported when a figure is drawn

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    matplotlib.rcParams.update({"text.parse_math": False, "svg.hashsalt": "xlfact", "svg.fonttype": "path",
                                "font.size": 9, "font.family": ["DejaVu Sans", *installed_cjk_fonts()]})
    return plt



def _has_cjk(text: str) -> bool:
    return any(lo <= ord(ch) <= hi for ch in text for lo, hi in _CJK_RANGES)


def warn_missing_glyphs(fig: Any) -> None:
    """Warn once per process when ``fig`` has CJK text and no CJK font is installed (it would draw boxes)."""
    global _warned_cjk
    if _warned_cjk or installed_cjk_fonts():
        return
    from matplotlib.text import Text

    if any(_has_cjk(text.get_text()) for text in fig.findobj(Text)):
        _warned_cjk = True
        warnings.warn(f"xlfact figures: {CJK_HINT}", UserWarning, stacklevel=4)


def _num(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else NAN


def _short(label: str, width: int = 34) -> str:
    text = str(label)
    return text if len(text) <= width else text[: width - 1] + "…"


# ---------------------------------------------------------------------------------------------------- output
def slug(name: str) -> str:
    """A file-name-safe version of a benchmark or model name."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", str(name)).strip("._") or "figure"


def _savefig(fig: Any, buffer: io.BytesIO, **kwargs: Any) -> None:
    """``fig.savefig`` without matplotlib's warning per missing glyph (:func:`warn_missing_glyphs` says it once)."""
    warn_missing_glyphs(fig)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        fig.savefig(buffer, **kwargs)


def svg_bytes(fig: Any) -> bytes:
    buffer = io.BytesIO()
    _savefig(fig, buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    return buffer.getvalue()


def png_bytes(fig: Any, dpi: int = 110, *, tight: bool = True) -> bytes:
    buffer = io.BytesIO()
    _savefig(fig, buffer, format="png", dpi=dpi, **({"bbox_inches": "tight"} if tight else {}))
    return buffer.getvalue()


def save_png(fig: Any, path: str | Path, *, dpi: int = 110, tight: bool = True, close: bool = True) -> Path:
    """Write ``fig`` as one PNG atomically (the analyses' figures); returns the path."""
    written = write_bytes_atomic(Path(path), png_bytes(fig, dpi, tight=tight))
    if close:
        pyplot().close(fig)
    return written


def save(fig: Any, stem: str | Path, *, close: bool = True) -> list[Path]:
    """Write ``stem.png`` and ``stem.svg`` atomically; returns both paths."""
    stem = Path(stem)
    written = [write_bytes_atomic(stem.with_suffix(".png"), png_bytes(fig)),
               write_bytes_atomic(stem.with_suffix(".svg"), svg_bytes(fig))]
    if close:
        pyplot().close(fig)
    return written


def data_uri(svg: bytes) -> str:
    """``data:image/svg+xml;base64,...`` for an ``<img src>`` (allowed by the page's ``img-src data:``)."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def close(fig: Any) -> None:
    pyplot().close(fig)


# --------------------------------------------------------------------------------------------------- figures
def _colour_ticks(axis: Any, langs: Sequence[str]) -> None:
    """Each language's tick label (either side of the axis) in the language's palette colour."""
    for tick, lang in zip(axis.get_major_ticks(), langs):
        for label in (tick.label1, tick.label2):
            label.set_color(language_color(lang))
            label.set_fontweight("bold")


def heatmap(rows: Sequence[str], langs: Sequence[str], values: Sequence[Sequence[Any]], *, title: str,
            metric: str = "accuracy") -> Any:
    """Models (rows) x languages (columns), each cell the model's figure in that language, printed in the cell."""
    import numpy as np

    plt = pyplot()
    data = np.array([[_num(v) for v in row] for row in values], dtype=float).reshape(len(rows), len(langs))
    longest = max((len(_short(r)) for r in rows), default=0)
    width = min(14.0, max(5.0, 1.8 + 0.075 * longest + 0.55 * len(langs)))
    fig, ax = plt.subplots(figsize=(width, 1.2 + 0.42 * len(rows)), layout="constrained")
    image = ax.imshow(np.ma.masked_invalid(data), cmap="viridis", vmin=0.0, vmax=1.0, aspect="auto")
    ax.set_xticks(range(len(langs)), [str(x) for x in langs])
    ax.set_yticks(range(len(rows)), [_short(r) for r in rows])
    _colour_ticks(ax.xaxis, langs)
    ax.tick_params(top=True, labeltop=True, bottom=False, labelbottom=False)
    for i in range(data.shape[0]):
        for j in range(data.shape[1]):
            value = data[i, j]
            text = "–" if math.isnan(value) else f"{value:.2f}"
            ax.text(j, i, text, ha="center", va="center", fontsize=7,
                    color="black" if math.isnan(value) or value > 0.6 else "white")
    fig.colorbar(image, ax=ax, label=metric, fraction=0.04, pad=0.02)
    ax.set_title(title, loc="left")
    return fig


def language_matrix(langs: Sequence[str], pairs: Mapping[str, Any], *, title: str,
                    lower: Mapping[str, Any] | None = None, upper_label: str = "RankC",
                    lower_label: str = "answer agreement") -> Any:
    """Language x language: ``pairs`` (``{"de-en": value}``) above the diagonal, ``lower`` below it (if given)."""
    import numpy as np

    plt = pyplot()
    n = len(langs)
    index = {lang: i for i, lang in enumerate(langs)}
    data = np.full((n, n), np.nan)
    for source, upper_side in ((pairs, True), (lower or {}, False)):
        for name, value in source.items():
            a, _, b = str(name).partition("-")
            if a in index and b in index:
                i, j = sorted((index[a], index[b]))
                if upper_side:
                    data[i, j] = _num(value)
                    if lower is None:
                        data[j, i] = _num(value)
                else:
                    data[j, i] = _num(value)
    side = min(9.0, 2.0 + 0.45 * n)
    fig, ax = plt.subplots(figsize=(side + 1.2, side), layout="constrained")
    image = ax.imshow(np.ma.masked_invalid(data), cmap="magma", vmin=0.0, vmax=1.0)
    ax.set_xticks(range(n), list(langs))
    ax.set_yticks(range(n), list(langs))
    _colour_ticks(ax.xaxis, langs)
    _colour_ticks(ax.yaxis, langs)
    if n <= 14:
        for i in range(n):
            for j in range(n):
                if not math.isnan(data[i, j]):
                    ax.text(j, i, f"{data[i, j]:.2f}", ha="center", va="center", fontsize=6,
                            color="black" if data[i, j] > 0.55 else "white")
    label = upper_label if lower is None else f"upper: {upper_label} · lower: {lower_label}"
    fig.colorbar(image, ax=ax, label=label, fraction=0.045, pad=0.02)
    ax.set_title(title, loc="left")
    return fig


def accuracy_vs_consistency(points: Sequence[Mapping[str, Any]], *, title: str) -> Any:
    """One point per model: macro accuracy (x) against total consistency (y), with their 95% CIs as error bars.

    ``points``: ``{"label", "accuracy", "consistency", "accuracy_ci", "consistency_ci"}``."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 4.2), layout="constrained")
    cmap = plt.get_cmap("tab20")
    for k, p in enumerate(points):
        x, y = _num(p.get("accuracy")), _num(p.get("consistency"))
        if math.isnan(x) or math.isnan(y):
            continue
        xci, yci = p.get("accuracy_ci") or [NAN, NAN], p.get("consistency_ci") or [NAN, NAN]
        xerr = [[max(0.0, x - _num(xci[0]))], [max(0.0, _num(xci[1]) - x)]] if not any(
            math.isnan(_num(v)) for v in xci) else None
        yerr = [[max(0.0, y - _num(yci[0]))], [max(0.0, _num(yci[1]) - y)]] if not any(
            math.isnan(_num(v)) for v in yci) else None
        ax.errorbar([x], [y], xerr=xerr, yerr=yerr, fmt="o", color=cmap(k % 20), capsize=3,
                    label=_short(p["label"], 40))
    ax.plot([0, 1], [0, 1], color="#bbbbbb", linewidth=0.8, linestyle=":", zorder=0)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("macro accuracy")
    ax.set_ylabel("total consistency")
    ax.set_title(title, loc="left")
    legend_outside(ax, title="model")
    return fig


def seen_vs_heldout(rows: Sequence[str], per_language: Sequence[Mapping[str, Any]], seen: Sequence[str],
                    heldout: Sequence[str], *, title: str) -> Any:
    """KLAR-CLC: per model, the accuracy of each seen and each held-out language (dots in the language's colour)
    and the two group means (bars)."""
    import numpy as np

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(max(6.5, 2.5 + 1.8 * len(rows)), 4.4), layout="constrained")
    drawn: set[str] = set()
    for k, values in enumerate(per_language):
        for offset, group, name in ((-0.2, seen, "seen"), (0.2, heldout, "held-out")):
            present = [(lang, _num(values.get(lang))) for lang in group if not math.isnan(_num(values.get(lang)))]
            if not present:
                continue
            mean = float(np.mean([v for _, v in present]))
            ax.bar(k + offset, mean, width=0.36, color="#d9d9d9" if name == "seen" else "#9e9e9e",
                   edgecolor="black", linewidth=0.5, label=f"{name} languages (mean)" if k == 0 else None)
            for i, (lang, v) in enumerate(present):
                x = k + offset + (i - (len(present) - 1) / 2) * (0.3 / max(1, len(present)))
                ax.scatter([x], [v], color=language_color(lang), marker=language_marker(lang), s=22, zorder=3,
                           label=lang if lang not in drawn else None)
                drawn.add(lang)
    ax.set_xticks(range(len(rows)), [_short(r, 28) for r in rows], rotation=12, ha="right")
    ax.set_ylim(0, 1)
    ax.set_ylabel("accuracy")
    ax.set_title(title + " (left bar: seen, right bar: held-out)", loc="left")
    legend_outside(ax)
    return fig


def radar(langs: Sequence[str], series: Mapping[str, Mapping[str, Any]], *, title: str) -> Any:
    """One axis per language, one closed polygon per series (e.g. RA and en-CO, or one model each), as the CLiKA
    paper draws RA per language. Values are fractions (RA is clipped at 0 for the drawing)."""
    import numpy as np

    plt = pyplot()
    n = len(langs)
    angles = np.linspace(0, 2 * np.pi, n, endpoint=False).tolist()
    fig = plt.figure(figsize=(7.0, 4.6), layout="constrained")
    ax = fig.add_subplot(projection="polar")
    cmap = plt.get_cmap("tab10")
    for k, (name, values) in enumerate(series.items()):
        ys = [max(0.0, _num(values.get(lang))) if not math.isnan(_num(values.get(lang))) else 0.0 for lang in langs]
        ax.plot(angles + angles[:1], ys + ys[:1], color=cmap(k % 10), linewidth=1.6, label=_short(name, 40))
        ax.fill(angles + angles[:1], ys + ys[:1], color=cmap(k % 10), alpha=0.08)
    ax.set_xticks(angles, list(langs))
    _colour_ticks(ax.xaxis, langs)
    top = max([_num(v) for values in series.values() for v in values.values() if not math.isnan(_num(v))] or [1.0])
    ax.set_ylim(0, max(1.0, top * 1.05))
    ax.set_title(title, loc="left")
    legend_outside(ax)
    return fig


def deltas(tests: Sequence[Mapping[str, Any]], *, title: str, margin: float | None = None) -> Any:
    """The release gate: candidate - baseline in points per language (accuracy) and per consistency metric, with
    95% intervals; regressions in red. ``tests`` are ``compare.json``'s ``tests``."""
    plt = pyplot()
    rows = list(tests)
    fig, ax = plt.subplots(figsize=(7.5, 1.2 + 0.32 * max(1, len(rows))), layout="constrained")
    for y, t in enumerate(rows):
        d = _num(t.get("diff_points"))
        ci = t.get("ci_points") or [NAN, NAN]
        lang = t.get("lang")
        color = "#c00000" if t.get("regression") else language_color(lang) if lang else "black"
        xerr = None
        if not any(math.isnan(_num(v)) for v in ci):
            xerr = [[max(0.0, d - _num(ci[0]))], [max(0.0, _num(ci[1]) - d)]]
        ax.errorbar([d], [y], xerr=xerr, fmt=language_marker(lang) if lang else "s", color=color, capsize=3)
    labels = [f"{t.get('benchmark')} {t.get('lang') or t.get('metric')}" for t in rows]
    ax.set_yticks(range(len(rows)), [_short(x, 40) for x in labels])
    ax.invert_yaxis()
    ax.axvline(0, color="black", linewidth=0.8)
    if margin:
        ax.axvline(-margin, color="#c00000", linewidth=0.8, linestyle="--", label=f"-{margin:g} points (margin)")
        legend_outside(ax)
    ax.set_xlabel("candidate − baseline (points), 95% interval")
    ax.set_title(title, loc="left")
    return fig

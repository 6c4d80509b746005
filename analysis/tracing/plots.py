"""Figures of ``xlfact trace frequency`` (recall vs frequency per checkpoint, the transfer share over checkpoints) and
``xlfact trace similarity`` (similarity with English per layer and fact class). Every series of a figure has its own
colour and marker (:func:`transfer_series_styles`, :data:`CLASS_STYLES`), so none is told apart by dashes alone."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from xlfact.core.figures import pyplot, save_png
from xlfact.core.palette import legend_outside, line_style


def _save(fig: Any, path: Path) -> Path:
    return save_png(fig, path, dpi=100, tight=False)


NO_IDENTICAL_MARKER = "x"  # owned by no language (core.palette.MARKERS has "X", not "x")


def _lighter(color: str, amount: float = 0.5) -> str:
    """``color`` blended with white: the same hue, told apart from the language's own series."""
    from matplotlib.colors import to_hex, to_rgb

    return to_hex(tuple(c + (1 - c) * amount for c in to_rgb(color)))


def transfer_series_styles(langs: list[str]) -> dict[str, dict[str, Any]]:
    """``{label: matplotlib style}`` of transfer_share.png: per language, all FN facts in the language's colour and
    marker (solid), and FN facts without identical objects in a lighter shade with an ``x`` marker (dashed)."""
    from xlfact.core.palette import line_style

    out = {}
    for lang in langs:
        style = line_style(lang)
        out[lang] = {**style, "linestyle": "-"}
        out[f"{lang}, identical objects set aside"] = {"color": _lighter(style["color"]), "marker": NO_IDENTICAL_MARKER,
                                                       "linestyle": "--"}
    return out


def plot_analysis(result: dict, out_dir: Path) -> list[Path]:
    plt = pyplot()
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    order = result["order"]
    cmap = plt.get_cmap("viridis")
    fig, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
    for k, name in enumerate(order):
        pooled = result["checkpoints"][name]["p_correct_given_frequency"]["pooled"]
        pts = [(c, p) for c, p, t in zip(pooled["centers"], pooled["prob"], pooled["total"]) if t > 0]
        if pts:
            xs, ys = zip(*pts)
            ax.plot(xs, ys, marker="o", markersize=3, color=cmap(k / max(1, len(order) - 1)), label=name)
    ax.set_xscale("log")
    ax.set_xlabel("fact frequency (documents with subject and object)")
    ax.set_ylabel("P(correct)")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title("Recall vs frequency, all languages pooled (one line per checkpoint)")
    legend_outside(ax, fontsize=7)
    written.append(_save(fig, out_dir / "recall_vs_frequency.png"))

    final = result["checkpoints"][order[-1]]["p_correct_given_frequency"]["per_language"]
    fig, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
    for lang, curve in final.items():
        pts = [(c, p) for c, p in zip(curve["centers"], curve["prob"]) if p is not None]
        if pts:
            xs, ys = zip(*pts)
            ax.plot(xs, ys, label=lang, **line_style(lang))
    ax.set_xscale("log")
    ax.set_xlabel("fact frequency (documents with subject and object)")
    ax.set_ylabel("P(correct)")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title(f"Recall vs frequency per language, {order[-1]} (empty bins omitted)")
    legend_outside(ax, fontsize=7)
    written.append(_save(fig, out_dir / "recall_vs_frequency_by_language.png"))

    fig, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
    steps = [s if s is not None else i for i, s in enumerate(result["steps"])]
    styles = transfer_series_styles(sorted(result["transfer_over_checkpoints"]))
    for lang, series in sorted(result["transfer_over_checkpoints"].items()):
        for key, label in (("share_en_correct", lang),
                           ("share_en_correct_no_identical", f"{lang}, identical objects set aside")):
            ys = [math.nan if v is None else v for v in series[key]]
            ax.plot(steps[:len(ys)], ys, label=label, **styles[label])
    if len(set(steps)) > 1:
        pad = 0.03 * (max(steps) - min(steps))
        ax.set_xlim(min(steps) - pad, max(steps) + pad)
    ax.set_xlabel("checkpoint (step)")
    ax.set_ylabel("share of FN facts with English recalled")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title("Cross-lingual transfer: facts recalled although rare (FN)\nwhose English counterpart is recalled too")
    legend_outside(ax, fontsize=7)
    written.append(_save(fig, out_dir / "transfer_share.png"))
    return written


# fact classes of `xlfact trace similarity`: fn (recalled although rare) stands out; "all" and "other" are references
CLASS_STYLES: dict[str, dict[str, Any]] = {
    "fn": {"color": "#d62728", "marker": "o", "linestyle": "-", "linewidth": 2},
    "tp": {"color": "#1f77b4", "marker": "s", "linestyle": "-"},
    "tn": {"color": "#2ca02c", "marker": "^", "linestyle": "-"},
    "fp": {"color": "#ff7f0e", "marker": "D", "linestyle": "-"},
    "all": {"color": "black", "marker": "x", "linestyle": "--"},
    "other": {"color": "#7f7f7f", "marker": "v", "linestyle": ":"},
}
CLASS_NAMES = {"fn": "fn (recalled although rare)", "tp": "tp", "tn": "tn", "fp": "fp", "all": "all facts",
               "other": "all but fn"}


def plot_similarity(result: dict, out_dir: Path) -> list[Path]:
    """similarity_by_layer.png: for the last checkpoint, one panel per language, the mean clipped cosine with English
    at each layer for each fact class, its fact count in the legend; an empty class is named, not drawn."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    out_dir.mkdir(parents=True, exist_ok=True)
    last = list(result["checkpoints"])[-1]
    per_lang = result["checkpoints"][last]
    langs = list(per_lang)
    if not langs:
        return []
    cols = min(3, len(langs))
    rows = math.ceil(len(langs) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols + 2.2, 3.2 * rows), squeeze=False, sharey=True,
                             layout="constrained")
    for ax, lang in zip(axes.flat, langs):
        empty = []
        for cls, entry in per_lang[lang].items():
            pts = [(int(k), v) for k, v in entry["by_layer"].items() if v is not None]
            if not pts:
                empty.append(cls)
                continue
            xs, ys = zip(*pts)
            ax.plot(xs, ys, markersize=4, label=f"{CLASS_NAMES.get(cls, cls)} (n={entry['n']})",
                    **CLASS_STYLES.get(cls, {"color": "grey", "marker": "."}))
        drawn = len(empty) < len(per_lang[lang])
        ax.set_title(f"{lang} vs en" + (f"\nno facts: {', '.join(empty)}" if empty and drawn else ""), fontsize=9)
        ax.set_xlabel("layer (0 = embeddings)")
        ax.set_ylim(-0.02, 1.02)
        if drawn:
            ax.legend(fontsize=7, loc="best", framealpha=0.8)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        else:
            ax.text(0.5, 0.5, "no facts in any class\n(identical objects set aside)", ha="center", va="center",
                    transform=ax.transAxes, fontsize=9, color="dimgray")
    for ax in list(axes.flat)[len(langs):]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel("mean cosine with English (clipped)")
    fig.suptitle(f"Similarity with English by fact class, {last} (classes from {result.get('classes_from', last)})")
    return [_save(fig, out_dir / "similarity_by_layer.png")]

"""Figures of ``xlfact trace frequency``: recall vs frequency per checkpoint, the transfer share over checkpoints."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from xlfact.core.figures import pyplot, save_png
from xlfact.core.palette import legend_outside, line_style


def _save(fig: Any, path: Path) -> Path:
    return save_png(fig, path, dpi=100, tight=False)


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
    for lang, series in sorted(result["transfer_over_checkpoints"].items()):
        style = line_style(lang)
        for key, dashes, label in (("share_en_correct", "-", lang),
                                   ("share_en_correct_no_identical", "--", f"{lang}, identical objects set aside")):
            ys = [math.nan if v is None else v for v in series[key]]
            ax.plot(steps[:len(ys)], ys, linestyle=dashes, label=label, **style)
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

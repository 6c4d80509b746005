"""Figures of ``xlfact trace frequency``: recall vs frequency per checkpoint, the transfer share over checkpoints."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any


def _save(fig: Any, path: Path) -> Path:
    import matplotlib.pyplot as plt

    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=100)
    plt.close(fig)
    tmp.replace(path)
    return path


def plot_analysis(result: dict, out_dir: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from xlfact.leaderboard.palette import legend_outside, line_style

    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    order = result["order"]
    cmap = plt.get_cmap("viridis")
    fig, ax = plt.subplots(figsize=(7, 4.5))
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
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    written.append(_save(fig, out_dir / "recall_vs_frequency.png"))

    fig, ax = plt.subplots(figsize=(7, 4.5))
    steps = [s if s is not None else i for i, s in enumerate(result["steps"])]
    for lang, series in sorted(result["transfer_over_checkpoints"].items()):
        ys = [math.nan if v is None else v for v in series["share_en_correct_no_identical"]]
        ax.plot(steps[:len(ys)], ys, label=lang, **line_style(lang))
    ax.set_xlabel("checkpoint (step)")
    ax.set_ylabel("share of FN facts whose English counterpart is recalled")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title("Cross-lingual transfer: rare-but-recalled facts known in English\n(identical objects set aside)")
    legend_outside(ax, fontsize=7)
    fig.tight_layout()
    written.append(_save(fig, out_dir / "transfer_share.png"))
    return written

"""The leaderboard's pictures, from the table :func:`xlfact.leaderboard.table.build_table` made: written as SVG files
under ``figures/`` and embedded in the pages as the same SVG (``data:`` image, see :mod:`xlfact.core.figures`).

Keys (what the templates look up): ``heatmap/<bench>`` (models x languages), ``scatter/<bench>`` (accuracy vs total
consistency across models), ``seen/<bench>`` (KLAR-CLC seen vs held-out), ``radar/<bench>`` (CLiKA factual RA per
language, one polygon per model); per model ``matrix/<bench>/<id>`` (language x language RankC above, answer
agreement below the diagonal), ``seen/<bench>/<id>`` and ``radar/clika/<id>`` (RA and en-CO).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from xlfact.core import figures as F
from xlfact.core.atomic import write_bytes_atomic
from xlfact.tasks import registry


def row_names(models: list[dict[str, Any]]) -> dict[int, str]:
    """Each model's name in a figure: its label, with the backend where two rows share a label."""
    counts = Counter(m["meta"]["label"] for m in models)
    return {m["id"]: m["meta"]["label"] + (f" ({m['meta']['backend']})" if counts[m["meta"]["label"]] > 1 else "")
            for m in models}


def _seen_heldout(benchmark: str) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """The benchmark's (seen, held-out) languages from its spec (KLAR-CLC), or None when it has no such split."""
    spec = registry.find(benchmark)
    return spec.seen_heldout if spec is not None else None


def clika_series(section: dict[str, Any]) -> tuple[list[str], dict[str, dict[str, Any]]] | None:
    protocols = section.get("protocols") or {}
    if not protocols:
        return None
    name, scores = next(iter(protocols.items()))
    series = {f"{label} ({name})": scores.get(key) or {} for key, label in
              (("basic_ra", "Basic RA"), ("factual_ra", "Factual RA"), ("factual_en_co", "Factual en-CO"))}
    return list(scores.get("languages") or []), series


def site_figures(table: dict[str, Any], out_dir: str | Path) -> tuple[dict[str, dict[str, Any]], list[Path]]:
    """Draw every figure of the site; returns ``({key: {uri, file, alt, caption}}, written paths)``."""
    out = Path(out_dir)
    names = row_names(table["models"])
    figures: dict[str, dict[str, Any]] = {}
    written: list[Path] = []

    def add(key: str, fig: Any, caption: str) -> None:
        svg = F.svg_bytes(fig)
        F.close(fig)
        file = f"figures/{F.slug(key.replace('/', '_'))}.svg"
        written.append(write_bytes_atomic(out / file, svg))
        figures[key] = {"key": F.slug(key.replace("/", "-")), "uri": F.data_uri(svg), "file": file,
                        "alt": caption, "caption": caption}

    for bench in table["benchmarks"]:
        name = bench["name"]
        models = [m for m in table["models"] if name in m["benchmarks"]]
        if not models or not bench["columns"]:
            continue
        values = [[m["benchmarks"][name]["columns"].get(c, {}).get("value") for c in bench["columns"]]
                  for m in models]
        add(f"heatmap/{name}", F.heatmap([names[m["id"]] for m in models], bench["columns"], values,
                                         title=f"{name}: {bench['metric']} per "
                                               f"{'language' if bench['kind'] == 'cross-lingual' else 'task'}",
                                         metric=bench["metric"]),
            f"{name}: {bench['metric']} of each model (rows) per "
            f"{'language' if bench['kind'] == 'cross-lingual' else 'task'} (columns)")
        if bench["kind"] != "cross-lingual":
            continue
        if "total_consistency" in bench["consistency"]:
            points = [{"label": names[m["id"]], "accuracy": m["benchmarks"][name]["average"],
                       "consistency": m["benchmarks"][name]["consistency"].get("total_consistency", {}).get("value"),
                       "consistency_ci": m["benchmarks"][name]["consistency"].get("total_consistency", {}).get("ci"),
                       "accuracy_ci": (m["benchmarks"][name].get("macro_ci") or {}).get("accuracy")}
                      for m in models]
            add(f"scatter/{name}", F.accuracy_vs_consistency(points, title=f"{name}: accuracy vs total consistency"),
                f"{name}: macro accuracy against total consistency, one point per run, with 95% CIs")
        per_language = [{c: v.get("value") for c, v in m["benchmarks"][name]["columns"].items()} for m in models]
        if split := _seen_heldout(name):
            seen, heldout = split
            add(f"seen/{name}", F.seen_vs_heldout([names[m["id"]] for m in models], per_language, seen, heldout,
                                                  title=f"{name}: seen vs held-out languages"),
                f"{name}: accuracy in the languages seen in training and in the held-out ones")
        for m, langs in zip(models, per_language):
            entry = m["benchmarks"][name]
            pairs = entry.get("pairs") or {}
            if pairs.get("rankc") and len(langs) > 1:
                add(f"matrix/{name}/{m['id']}",
                    F.language_matrix(list(langs), pairs["rankc"], lower=pairs.get("answer_agreement"),
                                      title=f"{names[m['id']]}: {name} language pairs"),
                    f"{name}: RankC (above the diagonal) and answer agreement (below) for each language pair")
            add(f"row/{name}/{m['id']}", F.heatmap([names[m["id"]]], list(langs), [list(langs.values())],
                                                   title=f"{names[m['id']]}: {name} accuracy per language"),
                f"{name}: accuracy per language")
            if split := _seen_heldout(name):
                seen, heldout = split
                add(f"seen/{name}/{m['id']}", F.seen_vs_heldout([names[m["id"]]], [langs], seen, heldout,
                                                                title=f"{name}: seen vs held-out"),
                    f"{name}: accuracy in seen and held-out languages")
    clika_models = [(m, clika_series(m.get("sections", {}).get("clika") or {})) for m in table["models"]]
    clika_models = [(m, s) for m, s in clika_models if s and s[0]]
    for m, (langs, series) in clika_models:
        add(f"radar/clika/{m['id']}", F.radar(langs, series, title=f"{names[m['id']]}: CLiKA RA and en-CO"),
            "CLiKA: relative accuracy (RA) and consistency with English (en-CO) per language")
    if clika_models:
        langs = list(dict.fromkeys(lang for _, (ls, _) in clika_models for lang in ls))
        series = {names[m["id"]]: s[next(k for k in s if k.startswith("Factual RA"))] for m, (_, s) in clika_models}
        fig_key = None
        for bench in table["benchmarks"]:
            if registry.by_name("clika").owns(bench["name"]):
                if fig_key is None:
                    add(f"radar/{bench['name']}", F.radar(langs, series, title="CLiKA: factual RA per language"),
                        "CLiKA: factual relative accuracy per language, one polygon per run")
                    fig_key = f"radar/{bench['name']}"
                else:
                    figures[f"radar/{bench['name']}"] = figures[fig_key]
    return figures, written

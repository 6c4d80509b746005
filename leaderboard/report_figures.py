"""``xlfact report``'s pictures, written as PNG and SVG beside its tables (``xlfact_report.json``).

Drawn from the report's own JSON (:func:`xlfact.evaluators.report.build_report`), with the same figure code as the
leaderboard (:mod:`xlfact.core.figures`) and the same colour per language:

- ``heatmap_<bench>``: output folders (rows) x languages, accuracy;
- ``languages_<bench>_<run>``: language x language RankC (above the diagonal) and answer agreement (below);
- ``scatter_<bench>``: macro accuracy vs total consistency, one point per output folder, with 95% CIs;
- ``seen_heldout_klar``: KLAR-CLC accuracy in seen vs held-out languages;
- ``clika_radar_<run>``: CLiKA's RA and en-CO per language.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from xlfact.core import figures as F
from xlfact.leaderboard.site_figures import clika_series
from xlfact.tasks import registry


def _run_names(report: dict[str, Any]) -> list[str]:
    """Short, distinct names for the report's output folders (the folder name, with its parent where needed)."""
    # lm-eval names a model folder after the model with "/" as "__": keep the last part (the model's own name)
    names = [(Path(run["folder"]).name or run["folder"]).split("__")[-1] or run["folder"] for run in report["runs"]]
    if len(set(names)) < len(names):
        names = ["/".join(Path(run["folder"]).parts[-2:]) for run in report["runs"]]
    return names


def report_figures(report: dict[str, Any], out_dir: str | Path) -> list[Path]:
    """Write every figure of ``report`` into ``out_dir``; returns the files written (PNG and SVG of each)."""
    out = Path(out_dir)
    names = _run_names(report)
    written: list[Path] = []
    benchmarks = list(dict.fromkeys(b for run in report["runs"] for b in run["benchmarks"]))
    for bench in benchmarks:
        runs = [(name, run["benchmarks"][bench]) for name, run in zip(names, report["runs"]) if bench in
                run["benchmarks"]]
        langs = list(dict.fromkeys(lang for _, b in runs for lang in b["languages"]))
        values = [[b["per_language"].get(lang, {}).get("accuracy") for lang in langs] for _, b in runs]
        tag = F.slug(bench)
        written += F.save(F.heatmap([n for n, _ in runs], langs, values, title=f"{bench}: accuracy per language"),
                          out / f"heatmap_{tag}")
        points = [{"label": n, "accuracy": b["macro"].get("accuracy"),
                   "consistency": b["cross_lingual"].get("total_consistency"),
                   "accuracy_ci": b.get("macro_ci", {}).get("accuracy"),
                   "consistency_ci": b.get("cross_lingual_ci", {}).get("total_consistency")} for n, b in runs]
        if any(p["consistency"] is not None for p in points) and len(langs) > 1:
            written += F.save(F.accuracy_vs_consistency(points, title=f"{bench}: accuracy vs total consistency"),
                              out / f"scatter_{tag}")
        for name, b in runs:
            pairs = b.get("pairs") or {}
            if pairs.get("rankc") and len(b["languages"]) > 1:
                written += F.save(F.language_matrix(b["languages"], pairs["rankc"], lower=pairs.get("answer_agreement"),
                                                    title=f"{name}: {bench} language pairs"),
                                  out / f"languages_{tag}_{F.slug(name)}")
        spec = registry.find(bench)
        if spec is not None and spec.seen_heldout:  # the benchmark's seen / held-out languages (KLAR-CLC)
            seen, heldout = spec.seen_heldout
            per_language = [{lang: e.get("accuracy") for lang, e in b["per_language"].items()} for _, b in runs]
            written += F.save(F.seen_vs_heldout([n for n, _ in runs], per_language, seen, heldout,
                                                title=f"{bench}: seen vs held-out languages"),
                              out / f"seen_heldout_{bench}")

    for name, run in zip(names, report["runs"]):
        series = clika_series(run.get("section_data", {}).get("clika") or {})
        if series and series[0]:
            written += F.save(F.radar(series[0], series[1], title=f"{name}: CLiKA RA and en-CO"),
                              out / f"clika_radar_{F.slug(name)}")
    return written

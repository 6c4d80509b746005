"""Two checkpoints side by side (paper App. E.2/E.3): D_KS and neuron-count changes (LAPE), stable/changed heads and
delta maps (LAHIS), lens curves overlaid; from two ``xlfact analyze`` output folders."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from xlfact.analysis.mechanistic import lahis as lahis_rules
from xlfact.analysis.mechanistic import lape as lape_rules
from xlfact.analysis.mechanistic import plots
from xlfact.analysis.mechanistic.common import AnalysisInputError
from xlfact.core.jsonl import read_json


def _read(folder: Path, name: str) -> dict[str, Any] | None:
    path = folder / name
    if not path.is_file():
        return None
    return read_json(path, error=AnalysisInputError)


def compare_lape(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    langs = [lang for lang in a["totals"] if lang in b["totals"]]
    return {
        "d_ks": lape_rules.d_ks(a["per_layer"], b["per_layer"]),
        "totals": {lang: {"a": a["totals"][lang], "b": b["totals"][lang], "change": b["totals"][lang] -
                          a["totals"][lang], "change_pct": (100.0 * (b["totals"][lang] - a["totals"][lang]) /
                                                            a["totals"][lang] if a["totals"][lang] else None)}
                   for lang in langs},
    }


def compare_lahis(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    if a["mode"] != b["mode"]:
        raise AnalysisInputError(f"LAHIS: run A is {a['mode']} and run B is {b['mode']}; the two are not comparable "
                                 "(rerun one of them with or without --noncausal)")
    if (a["n_layers"], a["n_heads"]) != (b["n_layers"], b["n_heads"]):
        raise AnalysisInputError("LAHIS: the two models have different layer x head shapes")
    langs = [lang for lang in a["languages"] if lang in b["languages"]]
    out: dict[str, Any] = {"mode": a["mode"], "n_top": a["n_top"], "stable_changed": {}, "delta": {}}
    for lang in langs:
        stable, changed = lahis_rules.stable_changed(a["top_heads"][lang], b["top_heads"][lang])
        out["stable_changed"][lang] = {"stable": stable, "changed": changed}
        out["delta"][lang] = [[y - x for x, y in zip(ra, rb)] for ra, rb in zip(a["scores"][lang], b["scores"][lang])]
    return out


def run(folder_a: str, folder_b: str, out: str, labels: tuple[str, str] = ("A", "B")) -> dict[str, Any]:
    fa, fb, fo = Path(folder_a), Path(folder_b), Path(out)
    result: dict[str, Any] = {"a": str(fa), "b": str(fb), "labels": list(labels), "figures": []}
    found = False
    la, lb = _read(fa, "lape.json"), _read(fb, "lape.json")
    if la and lb:
        found = True
        result["lape"] = c = compare_lape(la, lb)
        result["figures"] += [
            str(plots.lape_ecdf({labels[0]: la["per_layer"], labels[1]: lb["per_layer"]}, fo / "lape_ecdf.png",
                                {labels[1]: c["d_ks"]})),
            str(plots.lape_totals({labels[0]: la["totals"], labels[1]: lb["totals"]}, fo / "lape_totals.png")),
        ]
    ha, hb = _read(fa, "lahis.json"), _read(fb, "lahis.json")
    if ha and hb:
        found = True
        result["lahis"] = c = compare_lahis(ha, hb)
        sc = c["stable_changed"]
        result["figures"].append(str(plots.grouped_bars(
            {"stable": {k: v["stable"] for k, v in sc.items()}, "changed": {k: v["changed"] for k, v in sc.items()}},
            fo / "lahis_stable_changed.png", f"top-{c['n_top']} heads, {labels[0]} -> {labels[1]} ({c['mode']})",
            "heads", stacked=True)))
        for lang, delta in c["delta"].items():
            result["figures"].append(str(plots.heatmap(
                delta, [str(i) for i in range(len(delta))], [str(j) for j in range(len(delta[0]))],
                fo / f"lahis_delta_{lang}.png", f"{lang}: {labels[1]} - {labels[0]} head importance ({c['mode']})",
                cmap="RdBu_r", symmetric=True, annotate=False, xlabel="head", ylabel="layer")))
    ea, eb = _read(fa, "lens.json"), _read(fb, "lens.json")
    if ea and eb:
        found = True
        result["lens"] = {"a": ea["aggregate"], "b": eb["aggregate"]}
        for rule in ("last", "first"):
            result["figures"].append(str(plots.lens_languages(
                ea["aggregate"], rule, fo / f"lens_overlay_{rule}.png", f"logit lens ({rule} sub-token): "
                f"{labels[0]} bold, {labels[1]} thin", other=eb["aggregate"], labels=labels)))
    if not found:
        raise AnalysisInputError(f"{fa} and {fb}: no analysis present in both (lape.json, lahis.json or lens.json)")
    return result

"""Figures recomputed from the authors' committed artefacts (spec §5 and §4), through xlfact's own rules.

The artefacts are data files of github.com/jvonrad/Lost-in-Mistranslation @ 3ca0eea (``results/lape``,
``results/lahis``, ``results/olmo2``, ``results/olmo2_finetuned``), not committed here: point ``$XLFACT_LIM_RESULTS``
at a folder holding that ``results/`` tree (e.g. ``git archive 3ca0eea results/lape results/lahis results/olmo2
results/olmo2_finetuned | tar -x -C DIR``); the tests skip without it. The failure-mode rates read the authors' KLAR
outputs from ``../shared/reference-outputs`` and skip when it is absent.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from xlfact.analysis.mechanistic import failures, lahis, lape

LAHIS_ORDER = ("en", "de", "pt", "ar", "es", "ru", "fr", "ja", "zh", "id", "bn", "sw")  # lahis_analysis.py:39-40


@pytest.fixture(scope="module")
def results() -> Path:
    root = os.environ.get("XLFACT_LIM_RESULTS")
    path = Path(root) / "results" if root else None
    if path is None or not (path / "lape").is_dir():
        pytest.skip("set XLFACT_LIM_RESULTS to a folder with the authors' results/ tree (see module docstring)")
    return path


def _per_layer(path: Path) -> dict[str, list[int]]:
    return lape.per_layer_from_authors(json.loads(path.read_text()), 32)


def test_llama2_notebook_lape_d_ks(results):
    base = _per_layer(results / "lape" / "LLAMA_2_BASE.json")
    sft = _per_layer(results / "lape" / "LLAMA_2_SFT.json")
    grpo = _per_layer(results / "lape" / "LLAMA_2_GRPO.json")
    assert round(lape.d_ks(base, sft), 4) == 0.0531  # the committed fig3_cumulative_layers.png prints 0.053
    assert round(lape.d_ks(base, grpo), 4) == 0.0091
    assert [sum(x["en"]) for x in (base, sft, grpo)] == [772, 789, 805]


OLMO_TABLE = {  # spec §5: tag -> (totals en..zh in the LAPE language order, D_KS vs base)
    "olmo-base": ((1762, 184, 141, 117, 66, 363, 328, 116, 55, 157, 152, 81), None),
    "olmo-sft-10k": ((1784, 179, 134, 112, 65, 395, 312, 109, 53, 149, 153, 77), 0.0150),
    "olmo-grpo": ((1722, 191, 144, 121, 71, 354, 333, 119, 56, 164, 161, 86), 0.0108),
    "olmo-grpo-attmlp": ((1898, 167, 136, 101, 57, 417, 229, 94, 50, 137, 152, 84), 0.0241),
    "olmo-cpt-grpo": ((1843, 176, 138, 110, 63, 426, 240, 108, 49, 144, 146, 79), 0.0190),
}


@pytest.mark.parametrize("tag", list(OLMO_TABLE))
def test_olmo_run_lape_totals_and_d_ks(results, tag):
    langs = ("en", "de", "id", "pt", "ar", "bn", "sw", "es", "ru", "fr", "ja", "zh")
    base = _per_layer(results / "lape" / "olmo-base" / "lape_results.json")
    model = _per_layer(results / "lape" / tag / "lape_results.json")
    totals, ks = OLMO_TABLE[tag]
    assert tuple(sum(model[lang]) for lang in langs) == totals and sum(totals) == 3522
    if ks is not None:
        assert round(lape.d_ks(base, model), 4) == ks
    assert len(model["en"]) == 32  # zero-filled: the file itself has only some layer keys


def _lahis(results: Path, pattern: str) -> dict:
    import torch

    scores = {lang: torch.load(results / pattern.format(lang), map_location="cpu") for lang in LAHIS_ORDER}
    return lahis.summarise(scores, 32, 32, "noncausal")


LAHIS_TABLE = {  # spec §5: (DE-FR, DE-ID, JA-ZH, mean off-diagonal, max layer-0 %)
    "olmo2/olmo2_{}.pth": (55, 60, 50, 38.9, 50),
    "olmo2_finetuned/olmo2_ft_{}.pth": (60, 80, 80, 51.2, 20),
    "lahis/olmo-base/lahis_{}.pth": (75, 80, 75, 58.0, 40),
    "lahis/olmo-sft-10k/lahis_{}.pth": (70, 60, 80, 53.9, 40),
    "lahis/olmo-grpo/lahis_{}.pth": (70, 70, 75, 54.85, 45),
}


@pytest.mark.parametrize("pattern", list(LAHIS_TABLE))
def test_lahis_overlaps_from_committed_tensors(results, pattern):
    s = _lahis(results, pattern)
    i = {lang: n for n, lang in enumerate(s["languages"])}
    o = s["overlap"]
    off = [o[a][b] for a in range(12) for b in range(12) if a != b]
    de_fr, de_id, ja_zh, mean_off, layer0 = LAHIS_TABLE[pattern]
    assert s["n_top"] == 20
    assert (o[i["de"]][i["fr"]], o[i["de"]][i["id"]], o[i["ja"]][i["zh"]]) == (de_fr, de_id, ja_zh)
    assert sum(off) / len(off) == pytest.approx(mean_off, abs=0.05)
    assert max(p[0] for p in s["layer_profile"].values()) == layer0


@pytest.mark.parametrize("pair,low,high", [
    (("olmo2/olmo2_{}.pth", "olmo2_finetuned/olmo2_ft_{}.pth"), 12, 17),
    (("lahis/olmo-base/lahis_{}.pth", "lahis/olmo-sft-10k/lahis_{}.pth"), 1, 5),
    (("lahis/olmo-base/lahis_{}.pth", "lahis/olmo-grpo/lahis_{}.pth"), 1, 6),
    (("olmo2/olmo2_{}.pth", "lahis/olmo-grpo/lahis_{}.pth"), 7, 16),
])
def test_lahis_changed_heads(results, pair, low, high):
    a, b = (_lahis(results, p) for p in pair)
    changed = [lahis.stable_changed(a["top_heads"][lang], b["top_heads"][lang])[1] for lang in LAHIS_ORDER]
    assert (min(changed), max(changed)) == (low, high)


def test_failure_rates_of_olmo2_base_klar_outputs(shared):
    path = shared("reference-outputs", "klar", "OLMo-2-1124-7B_klar.json")
    klar = shared("data", "KLAR-CLC")
    records = failures.records_from_authors(str(path))
    object_en = failures.english_objects(klar, {r["lang"] for r in records}, {r["relation"] for r in records})
    per = failures.analyse(records, object_en)["per_language"]
    got = {lang: (round(v["english_leak_pct"], 1), round(v["numeric_pct"], 1)) for lang, v in per.items()}
    assert got == {"es": (9.1, 10.0), "fr": (2.8, 15.8), "ru": (1.1, 4.2), "zh": (0.3, 0.0), "ja": (0.3, 0.0),
                   "ar": (0.2, 6.6)}  # spec §4


def test_authors_json_that_is_not_theirs_is_one_line(tmp_path):
    from xlfact.analysis.mechanistic import failures
    from xlfact.analysis.mechanistic.common import AnalysisInputError

    bad = tmp_path / "m_klar.json"
    bad.write_text('{"records": [{"language": "en", "relation": "capital"}]}')
    with pytest.raises(AnalysisInputError, match=r"m_klar\.json records\[0\]: field 'index' missing"):
        failures.records_from_authors(str(bad))
    bad.write_text('{"records": ')
    with pytest.raises(AnalysisInputError, match=r"m_klar\.json: not valid JSON at line 1"):
        failures.records_from_authors(str(bad))

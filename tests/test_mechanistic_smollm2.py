"""``xlfact analyze`` end to end on the embedded SmolLM2-135M-Instruct (offline), kept small: the paper's Figure 3
facts through the logit lens, a short LAPE pass and a two-chunk LAHIS pass from KLAR-CLC sentences."""

from __future__ import annotations

import json

import pytest

from xlfact.analysis.mechanistic.cli import main as analyze


@pytest.mark.slow
def test_smollm2_lens_lape_lahis(shared, tmp_path):
    from xlfact.cli.demo import ensure_default_model

    klar = shared("data", "KLAR-CLC")
    model = str(ensure_default_model())
    out = tmp_path / "out"
    common = ["--model", model, "--out", str(out), "--no-progress"]
    for mode in ("model", "authors"):
        assert analyze(["logit-lens", *common, "--klar-dir", str(klar), "--per-relation", "0",
                        "--final-norm", mode, "--plot-items", "2"]) == 0
        lens = json.loads((out / "lens.json").read_text())
        zh, es = lens["items"]
        assert (zh["id"], zh["answer"], zh["answer_en"]) == ("zh/official_language#235", "法语", "French")
        assert (es["id"], es["answer"], es["answer_en"]) == ("es/place_of_birth#21", "Londres", "London")
        assert es["answer_token_last"] == "res" and es["answer_token_first"] == "ĠL"  # the two sub-token rules
        assert es["collisions"]["en_decoy"]  # the authors' default decoy "London" is this fact's English answer
        assert len(es["answer_rank_last"]) == 31  # embeddings + 30 layers
        last = {k: es[f"{k}_rank_last"][-1] for k in ("answer", "answer_en")}
        model_ranks = {k: es[f"{k}_model_rank_last"] for k in ("answer", "answer_en")}
        assert (last == model_ranks) == (mode == "model")  # the second norm changes the last point
    assert analyze(["lape", *common, "--klar-dir", str(klar), "--langs", "en,es", "--tokens-per-lang", "1024",
                    "--seq-len", "256"]) == 0
    lape = json.loads((out / "lape.json").read_text())
    assert lape["k"] == int(30 * 1536 * 0.01) == sum(lape["totals"].values())
    assert lape["tokens_per_lang"] == {"en": 1024, "es": 1024}
    assert analyze(["lahis", *common, "--klar-dir", str(klar), "--langs", "en,es", "--chunks", "1"]) == 0
    lahis = json.loads((out / "lahis.json").read_text())
    assert lahis["mode"] == "causal" and lahis["n_top"] == 5 and len(lahis["top_heads"]["es"]) == 5

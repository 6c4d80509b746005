"""The CLiKA conductivity sweep end to end on CPU: ``xlfact train conductivity`` over two target languages with a
tiny model on the authors' fictional files (../shared) tunes, evaluates through lm-eval, applies the convergence rule
and writes the XRR table; a second call resumes without training again."""

from __future__ import annotations

import json

import pytest

from xlfact.training.cli import main as train
from xlfact.training.conductivity import converged, xrr_table
from xlfact.training.synthetic import build_untied_tiny_llama

pytestmark = pytest.mark.slow


def test_convergence_rule_and_table():
    ok = {"en_acc": 0.95, "x_acc_type0": 0.92, "x_acc_type1": 0.3, "translate_acc": 0.91, "xrr": 0.25}
    assert converged(ok) and not converged({**ok, "translate_acc": 0.9}) and not converged({**ok, "en_acc": None})
    table = xrr_table({"de": {**ok, "converged": True}, "ja": {**ok, "xrr": None, "converged": False}})
    assert "| de | 25.0 | 95.0 | 92.0 | 30.0 | 91.0 | yes |" in table and "| ja | n/a |" in table and "**no**" in table


def test_conductivity_sweep_over_two_languages(shared, tmp_path, monkeypatch):
    from xlfact.training.fictional import read_pairs, train_file

    clika = shared("data", "CLiKA")
    texts = []
    for lang in ("de", "ja"):
        pairs, _ = read_pairs(train_file(clika, lang), lang, "en_to_target", "alpaca")
        texts += [p["prompt"] + p["completion"] for p in pairs[::25]]
    base = build_untied_tiny_llama(tmp_path / "base", texts, seed=0)
    out = tmp_path / "sweep"
    args = ["conductivity", "--config", "fictional_tiny_cpu", "--langs", "de,ja", "--out", str(out),
            "--batch-size", "64", "--limit", "40", f"model.name_or_path={base}", f"data.clika_dir={clika}",
            "data.max_rows=120", "training.num_train_epochs=1"]
    assert train(args) == 0
    table = (out / "conductivity.md").read_text(encoding="utf-8")
    rows = json.loads((out / "conductivity.json").read_text(encoding="utf-8"))["languages"]
    print(table)
    assert list(rows) == ["de", "ja"]
    for lang in ("de", "ja"):
        assert (out / lang / "model" / "config.json").is_file() and (out / lang / "eval" / "samples.json").is_file()
        row = rows[lang]
        assert set(row) == {"en_acc", "x_acc_type0", "x_acc_type1", "translate_acc", "xrr", "converged"}
        assert row["converged"] is False  # a tiny model after one epoch on 120 rows has not learnt the facts
        assert 0.0 <= row["translate_acc"] <= 1.0 and f"| {lang} |" in table

    import xlfact.training.fictional

    def no_training(config):
        raise AssertionError("a finished language was trained again")

    monkeypatch.setattr(xlfact.training.fictional, "run", no_training)
    assert train(args) == 0  # resumes: both languages are complete

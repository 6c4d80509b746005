"""Real weights through the whole fact-tracing chain: SmolLM2-135M-Instruct (the embedded model) on klar_trace_all
(the real KLAR-CLC facts, --limit 2 per language), frequencies counted by infini-gram over text the project writes
(every KLAR template of the first facts of each relation, filled in), then ``xlfact trace frequency`` and
``xlfact report``. Skips when ../shared is absent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from xlfact.cli import main as xlfact

pytestmark = pytest.mark.slow
pytest.importorskip("infini_gram")
KLAR = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "KLAR-CLC"
LIMIT = 2


def project_text(out: Path) -> Path:
    """Documents the project writes: each template of the first 6 facts of every relation, one document each."""
    from xlfact.tasks.klar.data import read_relation_file
    from xlfact.tasks.klar_trace.data import LANGUAGES, RELATIONS

    lines = []
    for lang in LANGUAGES:
        for rel in RELATIONS:
            rf = read_relation_file(KLAR, lang, rel)
            for k, s in enumerate(rf.samples[:6]):
                for t in rf.templates[: 1 + k % len(rf.templates)]:  # 1..n templates: frequencies differ by fact
                    lines.append(t.replace("<subject>", s["subject"]).replace("<mask>", s["object"]))
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


def test_smollm2_klar_trace_chain(tmp_path, capsys):
    if not (KLAR / "en").is_dir():
        pytest.skip("../shared/data/KLAR-CLC is absent")
    from xlfact.cli.demo import ensure_default_model

    model = ensure_default_model()
    corpus = project_text(tmp_path / "corpus.txt")
    assert xlfact(["frequency", "--corpus", str(corpus), "--index", str(tmp_path / "index"), "--klar-dir", str(KLAR),
                   "--limit", "6", "--out", str(tmp_path / "freq.json")]) == 0
    assert xlfact(["trace", "--checkpoints", str(model), "--model_args", "dtype=float32", "--tasks", "klar_trace_all",
                   "--limit", str(LIMIT), "--output_path", str(tmp_path / "trace"), "--metadata",
                   json.dumps({"klar_dir": str(KLAR)}), "--batch_size", "24", "--device", "cpu",
                   "--bootstrap", "0"]) == 0
    assert xlfact(["trace", "frequency", "--records", str(tmp_path / "trace"), "--frequencies",
                   str(tmp_path / "freq.json"), "--out", str(tmp_path / "o.json")]) == 0
    out = json.loads((tmp_path / "o.json").read_text())
    ckpt = out["checkpoints"][out["order"][-1]]
    assert len(ckpt["languages"]) == 12 and ckpt["clc"]["available"]
    assert ckpt["clc"]["per_language"]["en"] in (0.0, 1.0)
    assert sum(ckpt["p_correct_given_frequency"]["pooled"]["total"]) + sum(
        c["p_correct_given_frequency"]["per_language"][lang]["n_zero_frequency_dropped"]
        for c in [ckpt] for lang in ckpt["languages"]) == 12 * LIMIT
    run = next((tmp_path / "trace" / "checkpoints").iterdir())
    assert xlfact(["report", str(run), "--bootstrap", "0"]) == 0
    report = capsys.readouterr().out
    assert "clc_overall" in report
    rows = (tmp_path / "trace" / "trace.csv").read_text().splitlines()
    assert any(",clc," in r for r in rows) and any(",clc_overall," in r for r in rows)
    print("\nSmolLM2-135M klar_trace (limit 2/lang): per-language acc", ckpt["recall"]["per_language_acc"],
          "CLC", round(ckpt["clc"]["overall"], 3), "frequencies",
          {lang: ckpt["threshold_classifier"][lang]["best_threshold"] for lang in ckpt["languages"]})

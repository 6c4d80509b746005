"""Representation similarity (spec §7): clipped cosine, class means without identical objects with their fact counts,
an empty class null (not 0), and ``xlfact trace similarity`` on a tiny model (one value per hidden state, layer 0 =
embeddings), with its figure and printed summary."""

from __future__ import annotations

import json

import numpy as np
import pytest

from xlfact.analysis.tracing.similarity import class_members, clipped_cosine, similarity_by_class
from xlfact.cli import main as xlfact


def test_cosine_is_clipped_to_zero_one():
    a = np.array([[[1.0, 0.0], [1.0, 0.0], [0.0, 0.0]]])
    b = np.array([[[1.0, 0.0], [-1.0, 0.0], [1.0, 1.0]]])
    assert clipped_cosine(a, b).tolist() == [[1.0, 0.0, 0.0]]


def test_class_means_exclude_identical_objects_and_empty_class_is_null_with_counts():
    clf = {"false_negative_indices": [1], "true_positive_indices": [2, 3], "true_negative_indices": [],
           "false_positive_indices": [], "all_indices": [1, 2, 3]}
    members = {"fr": class_members(clf, identical=[3])}
    assert members["fr"]["tp"] == [2] and members["fr"]["all"] == [1, 2] and members["fr"]["other"] == [2]
    en = np.array([[[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]]] * 2)  # 2 layers, facts 1 2 3
    fr = np.array([[[0.0, 1.0], [1.0, 0.0], [0.0, 1.0]]] * 2)
    pos = {1: 0, 2: 1, 3: 2}
    out = similarity_by_class({"en": en, "fr": fr}, {"en": pos, "fr": pos}, members)
    assert out["fr"]["fn"] == {"n": 1, "by_layer": {"0": 0.0, "1": 0.0}}  # measured: orthogonal
    assert out["fr"]["tp"] == {"n": 1, "by_layer": {"0": 1.0, "1": 1.0}}
    assert out["fr"]["all"]["n"] == 2 and out["fr"]["all"]["by_layer"]["0"] == pytest.approx(0.5)
    assert out["fr"]["tn"] == {"n": 0, "by_layer": {"0": None, "1": None}}  # no facts: null, not 0.0


def test_similarity_cli_on_a_tiny_model(tmp_path, klar_fixture_writer, capsys):
    from xlfact.analysis.tracing.analyses import analyse
    from xlfact.analysis.tracing.frequencies import read_frequencies
    from xlfact.analysis.tracing.records import CheckpointRecords
    from xlfact.core.atomic import write_json_atomic
    from xlfact.tasks.klar.data import read_relation_file
    from xlfact.tasks.klar_trace.data import RELATIONS
    from xlfact.training.tiny_models import build_tiny_llama

    langs = ("en", "fr", "zh")  # the fixture's French objects are the English ones (identical: set aside); Chinese not
    klar = klar_fixture_writer(tmp_path / "klar", langs=langs)
    freq = {lang: {rel: [{"subject": s["subject"], "object": s["object"], "index": s["index"], "frequency": k}
                         for k, s in enumerate(read_relation_file(klar, lang, rel).samples)] for rel in RELATIONS[:2]}
            for lang in langs}
    (tmp_path / "f.json").write_text(json.dumps(freq))
    table = read_frequencies(tmp_path / "f.json")
    rec = CheckpointRecords("step1", 1.0)
    for lang in langs:
        for i in table.languages[lang].indices.tolist():
            rec.add(lang, i, i % 2 == 0)
    write_json_atomic(tmp_path / "o.json", analyse(table, [rec]))
    model = build_tiny_llama(tmp_path / "ckpts" / "step1", ["The capital of France is Paris"] * 20, seed=0)
    assert xlfact(["trace", "similarity", "--checkpoints", str(model.parent), "--analysis", str(tmp_path / "o.json"),
                   "--frequencies", str(tmp_path / "f.json"), "--klar-dir", str(klar), "--out",
                   str(tmp_path / "s.json"), "--plots", str(tmp_path / "plots")]) == 0
    out = json.loads((tmp_path / "s.json").read_text())
    fr, zh = out["checkpoints"]["step1"]["fr"], out["checkpoints"]["step1"]["zh"]
    assert set(fr) == set(zh) == {"fn", "tp", "tn", "fp", "all", "other"}
    assert list(zh["all"]["by_layer"]) == ["0", "1", "2"]  # embeddings + 2 layers
    for entry in [*fr.values(), *zh.values()]:
        values = list(entry["by_layer"].values())
        assert (entry["n"] == 0) == (values == [None] * 3)  # null exactly when the class has no facts
        assert all(0.0 <= v <= 1.0 for v in values if v is not None)
    assert zh["all"]["n"] == len(table.languages["zh"].indices) and fr["all"]["n"] == 0  # every fr object identical
    assert (tmp_path / "plots" / "similarity_by_layer.png").stat().st_size > 5_000
    printed = capsys.readouterr().out
    assert "step1: mean cosine with English" in printed and "fr: fn - (n=0)" in printed
    assert f"all (n={zh['all']['n']})" not in printed and f"(n={zh['all']['n']})" in printed

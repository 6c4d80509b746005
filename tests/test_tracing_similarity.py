"""Representation similarity (spec §7): clipped cosine, class means without identical objects, empty class = 0, and
``xlfact trace similarity`` on a tiny model (one value per hidden state, layer 0 = embeddings)."""

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


def test_class_means_exclude_identical_objects_and_empty_class_is_zero():
    clf = {"false_negative_indices": [1], "true_positive_indices": [2, 3], "true_negative_indices": [],
           "false_positive_indices": [], "all_indices": [1, 2, 3]}
    members = {"fr": class_members(clf, identical=[3])}
    assert members["fr"]["tp"] == [2] and members["fr"]["all"] == [1, 2] and members["fr"]["other"] == [2]
    en = np.array([[[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]]] * 2)  # 2 layers, facts 1 2 3
    fr = np.array([[[0.0, 1.0], [1.0, 0.0], [0.0, 1.0]]] * 2)
    pos = {1: 0, 2: 1, 3: 2}
    out = similarity_by_class({"en": en, "fr": fr}, {"en": pos, "fr": pos}, members)
    assert out["fr"]["fn"] == {"0": 0.0, "1": 0.0} and out["fr"]["tp"] == {"0": 1.0, "1": 1.0}
    assert out["fr"]["all"]["0"] == pytest.approx(0.5) and out["fr"]["tn"] == {"0": 0.0, "1": 0.0}


def test_similarity_cli_on_a_tiny_model(tmp_path, klar_fixture_writer):
    from xlfact.analysis.tracing.analyses import analyse
    from xlfact.analysis.tracing.frequencies import read_frequencies
    from xlfact.analysis.tracing.records import CheckpointRecords
    from xlfact.core.atomic import write_json_atomic
    from xlfact.tasks.klar.data import read_relation_file
    from xlfact.tasks.klar_trace.data import RELATIONS
    from xlfact.training.tiny_models import build_tiny_llama

    klar = klar_fixture_writer(tmp_path / "klar", langs=("en", "fr"))
    freq = {lang: {rel: [{"subject": s["subject"], "object": s["object"], "index": s["index"], "frequency": k}
                         for k, s in enumerate(read_relation_file(klar, lang, rel).samples)] for rel in RELATIONS[:2]}
            for lang in ("en", "fr")}
    (tmp_path / "f.json").write_text(json.dumps(freq))
    table = read_frequencies(tmp_path / "f.json")
    rec = CheckpointRecords("step1", 1.0)
    for lang in ("en", "fr"):
        for i in table.languages[lang].indices.tolist():
            rec.add(lang, i, i % 2 == 0)
    write_json_atomic(tmp_path / "o.json", analyse(table, [rec]))
    model = build_tiny_llama(tmp_path / "ckpts" / "step1", ["The capital of France is Paris"] * 20, seed=0)
    assert xlfact(["trace", "similarity", "--checkpoints", str(model.parent), "--analysis", str(tmp_path / "o.json"),
                   "--frequencies", str(tmp_path / "f.json"), "--klar-dir", str(klar), "--out",
                   str(tmp_path / "s.json")]) == 0
    out = json.loads((tmp_path / "s.json").read_text())
    fr = out["checkpoints"]["step1"]["fr"]
    assert set(fr) == {"fn", "tp", "tn", "fp", "all", "other"}
    assert list(fr["all"]) == ["0", "1", "2"]  # embeddings + 2 layers
    assert all(0.0 <= v <= 1.0 for per in fr.values() for v in per.values())

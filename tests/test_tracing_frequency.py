"""Fact frequencies: infini-gram's local index against a brute-force document count, MFT's file format, resuming;
hub revision ranges against a fake branch list; checkpoint folders in step order."""

from __future__ import annotations

import json
import random

import pytest

from xlfact.analysis.tracing.counting import ApiCounter, LocalCounter, build_index, count_frequencies
from xlfact.analysis.tracing.frequencies import read_frequencies
from xlfact.analysis.tracing.trace import checkpoint_folders, plan_checkpoints, resolve_revision_range, step_of

pytest.importorskip("infini_gram")

PHRASES = ["Paris", "France", "Ankara", "Turkey", "東京", "日本", "Париж", "Франция", "Türkiye", "paris"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    rng = random.Random(0)
    docs = [" ".join(rng.choice(PHRASES + ["and", "the", "city"]) for _ in range(rng.randint(1, 12)))
            for _ in range(400)]
    (root / "docs").mkdir()
    (root / "docs" / "a.jsonl").write_text("".join(json.dumps({"text": d}, ensure_ascii=False) + "\n"
                                                   for d in docs[:250]), encoding="utf-8")
    (root / "docs" / "b.txt").write_text("\n".join(docs[250:]) + "\n", encoding="utf-8")
    build_index(root / "docs", root / "index")
    return docs, root


def test_local_counts_equal_brute_force_document_counts(corpus):
    docs, root = corpus
    counter = LocalCounter(root / "index")
    for subject in PHRASES:
        for obj in PHRASES:
            expected = sum(1 for d in docs if subject in d and obj in d)
            assert counter.count(subject, obj) == expected, (subject, obj)


def test_count_frequencies_writes_mft_format_and_resumes(corpus, tmp_path):
    _, root = corpus
    facts = {"en": {"capital_of": [{"subject": "Paris", "object": "France", "index": 7},
                                   {"subject": "Ankara", "object": "Turkey", "index": 8}]},
             "ja": {"capital_of": [{"subject": "東京", "object": "日本", "index": 7}]}}
    out = tmp_path / "f.json"
    first = count_frequencies(facts, LocalCounter(root / "index"), out)
    table = read_frequencies(out)
    assert list(table.languages) == ["en", "ja"] and table.languages["en"].frequencies.tolist() == [
        first["en"]["capital_of"][0]["frequency"], first["en"]["capital_of"][1]["frequency"]]

    class Exploding:
        def count(self, subject, obj):
            raise AssertionError("resumed facts must not be counted again")

    assert count_frequencies(facts, Exploding(), out) == first


def test_api_query_is_mfts():
    assert ApiCounter().payload("Ankara", "Turkey") == {
        "index": "v4_dolma-v1_7_llama", "query_type": "count", "query": "Ankara AND Turkey", "max_diff_tokens": 1000,
        "max_clause_freq": 50000}


def test_step_is_read_from_step_n():
    assert step_of("step1000-tokens4B") == 1000.0
    assert step_of("stage1-step50000-tokens210B") == 50000.0
    assert step_of("checkpoint-30") == 30.0 and step_of("main") is None


def test_revision_range_against_fake_branches():
    branches = ["main", "step0-tokens0B", "step500-tokens2B", "step1000-tokens4B", "step5000-tokens21B",
                "step10000-tokens42B", "step15000-tokens63B", "step50000-tokens210B", "step51000-tokens214B"]
    assert resolve_revision_range("step1000:step50000:5000", branches) == [
        "step5000-tokens21B", "step10000-tokens42B", "step15000-tokens63B", "step50000-tokens210B"]
    assert resolve_revision_range("step0:step1000", branches) == ["step0-tokens0B", "step500-tokens2B",
                                                                  "step1000-tokens4B"]
    with pytest.raises(ValueError, match="no branch"):
        resolve_revision_range("step60000:step70000", branches)
    planned = plan_checkpoints("pretrained=allenai/OLMo-7B-0424-hf", ["step1000:step10000:5000"], [],
                               list_branches=lambda repo: branches)
    assert [(c.label, c.step) for c in planned] == [("step5000-tokens21B", 5000.0),
                                                        ("step10000-tokens42B", 10000.0)]


def test_folder_of_checkpoints_is_read_in_step_order(tmp_path):
    for name in ("checkpoint-100", "checkpoint-20", "checkpoint-3"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "config.json").write_text("{}")
    assert [p.name for p in checkpoint_folders(tmp_path)] == ["checkpoint-3", "checkpoint-20", "checkpoint-100"]


def test_hub_route_reads_branches_from_list_repo_refs(monkeypatch):
    """The real hub route (``huggingface_hub.list_repo_refs``) with a fake refs object: no network."""
    import types

    import huggingface_hub

    calls = []

    def fake_list_repo_refs(repo_id, repo_type="model"):
        calls.append((repo_id, repo_type))
        branch = types.SimpleNamespace
        return types.SimpleNamespace(branches=[branch(name="main"), branch(name="step2000-tokens8B"),
                                               branch(name="step1000-tokens4B")], tags=[], converts=[])

    monkeypatch.setattr(huggingface_hub, "list_repo_refs", fake_list_repo_refs)
    planned = plan_checkpoints("pretrained=allenai/OLMo-7B-0424-hf", ["step0:step5000"], [])
    assert [c.source for c in planned] == ["step1000-tokens4B", "step2000-tokens8B"]
    assert [c.step for c in planned] == [1000.0, 2000.0] and calls == [("allenai/OLMo-7B-0424-hf", "model")]

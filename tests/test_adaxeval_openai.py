"""The endpoint path for real: the ``openai`` client talks HTTP to a stub OpenAI-compatible server on 127.0.0.1 that
answers from the test corpus's answer key, records every request, and misbehaves on purpose (a refusal, an HTTP 500,
a request that outlives the client's timeout). ``xlfact build adaxeval --llm openai`` must count each as a drop,
use several judge models and several connections at once, and on a re-run send only the calls that failed."""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from xlfact.builders.adaxeval import prompts
from xlfact.builders.adaxeval.llm import Request
from xlfact.builders.adaxeval.schema import ANSWER_MODELS, RESPONSE_SKIP
from xlfact.builders.adaxeval.scripted import AnswerKey
from xlfact.cli import main as xlfact

DATA = Path(__file__).resolve().parent / "data" / "adaxeval"
STEP_OF_PROMPT = {getattr(prompts, name)[:15]: step for name, step in [
    ("FACT_CHECK", "fact_check"), ("TRIPLE", "triple"), ("CRAFT", "craft"), ("TRANSLATE", "translate"),
    ("INLANG", "inlang"), ("CROSSLANG", "crosslang")]}
CODE_OF = {name: code for code, name in prompts.LANGUAGE_NAMES.items()}


class Stub:
    def __init__(self) -> None:
        self.key = AnswerKey(DATA / "answer_key.jsonl")
        self.requests: list[dict] = []
        self.schema_violations: list[str] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.lock = threading.Lock()

    def answer(self, body: dict) -> tuple[int, dict | None]:
        system, user = body["messages"][0]["content"], body["messages"][1]["content"]
        step = next(s for prefix, s in STEP_OF_PROMPT.items() if system.startswith(prefix))
        payload = json.loads(user.split("```json\n", 1)[1].rsplit("\n```", 1)[0])
        if step == "translate":
            payload["target"] = CODE_OF[re.search(r"into (\w+)\.", system)[1]]
        text = self.key(Request(step, (), payload))
        self.check_schema(body, text)
        if step == "fact_check" and body["model"] == "judge-a" and "Germany" in payload["sentence"]:
            time.sleep(2.5)  # past the client's 1 s timeout
        if step == "craft" and "Spain" in payload["sentence"]:
            return 200, {"refusal": "I will not write this question."}
        if step == "translate" and "Italy" in payload["fill_in_blank"]:
            return 500, None
        return 200, {"content": text}


    def check_schema(self, body: dict, text: str) -> None:
        """The answer key's answer, less the side fields the decoding schema leaves out, must fit the schema sent:
        the schema asks for what the pipeline accepts."""
        fmt = body.get("response_format")
        if not fmt or fmt["type"] != "json_schema":
            return
        import jsonschema

        data = {k: v for k, v in json.loads(text.strip("`").removeprefix("json")).items() if k not in RESPONSE_SKIP}
        try:
            jsonschema.validate(data, fmt["json_schema"]["schema"])
        except jsonschema.ValidationError as err:
            self.schema_violations.append(f"{fmt['json_schema']['name']}: {err.message}")


@pytest.fixture()
def server():
    stub = Stub()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep pytest output clean
            pass

        def do_POST(self):  # noqa: N802 - http.server's naming
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with stub.lock:
                stub.requests.append(body)
                stub.in_flight += 1
                stub.max_in_flight = max(stub.max_in_flight, stub.in_flight)
            try:
                time.sleep(0.02)
                status, message = stub.answer(body)
            finally:
                with stub.lock:
                    stub.in_flight -= 1
            if status != 200:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"error": {"message": "stub failure", "type": "server_error"}}')
                return
            reply = {"id": "stub", "object": "chat.completion", "created": 0, "model": body["model"],
                     "choices": [{"index": 0, "finish_reason": "stop", "message": {
                         "role": "assistant", "content": message.get("content"), "refusal": message.get("refusal")}}],
                     "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}
            data = json.dumps(reply).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            try:
                self.wfile.write(data)
            except BrokenPipeError:  # the client gave up (the timeout case)
                pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield stub, f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    httpd.shutdown()
    httpd.server_close()


def test_build_through_an_openai_compatible_endpoint(server, tmp_path, capsys):
    stub, url = server
    out = tmp_path / "out"
    argv = ["build", "adaxeval", "--corpus", str(DATA / "corpus.jsonl"), "--out", str(out), "--llm", "openai",
            "--base_url", url, "--model", "gen", "--judge_models", "judge-a,judge-b", "--concurrency", "4",
            "--timeout", "1", "--max_docs", "8", "--seed", "3", "--no_progress", "--name", "stubbed"]
    assert xlfact(argv) == 0
    report = json.loads((out / "build_report.json").read_text())
    steps = report["steps"]
    assert steps["1_fact_detection"]["in"] == 16
    assert steps["1_fact_detection"]["calls"]["failed:timeout"] == 1
    assert steps["1_fact_detection"]["dropped_by_reason"] == {"not_enough_votes": 9}  # 8 fillers + Germany (en)
    assert steps["3_query_crafting"]["dropped_by_reason"] == {"refusal": 1}
    assert steps["3_query_crafting"]["versions_dropped_by_reason"] == {"translation:error": 1}
    for step in steps.values():  # units kept or dropped; language versions counted apart
        assert step["in"] == step["kept"] + step["dropped"]
    assert steps["4_quality_filtering"]["kept"] == 6  # 8 facts, less Germany (en, a judge timed out), Spain (en)
    assert report["items"] == (6 * 2 - 1) * 2  # 6 facts x 2 languages, minus Italy's failed translation; 2 splits
    first = len(stub.requests)
    models = {r["model"] for r in stub.requests}
    assert models == {"gen", "judge-a", "judge-b"}
    assert all(r["seed"] == 3 + (r["model"] == "judge-b") for r in stub.requests if r["model"].startswith("judge"))
    assert stub.max_in_flight > 1, "requests were sent one at a time"
    step_model = {prompts.FACT_CHECK[:15]: "FactJudgement", prompts.CRAFT[:15]: "QueryDraft",
                  prompts.TRANSLATE[:15]: "Translation", prompts.INLANG[:15]: "InLanguageCheck",
                  prompts.CROSSLANG[:15]: "CrossLanguageCheck"}
    for r in stub.requests:  # schema-bound decoding asked on every call, with the schema of the step's answer
        fmt = r["response_format"]
        assert fmt["type"] == "json_schema" and fmt["json_schema"]["strict"] is True
        assert fmt["json_schema"]["name"] == step_model[r["messages"][0]["content"][:15]]
    assert not stub.schema_violations
    assert (out / "task" / "_stubbed.yaml").is_file()
    assert "1_fact_detection" in capsys.readouterr().out

    stub.requests.clear()
    assert xlfact(argv) == 0  # resumes from the cache: only the failed calls are sent again
    sent = {(r["model"], r["messages"][0]["content"][:15]) for r in stub.requests}
    assert sent == {("judge-a", prompts.FACT_CHECK[:15]), ("gen", prompts.CRAFT[:15]), ("gen", prompts.TRANSLATE[:15])}
    assert len(stub.requests) <= 5 < first  # the client retries a timeout and a 500 once (max_retries=1)
    again = json.loads((out / "build_report.json").read_text())
    assert again["steps"] == report["steps"] and again["cache"]["misses"] == 0


@pytest.mark.parametrize("mode", ["json_object", "none"])
def test_structured_output_flag(server, tmp_path, mode):
    """``--structured_output json_object`` asks only for a JSON object; ``none`` sends no response_format."""
    pytest.importorskip("jsonschema")
    stub, url = server
    argv = ["build", "adaxeval", "--corpus", str(DATA / "corpus.jsonl"), "--out", str(tmp_path / "out"), "--llm",
            "openai", "--base_url", url, "--model", "gen", "--judges", "1", "--max_docs", "2", "--no_progress",
            "--structured_output", mode]
    assert xlfact(argv) == 0
    assert stub.requests
    for r in stub.requests:
        assert r.get("response_format") == ({"type": "json_object"} if mode == "json_object" else None)


def test_response_schema_bounds_what_the_pipeline_rejects():
    """The decoding schema itself refuses a cloze without [BLANK], a question with one, two distractors, an extra
    property, a missing one, a score of 3; side fields are left out."""
    jsonschema = pytest.importorskip("jsonschema")
    from xlfact.builders.adaxeval.schema import response_schema

    draft = {"triple": {"subject": "France", "relation": "has capital", "object": "Paris"},
             "fill_in_blank": "The capital of France is [BLANK].", "question": "Which city is France's capital?",
             "answer": "Paris", "distractors": ["Berlin", "Madrid", "Rome"]}
    schema = response_schema(ANSWER_MODELS["QueryDraft"])
    jsonschema.validate(draft, schema)
    jsonschema.validate({**draft, "triple": None}, schema)
    for bad in ({**draft, "fill_in_blank": "The capital of France is Paris."},
                {**draft, "fill_in_blank": "[BLANK] is the capital of [BLANK]."},
                {**draft, "question": "The capital of France is [BLANK]?"},
                {**draft, "distractors": ["Berlin", "Madrid"]}, {**draft, "extra": 1},
                {k: v for k, v in draft.items() if k != "answer"}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, schema)
    cross = response_schema(ANSWER_MODELS["CrossLanguageCheck"])
    assert set(cross["properties"]) == {"score"}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"score": 3}, cross)
    assert "reason" not in response_schema(ANSWER_MODELS["FactJudgement"])["properties"]


def test_response_bounds_follow_the_input():
    """A looping small model fills every bound, and a Japanese character costs it 2-3 tokens: the bounds follow the
    sentence (or the source query of a translation), never above xgrammar's 127-character repeat."""
    from xlfact.builders.adaxeval.schema import response_fields

    short = response_fields({"sentence": "フランスの首都はパリである。"})
    assert short["answer"]["maxLength"] == 14 and "{0,14}" in short["fill_in_blank"]["pattern"]
    assert "{1,48}" in short["question"]["pattern"]
    long = response_fields({"sentence": "x" * 500})
    assert long["answer"]["maxLength"] == 100 and "{0,127}" in long["fill_in_blank"]["pattern"]
    translated = response_fields({"fill_in_blank": "スペインの首都は[BLANK]である。", "question": "スペインの首都は？",
                                  "answer": "マドリード", "distractors": ["ローマ", "リスボン", "パリ"]})
    assert translated["distractors"]["items"]["maxLength"] == int(2.5 * 4) + 10  # the longest source distractor
    assert "{0,48}" in translated["fill_in_blank"]["pattern"]  # twice the 19 characters of the source cloze, +10

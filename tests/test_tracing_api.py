"""``xlfact frequency --api``: the infini-gram API client against a local stand-in server.

The stand-in (``http.server`` on 127.0.0.1, a free port, in a thread) speaks the public API's documented JSON
(https://infini-gram.io/api_doc): a POSTed ``{"index", "query_type": "count", "query", "max_diff_tokens",
"max_clause_freq"}`` is answered ``{"count", "approx", "latency"}``, a CNF query ``"A AND B"`` (each clause may be
``"X OR Y"``) counting the stand-in's documents that contain every clause; a bad request is answered
``{"error": message}``. On top it can be told to fail: a script of answers served first (HTTP 500/503, 429 with
``Retry-After``), or HTTP 500 for every request after N good ones (an outage part way through a run).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from xlfact.analysis.tracing.counting import ApiCounter, ApiError, klar_trace_facts
from xlfact.analysis.tracing.frequencies import read_frequencies
from xlfact.cli import main as xlfact

INDEXES = {"v4_dolma-v1_7_llama", "v4_rpj_llama_s4", "v4_piletrain_llama", "v4_c4train_llama", "v4_pileval_llama"}
DOCS = [
    "Paris is the capital of France. France borders Germany.",
    "Berlin, capital of Germany, lies on the Spree.",
    "Rome and Madrid: two capitals. Italy's capital is Rome.",
    "Tokyo is in Japan. Paris is far from Tokyo.",
    "La capitale de la France est Paris. Berlin est en Allemagne.",
    "Madrid est la capitale de l'Espagne. Rome est en Italie.",
]


def cnf_count(query: str) -> int:
    clauses = [[term.strip() for term in clause.split(" OR ")] for clause in query.split(" AND ")]
    return sum(all(any(term in doc for term in clause) for clause in clauses) for doc in DOCS)


class Stub(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.lock = threading.Lock()
        self.script: list[tuple[int, dict, dict]] = []  # answers served before any real one
        self.fail_after: int | None = None  # HTTP 500 for every request after this many good answers
        self.good: list[dict] = []  # payloads answered with a count
        self.seen = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/"

    def answer(self, payload) -> tuple[int, dict, dict]:
        with self.lock:
            self.seen += 1
            if self.script:
                return self.script.pop(0)
            if self.fail_after is not None and len(self.good) >= self.fail_after:
                return 500, {"error": "Internal server error"}, {}
            if not isinstance(payload, dict):
                return 400, {"error": "Request body must be a JSON object"}, {}
            index = payload.get("index", payload.get("corpus"))
            if index not in INDEXES:
                return 400, {"error": f"Invalid index: {index}"}, {}
            if payload.get("query_type") != "count":
                return 400, {"error": f"Invalid query_type: {payload.get('query_type')}"}, {}
            query = payload.get("query")
            if not isinstance(query, str) or not query.strip():
                return 400, {"error": "Query is empty"}, {}
            if payload.get("max_diff_tokens", 100) > 1000 or payload.get("max_clause_freq", 50000) > 500000:
                return 400, {"error": "max_diff_tokens must be <= 1000 and max_clause_freq <= 500000"}, {}
            self.good.append(payload)
            return 200, {"count": cnf_count(query), "approx": False, "latency": 0.01}, {}


class Handler(BaseHTTPRequestHandler):
    server: Stub

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        try:
            payload = json.loads(body)
        except json.JSONDecodeError:
            payload = None
        status, answer, headers = self.server.answer(payload)
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:  # keep the test output quiet
        pass


@pytest.fixture()
def stub():
    server = Stub()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def counter(stub: Stub, waits: list[float] | None = None, **kwargs) -> ApiCounter:
    return ApiCounter(url=stub.url, sleep=(waits.append if waits is not None else lambda s: None), **kwargs)


PAIRS = [("Paris", "France"), ("Berlin", "Germany"), ("Rome", "Italy"), ("Tokyo", "Japan"), ("Madrid", "Spain"),
         ("Paris", "Tokyo"), ("Berlin", "Allemagne")]


def test_batch_counts_equal_brute_force_and_send_mfts_payload(stub):
    counts = counter(stub, concurrency=4).count_many(PAIRS)
    assert counts == [cnf_count(f"{s} AND {o}") for s, o in PAIRS] == [2, 1, 1, 1, 0, 1, 1]
    assert sorted(p["query"] for p in stub.good) == sorted(f"{s} AND {o}" for s, o in PAIRS)
    assert all(p == {"index": "v4_dolma-v1_7_llama", "query_type": "count", "query": p["query"],
                     "max_diff_tokens": 1000, "max_clause_freq": 50000} for p in stub.good)


def test_5xx_and_429_are_retried_with_backoff_and_retry_after(stub):
    stub.script = [(503, {"error": "Service unavailable"}, {}), (429, {"error": "Too many requests"},
                                                                  {"Retry-After": "7"}),
                   (500, {"error": "Internal server error"}, {})]
    waits: list[float] = []
    assert counter(stub, waits, backoff=0.5).count("Paris", "France") == 2
    assert waits == [0.5, 7.0, 2.0] and stub.seen == 4  # 0.5 * 2**n, except where Retry-After asks for longer


def test_a_server_that_stays_down_is_one_line(stub):
    stub.fail_after = 0
    with pytest.raises(ApiError) as err:
        counter(stub, attempts=3).count("Paris", "France")
    message = str(err.value)
    assert "\n" not in message and stub.seen == 3
    assert message == (f"infini-gram API {stub.url} (index v4_dolma-v1_7_llama): query 'Paris AND France': failed "
                       "3 times, last: HTTP 500: Internal server error")


def test_a_refused_query_is_not_retried(stub):
    with pytest.raises(ApiError, match="HTTP 400: Invalid index: v4_dolma-v9_llama") as err:
        counter(stub, index="v4_dolma-v9_llama").count("Paris", "France")
    assert stub.seen == 1 and "\n" not in str(err.value)


def test_an_answer_without_a_count_is_an_error(stub):
    stub.script = [(200, {"approx": False}, {})]
    with pytest.raises(ApiError, match="no integer 'count'"):
        counter(stub).count("Paris", "France")


def test_cli_outage_exits_2_keeps_progress_and_resumes(stub, tmp_path, klar_fixture_dir, capsys):
    out, clean = tmp_path / "freq.json", tmp_path / "clean.json"
    argv = ["frequency", "--api", "--api_url", stub.url, "--klar-dir", str(klar_fixture_dir), "--languages",
            "en,fr", "--limit", "2", "--api_retries", "2", "--api_backoff", "0", "--api_concurrency", "4",
            "--batch_size", "5"]
    n_facts = 2 * 12 * 2
    stub.fail_after = 7  # batch 1 (5 facts) is answered; batch 2 gets 2 answers, then the server is down
    assert xlfact([*argv, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("xlfact frequency: infini-gram API ")
    assert "failed 2 times, last: HTTP 500: Internal server error" in err
    saved = json.loads(out.read_text())
    assert sum(len(rows) for rel in saved.values() for rows in rel.values()) == 5

    stub.fail_after, stub.good = None, []
    assert xlfact([*argv, "--out", str(out)]) == 0
    assert len(stub.good) == n_facts - 5  # only the facts the first run did not save
    stub.good = []
    assert xlfact([*argv, "--out", str(clean)]) == 0
    assert len(stub.good) == n_facts
    assert json.loads(out.read_text()) == json.loads(clean.read_text())
    facts = klar_trace_facts(klar_fixture_dir, ["en", "fr"])
    resumed = json.loads(out.read_text())
    for lang in ("en", "fr"):
        for rel, rows in facts[lang].items():
            assert [(r["subject"], r["object"], r["frequency"]) for r in resumed[lang][rel]] == [
                (r["subject"], r["object"], cnf_count(f"{r['subject']} AND {r['object']}")) for r in rows[:2]]
    assert set(read_frequencies(out).languages) == {"en", "fr"}

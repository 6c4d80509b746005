"""``xlfact frequency``: fact frequencies for the tracing analyses, counted with infini-gram.

For each fact (subject, object) of each language: the number of **documents** of a corpus that contain both the
subject phrase and the object phrase — what the paper's WIMBD file counts in Dolma. Two engines, both infini-gram:

* a local corpus: infini-gram's own indexer (``python -m infini_gram.indexing``, shipped in the ``infini-gram`` wheel
  with its Rust suffix-array builder) builds a byte-level (UTF-8, ``--token_dtype u8``, no tokenizer, so every script
  works offline) suffix-array index; the engine finds every occurrence of a phrase, maps each to its document, and the
  count is the size of the intersection of the two document sets. Exact (no sampling); case- and byte-sensitive (a
  substring match; WIMBD's Elasticsearch phrase match is case-insensitive and token-aligned — a documented difference).
* the public API (``https://api.infini-gram.io/``, e.g. index ``v4_dolma-v1_7_llama``): MFT's second file's query,
  ``"subject AND object"`` within ``max_diff_tokens`` = 1000, ``max_clause_freq`` = 50,000 — a count of co-occurrences
  (not documents), approximate above the clause limit. Needs network; ``--api_url`` points it elsewhere (the tests run
  it against a local stand-in server that speaks the documented JSON: batching, retries on 5xx/429, resumption).

The output is MFT's format (``{lang: {relation: [{subject, object, index, frequency}]}}``), written atomically after
every batch of facts and resumed: facts already in ``--out`` are not counted again.
"""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

from xlfact.analysis.tracing import TracingInputError
from xlfact.core.atomic import write_json_atomic
from xlfact.core.values import ArgumentParser, arg_count, arg_size

API_URL = "https://api.infini-gram.io/"
API_INDEX = "v4_dolma-v1_7_llama"
U8_EOS, U8_VOCAB = 254, 255  # the u8 engine's vocab_size is a byte; 0xff is the document separator
INDEX_RECORD = "xlfact_provenance.json"  # in the index folder: the corpus it was built from


class Counter(Protocol):
    def count(self, subject: str, obj: str) -> int: ...


# ----------------------------------------------------------------------------------------------- local index
def _stage_corpus(corpus: Path, stage: Path) -> int:
    """Copy the corpus into ``stage`` as infini-gram's input (``*.jsonl`` with a ``text`` field): ``.jsonl`` files as
    they are (validated), ``.txt`` files one document per non-empty line. Returns the number of documents."""
    files = sorted(corpus.rglob("*")) if corpus.is_dir() else [corpus]
    files = [f for f in files if f.is_file() and f.suffix in (".jsonl", ".txt")]
    if not files:
        raise TracingInputError(f"{corpus}: no .jsonl (with a 'text' field) or .txt files")
    stage.mkdir(parents=True, exist_ok=True)
    n = 0
    with open(stage / "corpus.jsonl", "w", encoding="utf-8") as out:
        for f in files:
            for line_no, raw in enumerate(f.read_bytes().split(b"\n"), 1):
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError as err:  # the u8 index reserves 0xff as its document separator
                    raise TracingInputError(f"{f} line {line_no}: not UTF-8 (byte 0x{raw[err.start]:02x} at column "
                                            f"{err.start + 1}); expected UTF-8 text") from None
                if not line.strip():
                    continue
                if f.suffix == ".jsonl":
                    try:
                        text = json.loads(line)["text"]
                    except (json.JSONDecodeError, KeyError, TypeError):
                        raise TracingInputError(f"{f} line {line_no}: expected a JSON object with a 'text' field") \
                            from None
                    if not isinstance(text, str):
                        raise TracingInputError(f"{f} line {line_no}: field 'text' is not a string")
                else:
                    text = line
                if not text.strip():
                    continue
                out.write(json.dumps({"text": text}, ensure_ascii=False) + "\n")
                n += 1
    if n == 0:
        raise TracingInputError(f"{corpus}: no documents (every file is empty or blank); nothing to index")
    return n


def index_identity(corpus: str | Path) -> dict[str, Any]:
    """What an index is built from: the corpus content (a hash of its bytes) and the indexer's settings."""
    from xlfact.core.provenance import content_identity

    return {"corpus": content_identity(corpus), "token_dtype": "u8"}


def build_index(corpus: str | Path, index_dir: str | Path, *, cpus: int = 1, mem_gib: int = 2,
                rebuild: bool = False) -> Path:
    """Index a corpus with infini-gram's indexer (byte level). An existing complete index is reused only when its
    :data:`INDEX_RECORD` says it was built from this corpus (else a UsageError naming what differs, or, with
    ``rebuild``, it is built again)."""
    from xlfact.core import provenance
    from xlfact.core.output_dir import check_not_input, prepare_output_dir
    from xlfact.errors import UsageError

    index_dir = Path(index_dir).resolve()
    check_not_input(index_dir, [corpus], "--index", index_dir)
    identity = index_identity(corpus)
    replace = False
    if (index_dir / "table.0").is_file():
        saved = provenance.read(index_dir / INDEX_RECORD)
        differ = ["corpus (no record of the corpus that built it)"] if saved is None else \
            provenance.differences(saved, identity)
        if not differ:
            return index_dir
        if not rebuild:
            raise UsageError(f"--index {index_dir}: built from another corpus than --corpus {corpus}: "
                             f"{differ[0]} differs; pass --rebuild_index to index --corpus there, or use another "
                             "--index folder")
        replace = True
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    # infini-gram's indexer runs its Rust steps through a shell with the --save_dir path unquoted: a path with a space
    # (or any shell character) breaks it. It is given plain symlinks in a fresh temporary folder instead. The staged
    # copy of the corpus goes to a hidden temporary folder beside --index (the index's disk, not a small /tmp), and
    # both are removed when indexing ends, whatever happens.
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="xlfact_index_") as plain, \
            tempfile.TemporaryDirectory(prefix=f".{index_dir.name}.staging.", dir=index_dir.parent) as stage:
        if any(c.isspace() for c in plain):
            raise UsageError(f"temporary folder {plain}: has a space, which infini-gram's indexer cannot use; set "
                             "TMPDIR to a path without spaces")
        _stage_corpus(Path(corpus), Path(stage))  # every line checked before the old index is touched
        (Path(plain) / "data").symlink_to(Path(stage).resolve(), target_is_directory=True)
        if replace:
            shutil.rmtree(index_dir)
        prepare_output_dir(index_dir, command="frequency", inputs=[corpus], flag="--index")  # never a user's folder
        (Path(plain) / "index").symlink_to(index_dir, target_is_directory=True)
        cmd = [sys.executable, "-m", "infini_gram.indexing", "--data_dir", f"{plain}/data", "--save_dir",
               f"{plain}/index", "--token_dtype", "u8", "--mem", str(mem_gib), "--cpus", str(cpus),
               "--ulimit", str(hard if hard != resource.RLIM_INFINITY else 1048576)]
        done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0 or not (index_dir / "table.0").is_file():
        last = [line for line in (done.stderr + done.stdout).splitlines() if line.strip()][-1:] or ["no output"]
        raise RuntimeError(f"infini-gram indexing of {corpus} failed (exit {done.returncode}): {last[0][:300]}")
    provenance.record(index_dir / INDEX_RECORD, identity)
    return index_dir


class LocalCounter:
    """Documents containing both phrases, from a byte-level infini-gram index."""

    def __init__(self, index_dir: str | Path) -> None:
        from infini_gram.engine import InfiniGramEngine

        self.engine = InfiniGramEngine(index_dir=str(index_dir), eos_token_id=U8_EOS, vocab_size=U8_VOCAB,
                                       token_dtype="u8")
        self._docs: dict[str, frozenset[int]] = {}

    def documents(self, phrase: str) -> frozenset[int]:
        """Ids of the documents in which ``phrase`` occurs (every suffix-array hit mapped to its document)."""
        if phrase not in self._docs:
            found = self.engine.find(input_ids=list(phrase.encode("utf-8")))
            # one call per hit: the wheel's batched get_docs_by_ranks calls a method its engine does not have (2.6.0)
            self._docs[phrase] = frozenset(
                int(self.engine.get_doc_by_rank(s=s, rank=rank, max_disp_len=1)["doc_ix"])
                for s, (lo, hi) in enumerate(found["segment_by_shard"]) for rank in range(lo, hi))
        return self._docs[phrase]

    def count(self, subject: str, obj: str) -> int:
        return len(self.documents(subject) & self.documents(obj))


# ----------------------------------------------------------------------------------------------- public API
class ApiError(TracingInputError):
    """The infini-gram API refused a query, or stayed unreachable through every retry (one line; exit 2)."""


def _retry_after(value: str | None) -> float | None:
    """Seconds from an HTTP ``Retry-After`` header (the seconds form; an HTTP date is ignored)."""
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


class ApiCounter:
    """MFT's infini-gram API query (INF:45-78): ``{"index", "query_type": "count", "query": "S AND O",
    "max_diff_tokens", "max_clause_freq"}`` POSTed as JSON to the endpoint, answered by ``{"count", "approx",
    "latency", ...}`` or ``{"error": message}`` (https://infini-gram.io/api_doc).

    Which failures are retried: a connection error or timeout, HTTP 5xx and HTTP 429 (rate limited; its
    ``Retry-After`` is honoured), with exponential backoff ``backoff * 2**attempt`` capped at ``max_wait`` seconds,
    ``attempts`` tries in all (MFT: 10). Any other answer carrying ``error`` (an unknown index, a malformed query)
    fails at once: the same query would fail again. :meth:`count_many` sends a batch of queries ``concurrency`` at a
    time (the API allows concurrent requests since 2024-04-15)."""

    def __init__(self, index: str = API_INDEX, url: str = API_URL, max_diff_tokens: int = 1000,
                 max_clause_freq: int = 50000, attempts: int = 10, backoff: float = 1.0, max_wait: float = 60.0,
                 concurrency: int = 4, timeout: float = 60.0, sleep=time.sleep) -> None:
        if attempts < 1 or concurrency < 1 or not backoff >= 0:
            raise ApiError(f"infini-gram API: attempts ({attempts}) and concurrency ({concurrency}) must be >= 1, "
                           f"backoff ({backoff}) >= 0")
        self.index, self.url, self.attempts = index, url, attempts
        self.max_diff_tokens, self.max_clause_freq = max_diff_tokens, max_clause_freq
        self.backoff, self.max_wait, self.concurrency, self.timeout = backoff, max_wait, concurrency, timeout
        self.sleep = sleep
        self._session = None

    def payload(self, subject: str, obj: str) -> dict[str, Any]:
        return {"index": self.index, "query_type": "count", "query": f"{subject} AND {obj}",
                "max_diff_tokens": self.max_diff_tokens, "max_clause_freq": self.max_clause_freq}

    def _where(self, subject: str, obj: str) -> str:
        return f"infini-gram API {self.url} (index {self.index}): query {subject + ' AND ' + obj!r}"

    def count(self, subject: str, obj: str) -> int:
        import requests

        if self._session is None:
            self._session = requests.Session()
        last = "no answer"
        for attempt in range(self.attempts):
            wait = min(self.max_wait, self.backoff * 2 ** attempt)
            try:
                response = self._session.post(self.url, json=self.payload(subject, obj), timeout=self.timeout)
            except requests.RequestException as err:
                last = f"{type(err).__name__}: {one_line(err)}"
            else:
                try:
                    result = response.json()
                except ValueError:
                    result = {"error": f"not JSON: {response.text[:80]!r}"}
                if not isinstance(result, dict):
                    result = {"error": f"not a JSON object: {str(result)[:80]}"}
                status = response.status_code
                if status == 429 or status >= 500:
                    last = f"HTTP {status}: {one_line(result.get('error', result))}"
                    if status == 429:
                        wait = max(wait, _retry_after(response.headers.get("Retry-After")) or 0.0)
                elif "error" in result or status >= 400:
                    raise ApiError(f"{self._where(subject, obj)}: HTTP {status}: "
                                   f"{one_line(result.get('error', result))}")
                elif isinstance(result.get("count"), int) and not isinstance(result["count"], bool):
                    return int(result["count"])
                else:
                    raise ApiError(f"{self._where(subject, obj)}: answer has no integer 'count': "
                                   f"{one_line(json.dumps(result)[:200])}")
            if attempt + 1 < self.attempts:
                self.sleep(wait)
        raise ApiError(f"{self._where(subject, obj)}: failed {self.attempts} times, last: {last}")

    def count_many(self, pairs: list[tuple[str, str]]) -> list[int]:
        """Counts of a batch of (subject, object) pairs, in order, ``concurrency`` requests at a time."""
        from concurrent.futures import ThreadPoolExecutor

        if self.concurrency == 1 or len(pairs) < 2:
            return [self.count(s, o) for s, o in pairs]
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            return list(pool.map(lambda pair: self.count(*pair), pairs))


def one_line(value: Any) -> str:
    return " ".join(str(value).split())


# ----------------------------------------------------------------------------------------------- facts
def klar_trace_facts(klar_dir: str | Path, languages: Iterable[str]) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """The klar_trace facts (12 relations, file order) of each language, without frequencies."""
    from xlfact.tasks.klar.data import read_relation_file
    from xlfact.tasks.klar_trace.data import RELATIONS

    out: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for lang in languages:
        out[lang] = {rel: [{"subject": s["subject"], "object": s["object"], "index": int(s["index"])}
                           for s in read_relation_file(Path(klar_dir), lang, rel).samples] for rel in RELATIONS}
    return out


def resume_record(out: Path) -> Path:
    """The record beside a frequency file of where its counts came from (the file itself keeps MFT's format)."""
    return out.with_name(out.name + ".provenance.json")


def _counted_table(wanted: dict[str, list[dict[str, Any]]], counted: dict[tuple[str, int], int]) -> dict:
    """One language's facts that have a count so far, in file order."""
    return {rel: [{**f, "frequency": counted[(rel, i)]} for i, f in enumerate(rows) if (rel, i) in counted]
            for rel, rows in wanted.items()}


def count_frequencies(facts: dict[str, dict[str, list[dict[str, Any]]]], counter: Counter, out: Path,
                      limit: int | None = None, *, source: dict[str, Any] | None = None,
                      overwrite: bool = False, batch_size: int = 64) -> dict:
    """Count every fact, language by language, resuming from ``out``; returns the frequency file's content.

    With ``source`` (what the counts come from: the corpus identity, or the API index), counts in ``out`` are reused
    only when its record says they come from the same source; otherwise a UsageError says what differs (``overwrite``
    counts everything again). ``out`` is rewritten (atomically) after every ``batch_size`` facts, so an interrupted
    run (a network outage, a killed job) loses at most one batch; a re-run counts only the facts missing from it (a
    fact counts as done when ``out`` has its index with the same subject and object). A counter with ``count_many``
    gets whole batches."""
    from xlfact.core import provenance
    from xlfact.errors import UsageError

    done: dict[str, dict[str, list[dict[str, Any]]]] = {}
    if out.is_file() and not overwrite:
        if source is not None:
            saved = provenance.read(resume_record(out))
            differ = ["source (no record of what counted them)"] if saved is None else \
                provenance.differences(saved, source)
            if differ:
                raise UsageError(f"--output_path {out}: holds counts from other inputs ({differ[0]} differs); pass "
                                 "--overwrite to count again, or write another file")
        try:
            done = json.loads(out.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise UsageError(f"--output_path {out}: not a frequency file to resume ({type(err).__name__}); pass "
                             "--overwrite to count again") from None
        if not isinstance(done, dict):
            raise UsageError(f"--output_path {out}: not a frequency file {{lang: {{relation: [facts]}}}} to resume; "
                             "pass --overwrite to count again")
    if source is not None:
        provenance.record(resume_record(out), source)
    count_many = getattr(counter, "count_many", None) or (lambda pairs: [counter.count(s, o) for s, o in pairs])
    result: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for lang, relations in facts.items():
        known = {(int(f["index"]), f.get("subject"), f.get("object")): f["frequency"]
                 for rel in done.get(lang, {}).values() for f in rel if "frequency" in f}
        wanted = {rel: (rows[:limit] if limit is not None else rows) for rel, rows in relations.items()}
        counted: dict[tuple[str, int], int] = {}
        todo: list[tuple[str, int, dict[str, Any]]] = []
        for rel, rows in wanted.items():
            for i, f in enumerate(rows):
                key = (int(f["index"]), f["subject"], f["object"])
                if key in known:
                    counted[(rel, i)] = int(known[key])
                else:
                    todo.append((rel, i, f))
        for start in range(0, len(todo), batch_size):
            batch = todo[start:start + batch_size]
            for (rel, i, _), n in zip(batch, count_many([(f["subject"], f["object"]) for _, _, f in batch])):
                counted[(rel, i)] = int(n)
            write_json_atomic(out, {**done, **result, lang: _counted_table(wanted, counted)})
        result[lang] = _counted_table(wanted, counted)
        write_json_atomic(out, {**done, **result})
    return result


def main(argv: list[str] | None = None) -> int:
    parser = ArgumentParser(
        prog="xlfact frequency",
        description="Count, for every klar_trace fact, the documents of a corpus containing both its subject and its "
        "object (infini-gram), and write MFT's frequency file {lang: {relation: [{subject, object, index, "
        "frequency}]}} for 'xlfact trace frequency'. Resumes: facts already in --out are kept.",
    )
    parser.add_argument("--corpus", help="a .jsonl file/folder ({'text': ...} per line) or .txt (one document per "
                        "line) to index locally")
    parser.add_argument("--index", help="infini-gram index folder (built from --corpus if absent)")
    parser.add_argument("--api", action="store_true", help=f"use the public infini-gram API ({API_URL}; network)")
    parser.add_argument("--api_index", "--api-index", dest="api_index", default=API_INDEX,
                        help=f"API index (default {API_INDEX}, Dolma v1.7; see https://infini-gram.io/api_doc)")
    parser.add_argument("--api_url", default=API_URL, help=f"API endpoint (default {API_URL})")
    parser.add_argument("--api_retries", type=arg_size, default=10,
                        help="tries per query on a connection error, HTTP 5xx or 429 (default 10, as MFT)")
    parser.add_argument("--api_backoff", type=float, default=1.0,
                        help="seconds before the first retry, doubled each time (at most 60; 429's Retry-After wins)")
    parser.add_argument("--api_concurrency", type=arg_size, default=4, help="concurrent API requests (default 4)")
    parser.add_argument("--batch_size", type=arg_size, default=64,
                        help="facts counted between two saves of --out (what an interrupted run can lose)")
    parser.add_argument("--klar_dir", "--klar-dir", required=True, help="KLAR-CLC folder (<lang>/<relation>.json)")
    parser.add_argument("--languages", default="en,fr,es,ar,zh,ru,ja,tr,uk,ca,ko,el")
    parser.add_argument("--limit", type=arg_count, default=None, help="first N facts per relation (quick runs)")
    parser.add_argument("--cpus", type=arg_size, default=1, help="indexer threads (1 is safe for small corpora)")
    parser.add_argument("--output_path", "--out", dest="out", required=True, help="frequency JSON to write")
    parser.add_argument("--rebuild_index", action="store_true",
                        help="--index holds an index of another corpus: build it again from --corpus")
    parser.add_argument("--overwrite", action="store_true",
                        help="count every fact again instead of resuming from --output_path")
    args = parser.parse_args(argv)
    from xlfact.core import provenance
    from xlfact.core.output_dir import check_output_file

    try:
        check_output_file(args.out, inputs=[args.corpus, args.klar_dir, args.index])
        if args.api:
            counter: Counter = ApiCounter(index=args.api_index, url=args.api_url, attempts=args.api_retries,
                                          backoff=args.api_backoff, concurrency=args.api_concurrency)
            source = {"counter": "api", "index": args.api_index, "url": args.api_url}
        else:
            if not args.index:
                parser.error("give --index (and --corpus to build it), or --api")
            if args.corpus:
                build_index(args.corpus, args.index, cpus=args.cpus, rebuild=args.rebuild_index)
            elif not (Path(args.index) / "table.0").is_file():
                parser.error(f"--index {args.index}: no infini-gram index there; give --corpus to build it")
            saved = provenance.read(Path(args.index) / INDEX_RECORD) or {}
            source = {"counter": "local", "corpus": saved.get("corpus", "unknown")}
            counter = LocalCounter(args.index)
        facts = klar_trace_facts(args.klar_dir, [x for x in args.languages.split(",") if x])
        result = count_frequencies(facts, counter, Path(args.out), args.limit, source=source,
                                   overwrite=args.overwrite, batch_size=args.batch_size)
    except (TracingInputError, FileNotFoundError, ValueError, RuntimeError) as err:
        print(f"xlfact frequency: {err}", file=sys.stderr)
        return 2
    n = sum(len(rows) for rel in result.values() for rows in rel.values())
    print(f"counted {n} facts in {len(result)} languages; wrote {args.out}")
    return 0

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
  (not documents), approximate above the clause limit. Needs network; kept as real code, not exercised offline.

The output is MFT's format (``{lang: {relation: [{subject, object, index, frequency}]}}``), written atomically after
every language and resumed: facts already in ``--out`` are not counted again.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

from xlfact.analysis.tracing import TracingInputError
from xlfact.core.atomic import write_json_atomic

API_URL = "https://api.infini-gram.io/"
API_INDEX = "v4_dolma-v1_7_llama"
U8_EOS, U8_VOCAB = 254, 255  # the u8 engine's vocab_size is a byte; 0xff is the document separator


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
            for line_no, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1):
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
                out.write(json.dumps({"text": text}, ensure_ascii=False) + "\n")
                n += 1
    return n


def build_index(corpus: str | Path, index_dir: str | Path, *, cpus: int = 1, mem_gib: int = 2) -> Path:
    """Index a corpus with infini-gram's indexer (byte level). An existing complete index is reused."""
    index_dir = Path(index_dir).resolve()
    if (index_dir / "table.0").is_file():
        return index_dir
    stage = index_dir.with_name(index_dir.name + ".data")
    _stage_corpus(Path(corpus), stage)
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    cmd = [sys.executable, "-m", "infini_gram.indexing", "--data_dir", str(stage.resolve()), "--save_dir",
           str(index_dir), "--token_dtype", "u8", "--mem", str(mem_gib), "--cpus", str(cpus),
           "--ulimit", str(hard if hard != resource.RLIM_INFINITY else 1048576)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0 or not (index_dir / "table.0").is_file():
        raise RuntimeError(f"infini-gram indexing of {corpus} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
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
class ApiCounter:
    """MFT's infini-gram API query (INF:45-78): a CNF count of co-occurrences, 10 attempts, then an error."""

    def __init__(self, index: str = API_INDEX, url: str = API_URL, max_diff_tokens: int = 1000,
                 max_clause_freq: int = 50000, attempts: int = 10) -> None:
        self.index, self.url, self.attempts = index, url, attempts
        self.max_diff_tokens, self.max_clause_freq = max_diff_tokens, max_clause_freq

    def payload(self, subject: str, obj: str) -> dict[str, Any]:
        return {"index": self.index, "query_type": "count", "query": f"{subject} AND {obj}",
                "max_diff_tokens": self.max_diff_tokens, "max_clause_freq": self.max_clause_freq}

    def count(self, subject: str, obj: str) -> int:
        import requests

        last = None
        for attempt in range(self.attempts):
            try:
                response = requests.post(self.url, json=self.payload(subject, obj), timeout=60)
                result = response.json()
                if "error" not in result and "count" in result:
                    return int(result["count"])
                last = result.get("error", result)
            except Exception as err:  # noqa: BLE001 - network errors are retried, as MFT does
                last = err
            time.sleep(1 + 0.5 * attempt)
        raise RuntimeError(f"infini-gram API: {subject!r} AND {obj!r} failed {self.attempts} times: {last}")


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


def count_frequencies(facts: dict[str, dict[str, list[dict[str, Any]]]], counter: Counter, out: Path,
                      limit: int | None = None) -> dict:
    """Count every fact, language by language, resuming from ``out``; returns the frequency file's content."""
    done: dict[str, dict[str, list[dict[str, Any]]]] = {}
    if out.is_file():
        done = json.loads(out.read_text(encoding="utf-8"))
    result: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for lang, relations in facts.items():
        known = {int(f["index"]): f["frequency"] for rel in done.get(lang, {}).values() for f in rel}
        result[lang] = {}
        for rel, rows in relations.items():
            rows = rows[:limit] if limit else rows
            result[lang][rel] = [{**f, "frequency": int(known[f["index"]]) if f["index"] in known
                                  else counter.count(f["subject"], f["object"])} for f in rows]
        write_json_atomic(out, {**done, **result})
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="xlfact frequency",
        description="Count, for every klar_trace fact, the documents of a corpus containing both its subject and its "
        "object (infini-gram), and write MFT's frequency file {lang: {relation: [{subject, object, index, "
        "frequency}]}} for 'xlfact trace frequency'. Resumes: facts already in --out are kept.",
    )
    parser.add_argument("--corpus", help="a .jsonl file/folder ({'text': ...} per line) or .txt (one document per "
                        "line) to index locally")
    parser.add_argument("--index", help="infini-gram index folder (built from --corpus if absent)")
    parser.add_argument("--api", action="store_true", help=f"use the public infini-gram API ({API_URL}; network)")
    parser.add_argument("--api-index", default=API_INDEX, help=f"API index (default {API_INDEX})")
    parser.add_argument("--klar-dir", required=True, help="KLAR-CLC folder (<lang>/<relation>.json)")
    parser.add_argument("--languages", default="en,fr,es,ar,zh,ru,ja,tr,uk,ca,ko,el")
    parser.add_argument("--limit", type=int, default=None, help="first N facts per relation (quick runs)")
    parser.add_argument("--cpus", type=int, default=1, help="indexer threads (1 is safe for small corpora)")
    parser.add_argument("--output_path", "--out", dest="out", required=True, help="frequency JSON to write")
    args = parser.parse_args(argv)
    try:
        if args.api:
            counter: Counter = ApiCounter(index=args.api_index)
        else:
            if not args.index:
                parser.error("give --index (and --corpus to build it), or --api")
            if args.corpus:
                build_index(args.corpus, args.index, cpus=args.cpus)
            elif not (Path(args.index) / "table.0").is_file():
                parser.error(f"--index {args.index}: no infini-gram index there; give --corpus to build it")
            counter = LocalCounter(args.index)
        facts = klar_trace_facts(args.klar_dir, [x for x in args.languages.split(",") if x])
        result = count_frequencies(facts, counter, Path(args.out), args.limit)
    except (TracingInputError, FileNotFoundError, ValueError, RuntimeError) as err:
        print(f"xlfact frequency: {err}", file=sys.stderr)
        return 2
    n = sum(len(rows) for rel in result.values() for rows in rel.values())
    print(f"counted {n} facts in {len(result)} languages; wrote {args.out}")
    return 0

"""``xlfact build <builder>``: build a benchmark from the user's own data. Builders: ``adaxeval``."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from xlfact.builders.adaxeval.corpus import BuildError, read_corpus
from xlfact.builders.adaxeval.llm import (
    STRUCTURED_OUTPUT,
    CachedClient,
    HFClient,
    LLMClient,
    OpenAIClient,
    ScriptedClient,
)
from xlfact.builders.adaxeval.llm import model_identity as local_model_identity
from xlfact.builders.adaxeval.pipeline import Builder, Settings
from xlfact.builders.adaxeval.scripted import AnswerKey
from xlfact.builders.make_task import load_tokenizer, unscorable_option, write_task_folder
from xlfact.core.atomic import write_json_atomic, write_text_atomic
from xlfact.core.output_dir import prepare_output_dir
from xlfact.core.values import ArgumentParser, arg_count, arg_number, arg_positive_number, arg_size
from xlfact.errors import UsageError


def make_client(args: argparse.Namespace, model: str) -> LLMClient:
    if args.llm == "openai":
        if not args.base_url:
            raise BuildError("--llm openai needs --base_url (e.g. http://127.0.0.1:8000/v1 for `vllm serve`)")
        return OpenAIClient(args.base_url, model, api_key=os.environ.get(args.api_key_env) or None,
                            timeout=args.timeout, concurrency=args.concurrency,
                            structured_output=args.structured_output)
    if args.llm == "answer_key":
        return ScriptedClient(AnswerKey(model), name=f"answer_key:{Path(model).name}")
    return HFClient(model, device=args.device, structured=not args.hf_free_text)


def judge_defaults(llm: str, judges: int | None, judge_models: list[str],
                   temperature: float | None) -> tuple[int, float]:
    """How many judges of the generator vote, at which temperature. Several seeds of one model only differ when
    sampled (0.7); a local model (``--llm hf``) defaults to one greedy judge: its vote is the argmax of the true/false
    log-probabilities, which depends only on the sentence (three greedy judges would cast one vote three times)."""
    count = judges if judges is not None else (1 if llm == "hf" else 3)
    if temperature is None:
        temperature = 0.7 if not judge_models and count > 1 else 0.0
    return count, temperature


CACHE_RECORD = "xlfact_provenance.json"


def check_cache_models(cache: Path, models: dict[str, str]) -> None:
    """The answer cache keys answers by model name; a local model folder (or answer key file) of the same name that
    changed since its answers were cached would reuse stale answers. The cache records each local model's files
    (size and time; content for an answer key) and a changed one is refused, naming it (one line, exit 2)."""
    from xlfact.core import provenance

    saved = provenance.read(cache / CACHE_RECORD) or {}
    recorded = saved.get("models", {}) if isinstance(saved.get("models"), dict) else {}
    for name, identity in models.items():
        if name in recorded and recorded[name] != identity:
            raise UsageError(f"--cache {cache}: holds answers of another {name} (its files changed since: recorded "
                             f"{recorded[name]}, now {identity}); use another --cache, or delete that cache")
    provenance.record(cache / CACHE_RECORD, {"models": {**recorded, **models}})


def model_identity(args: argparse.Namespace, model: str) -> str:
    """What a model name stands for now: an answer key's content, a local model folder as the answer cache keys it
    (:func:`xlfact.builders.adaxeval.llm.model_identity`, the one rule), else the endpoint and name."""
    from xlfact.core.provenance import content_identity

    path = Path(model)
    if args.llm == "answer_key":
        return content_identity(path) if path.exists() else model
    if args.llm == "hf" and path.exists():
        return local_model_identity(model)
    return f"{args.llm}:{args.base_url or ''}:{model}"


def build_adaxeval(docs, out: Path, *, name: str, client: LLMClient, judges: list[LLMClient], settings: Settings,
                   progress: bool = True, tokenizer: Any = None) -> dict[str, Any]:
    """Run the four steps, write items.jsonl, drops.jsonl, build_report.json and the lm-eval task folder ``task/``.
    With ``tokenizer`` (of the model to evaluate), an item with an option that adds no token after its context is
    dropped (counted under ``scoring_check`` and listed in drops.jsonl): lm-eval could not score it per token."""
    builder = Builder(client, judges, settings, progress=progress)
    items = builder.run(docs)
    check = None
    if tokenizer is not None:
        check = {"tokenizer": getattr(tokenizer, "name_or_path", type(tokenizer).__name__), "in": len(items),
                 "dropped": 0}
        scorable = []
        for item in items:
            if problem := unscorable_option(item, tokenizer):
                check["dropped"] += 1
                builder.drops.append({"step": "scoring_check", "unit": item.id, "reason": "no_scored_token",
                                      "detail": problem})
            else:
                scorable.append(item)
        items = scorable
    report = builder.report(items)
    report["scoring_check"] = check
    report["documents"] = len(docs)
    report["languages"] = sorted({d.lang for d in docs})
    clients = {id(x): x for x in [client, *judges]}.values()
    # answers received (misses) and failed calls (failed): the calls sent; answered from disk (hits) or by an identical
    # request of this run (merged); answers not stored because unusable (unstored)
    report["cache"] = {k: sum(getattr(c, k, 0) for c in clients)
                       for k in ("hits", "misses", "failed", "merged", "unstored")}
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out / "items.jsonl", "".join(i.model_dump_json() + "\n" for i in items))
    write_text_atomic(out / "drops.jsonl", "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in builder.drops))
    if items:
        report["task"] = write_task_folder(items, name, out / "task")
    else:
        report["task"] = None
    write_json_atomic(out / "build_report.json", report)
    return report


def format_report(report: dict[str, Any]) -> str:
    lines = ["| step | in | kept | dropped | reasons | language versions dropped | repaired |",
             "|---|---|---|---|---|---|---|"]
    for step, rep in report["steps"].items():
        reasons = ", ".join(f"{k}: {v}" for k, v in rep["dropped_by_reason"].items()) or "-"
        versions = ", ".join(f"{k}: {v}" for k, v in rep.get("versions_dropped_by_reason", {}).items()) or "-"
        repaired = ", ".join(f"{k}: {v}" for k, v in rep.get("repaired", {}).items()) or "-"
        lines.append(f"| {step} | {rep['in']} | {rep['kept']} | {rep['dropped']} | {reasons} | {versions} | "
                     f"{repaired} |")
    lines.append(f"\nitems: {report['items']} ({report['facts']} facts); language versions: "
                 f"{report['language_versions']}; cache: {report.get('cache')}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = ArgumentParser(
        prog="xlfact build",
        description="Build a benchmark from your own corpus. `xlfact build adaxeval --corpus C --out DIR --llm "
        "openai|hf --model M` reads C (JSONL {doc_id, lang, text, pair_id} or DIR/<lang>/<name>.txt) and writes "
        "DIR/items.jsonl (the questions), DIR/drops.jsonl (every dropped unit with step and reason), "
        "DIR/build_report.json (kept/dropped per step), DIR/cache/ (every LLM answer; a re-run resumes from it) and "
        "DIR/task/ (lm-eval task folder: lm_eval --include_path DIR/task --tasks NAME).",
    )
    parser.add_argument("builder", choices=["adaxeval"])
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--name", default="adaxeval", help="task/group name prefix (default adaxeval)")
    parser.add_argument("--llm", choices=["openai", "hf", "answer_key"], required=True,
                        help="openai: any OpenAI-compatible endpoint (--base_url); hf: a local model folder or hub id; "
                        "answer_key: a JSONL answer key given as --model (dry runs without a model)")
    parser.add_argument("--model", required=True, help="generator model (endpoint model name, or HF path)")
    parser.add_argument("--judge_models", default="", help="comma-separated judge models (default: --model)")
    parser.add_argument("--judges", type=arg_size, default=None, help="judges when --judge_models is not given: "
                        "the generator at seeds seed..seed+N-1 (default 3; 1 greedy judge for --llm hf)")
    parser.add_argument("--judge_temperature", type=arg_number, default=None,
                        help="judge sampling temperature (default 0, or 0.7 for several seeds of one model; a local "
                        "model samples with the seed mixed with the prompt, so each sentence gets its own draw)")
    parser.add_argument("--min_votes", type=arg_size, default=None, help="factual votes needed (default: all judges)")
    parser.add_argument("--min_cross_score", type=int, default=2, choices=[0, 1, 2])
    parser.add_argument("--no_require_cross_check", action="store_true",
                        help="keep facts of documents without a paired other-language version")
    parser.add_argument("--no_translate", action="store_true", help="ask facts only in their source language")
    parser.add_argument("--no_repair_cloze", action="store_true",
                        help="drop a cloze without [BLANK] even when it contains the answer once (mlda-eval's rule; "
                        "default: replace that occurrence by [BLANK], counted as repaired in the report)")
    parser.add_argument("--base_url", default=None)
    parser.add_argument("--api_key_env", default="OPENAI_API_KEY", help="environment variable holding the API key")
    parser.add_argument("--structured_output", choices=STRUCTURED_OUTPUT, default="json_schema",
                        help="--llm openai: json_schema (default) has the server decode against each answer's JSON "
                        "schema (response_format, strict: vLLM, llama.cpp, OpenAI); json_object asks only for a JSON "
                        "object (servers without JSON-schema support); none sends no response_format")
    parser.add_argument("--concurrency", type=arg_size, default=8, help="parallel requests to the endpoint")
    parser.add_argument("--timeout", type=arg_positive_number, default=120.0, help="seconds per endpoint request")
    parser.add_argument("--device", default="cpu", help="device of an --llm hf model")
    parser.add_argument("--hf_free_text", action="store_true",
                        help="--llm hf: free generation instead of schema-guided JSON (see builders/README.md)")
    parser.add_argument("--tokenizer", default=None,
                        help="tokenizer of the model to evaluate (folder or hub name): drop (counted) any item with an "
                        "option that adds no token after its context, which per-token scoring cannot score")
    parser.add_argument("--max_tokens", type=arg_size, default=1024,
                        help="token limit per answer (default 1024; a server's context, e.g. vllm serve "
                        "--max-model-len, must hold the prompt, up to ~800 tokens for step 3, plus this)")
    parser.add_argument("--max_docs", type=arg_count, default=None, help="use only the first N documents")
    parser.add_argument("--cache", default=None, help="LLM answer cache (default OUT/cache)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no_progress", action="store_true")
    parser.add_argument("--overwrite", action="store_true",
                        help="write into --out even when it is a non-empty folder xlfact did not make")
    args = parser.parse_args(argv)
    try:
        prepare_output_dir(args.out, command="build adaxeval", inputs=[args.corpus], overwrite=args.overwrite,
                           flag="--out")
        docs = read_corpus(args.corpus)[: args.max_docs]
        tokenizer = load_tokenizer(args.tokenizer) if args.tokenizer else None  # before any LLM call: fail early
        cache = Path(args.cache or Path(args.out) / "cache")
        names = [m for m in args.judge_models.split(",") if m]
        check_cache_models(cache, {m: model_identity(args, m) for m in [args.model, *names]})
        client = CachedClient(make_client(args, args.model), cache)
        count, temp = judge_defaults(args.llm, args.judges, names, args.judge_temperature)
        judges = [CachedClient(make_client(args, m), cache) for m in names] if names else [client] * count
        settings = Settings(seed=args.seed, min_votes=args.min_votes, judge_temperature=temp,
                            min_cross_score=args.min_cross_score, require_cross_check=not args.no_require_cross_check,
                            translate=not args.no_translate, repair_cloze=not args.no_repair_cloze,
                            max_tokens=args.max_tokens)
        report = build_adaxeval(docs, Path(args.out), name=args.name, client=client, judges=judges,
                                settings=settings, progress=not args.no_progress, tokenizer=tokenizer)
    except (BuildError, UsageError) as err:
        print(f"xlfact build: {err}", file=sys.stderr)
        return 2
    print(format_report(report))
    if not report["items"]:
        print("xlfact build: no item survived the four steps; see build_report.json and drops.jsonl", file=sys.stderr)
        return 1
    print(f"wrote {args.out}/items.jsonl and {args.out}/task (lm_eval --include_path {args.out}/task --tasks "
          f"{args.name})")
    return 0

"""Continued pretraining on parallel text (PolyFact paper, Section 3 / Appendix B), on a stock ``transformers.Trainer``.

Input: a parallel corpus as JSON lines, one document per line::

    {"doc_id": "doc17", "texts": {"en": "...", "de": "...", "ru": "..."}}

Each document becomes a multilingual block: every language of the row once, in a random order (seeded per document),
as ``"{lang}: {text}"`` lines, then EOS. Blocks are packed *within a document* — a document whose block is longer
than ``packing.target_tokens`` (~512) is cut into consecutive chunks of that size, and nothing is packed across
documents — and every chunk is truncated at ``packing.max_tokens`` (1024). Packing is a ``datasets.map`` step; the
training loop is the stock ``Trainer`` with the causal-LM collator.
"""

from __future__ import annotations

import logging
import math
import random
from pathlib import Path
from typing import Any

from xlfact.jsonl import read_jsonl
from xlfact.training import arguments, model_io
from xlfact.training.config import RecipeError, require, section

log = logging.getLogger(__name__)


def read_parallel_corpus(path: str | Path, languages: list[str] | None = None) -> list[dict[str, Any]]:
    """Validated ``{doc_id, texts}`` rows; a bad row raises an error naming the file, line and field."""
    path = Path(path)
    if not path.is_file():
        raise RecipeError(f"parallel corpus {path} not found (data.corpus)")
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for line_no, raw in read_jsonl(path, error=RecipeError, unit="line"):
        where = f"{path} line {line_no}"
        doc_id = raw.get("doc_id")
        if not isinstance(doc_id, str) or not doc_id:
            raise RecipeError(f"{where}: field 'doc_id' is missing or empty; expected a non-empty string")
        where += f" (doc {doc_id})"
        if doc_id in seen:
            raise RecipeError(f"{where}: doc_id repeats an earlier line; expected one line per document")
        texts = raw.get("texts")
        if not isinstance(texts, dict) or not texts:
            raise RecipeError(f"{where}: field 'texts' must be a non-empty object {{lang: text}}")
        for lang, text in texts.items():
            if not isinstance(text, str) or not text.strip():
                raise RecipeError(f"{where}: texts.{lang} is empty or not a string; expected non-empty text")
        if languages:
            texts = {lang: texts[lang] for lang in languages if lang in texts}
            if not texts:
                continue
        seen.add(doc_id)
        rows.append({"doc_id": doc_id, "texts": texts})
    if not rows:
        raise RecipeError(f"{path}: no documents" + (f" in the languages {languages}" if languages else ""))
    return rows


def multilingual_block(doc_id: str, texts: dict[str, str], seed: int) -> str:
    """Every language once, in a random order seeded by (seed, doc_id), as ``"{lang}: {text}"`` lines."""
    langs = sorted(texts)
    random.Random(f"{seed}:{doc_id}").shuffle(langs)
    return "\n".join(f"{lang}: {texts[lang]}" for lang in langs)


def pack_documents(batch: dict[str, list], tokenizer, target_tokens: int, max_tokens: int, seed: int) -> dict:
    """``datasets.map`` (batched) step: documents -> training chunks, packed within a document only."""
    out: dict[str, list] = {"input_ids": [], "doc_id": []}
    for doc_id, texts in zip(batch["doc_id"], batch["texts"]):
        texts = {k: v for k, v in texts.items() if v is not None}  # Arrow fills languages a row lacks with None
        ids = tokenizer(multilingual_block(doc_id, texts, seed), add_special_tokens=False)["input_ids"]
        ids = ids + [tokenizer.eos_token_id]
        for start in range(0, len(ids), target_tokens):
            out["input_ids"].append(ids[start:start + target_tokens][:max_tokens])
            out["doc_id"].append(doc_id)
    return out


def build_dataset(rows: list[dict[str, Any]], tokenizer, packing: dict[str, Any], seed: int):
    import datasets

    target = int(packing.get("target_tokens", 512))
    max_tokens = int(packing.get("max_tokens", 1024))
    if target <= 1 or max_tokens <= 1:
        raise RecipeError(f"packing.target_tokens ({target}) and packing.max_tokens ({max_tokens}) must be > 1")
    raw = datasets.Dataset.from_list(rows)
    return raw.map(pack_documents, batched=True, remove_columns=raw.column_names, desc="packing parallel text",
                   fn_kwargs={"tokenizer": tokenizer, "target_tokens": target, "max_tokens": max_tokens,
                              "seed": seed})


def training_arguments(config: dict[str, Any]):
    """The ``TrainingArguments`` of a CPT recipe (built before anything is loaded)."""
    from transformers import TrainingArguments

    return arguments.build(TrainingArguments, config)


def run(config: dict[str, Any]) -> dict[str, Any]:
    """Continued pretraining on the packed parallel corpus; writes the run folder, returns the final metrics."""
    from transformers import DataCollatorForLanguageModeling, Trainer, set_seed

    seed = int(config.get("seed", 0))
    set_seed(seed)
    args = training_arguments(config)
    data = section(config, "data")
    corpus = require(data, "corpus", f"{config['_source']} data", "a JSONL file of {doc_id, texts: {lang: text}}")
    rows = read_parallel_corpus(corpus, data.get("languages"))
    tokenizer = model_io.load_tokenizer(config["model"])
    dataset = build_dataset(rows, tokenizer, section(config, "packing"), seed)
    model = model_io.apply_lora(model_io.load_model(config["model"]), config.get("lora"))
    trainer = Trainer(model=model, args=args, train_dataset=dataset.remove_columns(["doc_id"]),
                      data_collator=DataCollatorForLanguageModeling(tokenizer, mlm=False))
    before = trainer.evaluate(eval_dataset=dataset.remove_columns(["doc_id"]))["eval_loss"]
    result = trainer.train()
    after = trainer.evaluate(eval_dataset=dataset.remove_columns(["doc_id"]))["eval_loss"]
    losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    metrics = {
        "train_loss": float(result.training_loss), "global_step": int(result.global_step),
        "train_runtime_s": float(result.metrics.get("train_runtime", math.nan)),
        "loss_before": float(before), "loss_after": float(after),
        "first_logged_loss": losses[0] if losses else None, "last_logged_loss": losses[-1] if losses else None,
        "documents": len(rows), "chunks": len(dataset),
    }
    described = {"corpus": str(corpus), "documents": len(rows), "chunks": len(dataset),
                 "languages": data.get("languages") or "all in the corpus"}
    if trainer.is_world_process_zero():
        model_io.save_run(trainer.model, tokenizer, config, described, metrics)
    return metrics

"""Continued-pretraining corpora: sources, their formats, packing into chunks, the validation split, the data mix.

A CPT recipe names one or more **sources** (``data.sources``; ``data.corpus: FILE`` is shorthand for one source of
weight 1). A source is a file in one of three shapes, told apart per row:

* plain text (``.txt``): documents separated by blank lines, all in the source's ``lang``;
* monolingual JSON lines ``{"doc_id": str, "lang": str, "text": str}`` (``lang`` may come from the source instead;
  ``doc_id`` defaults to the row) — a bilingual domain corpus is such a file with rows in two languages;
* parallel JSON lines ``{"doc_id": str, "texts": {lang: text}}`` — one aligned row (e.g. a TED sentence and its
  translations); consecutive rows with the same ``doc_id`` are one document (a talk). A ``doc_id`` that comes back
  after another document is refused: the one rule AdaXEval's corpus reader follows too (``core/documents.py``).

Packing (the PolyFact paper's CPT, App. B Tables 2-3, as the authors' ``pretokenize_ted_structured.py`` does it): a
parallel row becomes one segment, its languages once each in a seeded random order as ``"{lang}: {text}"`` lines,
then EOS; rows with fewer than ``min_languages`` (2) languages are dropped. Adjacent segments of the same document
are packed greedily into chunks of at most ``packing.target_tokens`` (~512) tokens without ever splitting a segment;
a segment that alone reaches ``target_tokens`` is a chunk of its own, truncated at ``packing.max_tokens`` (1024).
Nothing is packed across documents. Deviation: token counts are real tokenizer counts, where the authors estimated
``len(text) // 4``. A monolingual document is its text plus EOS; adjacent documents with the same ``doc_id`` pack like
segments, and a document longer than ``target_tokens`` is cut into consecutive ``target_tokens`` pieces (monolingual
text is not truncated away).

Validation (``data.validation_ratio``, 0.005 in the paper): language-balanced as in the authors' script — each chunk
is put in the bucket of its least-filled non-English language, every bucket with at least two chunks gives the same
number of validation chunks (about ``ratio x chunks / buckets``, never its last chunk), chunks with English only give
their own ``ratio`` share. The split is per source, before the mix.

The mix: a source's ``weight`` is how many times its training chunks appear per epoch — 2 repeats them, 0.5 keeps a
seeded random half, so ``en`` / ``ja`` / ``both`` / ``+ translation pairs`` recipes are lists of sources with weights.
Every source file's SHA-256 goes to the model card.
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xlfact.core.documents import DocumentIds
from xlfact.core.jsonl import read_jsonl
from xlfact.training import schema
from xlfact.training.config import RecipeError

ENGLISH = "en"


@dataclass
class Unit:
    """One row of a source in file order: a monolingual document or a parallel row."""

    doc_id: str
    texts: dict[str, str]  # {lang: text}; one entry for a monolingual document
    parallel: bool


@dataclass
class Source:
    name: str
    path: Path
    weight: float = 1.0
    lang: str | None = None
    units: list[Unit] = field(default_factory=list)
    dropped_rows: int = 0

    def sha256(self) -> str:
        digest = hashlib.sha256()
        with self.path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()


def _text(value: Any, where: str, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise RecipeError(f"{where}: field {name!r} is missing, empty or not a string; expected non-empty text")
    return value.strip()


def read_source(spec: dict[str, Any] | str, languages: list[str] | None = None, min_languages: int = 2,
                where: str = "data.sources") -> Source:
    """Read one source; a bad row raises an error naming the file, line and field."""
    if isinstance(spec, str):
        spec = {"path": spec}
    unknown = sorted(set(spec) - {"path", "weight", "lang", "name"})
    if unknown:
        raise RecipeError(f"{where}: unknown key(s) {unknown}; a source has path, weight, lang, name")
    if not spec.get("path"):
        raise RecipeError(f"{where}: path is required (a .txt or .jsonl file)")
    path = Path(str(spec["path"])).expanduser()
    if not path.is_file():
        raise RecipeError(f"{where}: corpus file {path} not found")
    weight = spec.get("weight", 1.0)
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight <= 0:
        raise RecipeError(f"{where} ({path}): weight {weight!r}; expected a number > 0")
    source = Source(name=str(spec.get("name") or path.stem), path=path, weight=float(weight), lang=spec.get("lang"))
    keep = set(languages) if languages else None
    if path.suffix == ".txt":
        if not source.lang:
            raise RecipeError(f"{where} ({path}): a plain-text source needs lang (e.g. lang: ja)")
        blocks = [b.strip() for b in path.read_text(encoding="utf-8").replace("\r\n", "\n").split("\n\n")]
        for i, block in enumerate(b for b in blocks if b):
            if keep is None or source.lang in keep:
                source.units.append(Unit(f"{source.name}:{i}", {source.lang: block}, parallel=False))
        return _checked(source, languages)
    ids = DocumentIds(RecipeError)
    for line_no, row in read_jsonl(path, error=RecipeError, unit="line"):
        at = f"{path} line {line_no}"
        doc_id = row.get("doc_id", f"{source.name}:{line_no}")
        if not isinstance(doc_id, (str, int)) or doc_id == "":
            raise RecipeError(f"{at}: field 'doc_id' must be a non-empty string")
        doc_id = str(doc_id)
        ids.continues(doc_id, at)
        if "texts" in row:
            texts = row["texts"]
            if not isinstance(texts, dict) or not texts:
                raise RecipeError(f"{at} (doc {doc_id}): field 'texts' must be a non-empty object {{lang: text}}")
            texts = {str(lang): _text(text, f"{at} (doc {doc_id})", f"texts.{lang}") for lang, text in texts.items()}
            if keep is not None:
                texts = {lang: text for lang, text in texts.items() if lang in keep}
            if len(texts) < min_languages:
                source.dropped_rows += 1
                continue
            source.units.append(Unit(doc_id, texts, parallel=True))
        elif "text" in row:
            lang = row.get("lang") or source.lang
            if not isinstance(lang, str) or not lang:
                raise RecipeError(f"{at} (doc {doc_id}): field 'lang' is missing; expected a language code "
                                  "(or lang on the source)")
            text = _text(row["text"], f"{at} (doc {doc_id})", "text")
            if keep is None or lang in keep:
                source.units.append(Unit(doc_id, {lang: text}, parallel=False))
        else:
            raise RecipeError(f"{at}: expected field 'text' (with 'lang') or 'texts' ({{lang: text}})")
    return _checked(source, languages)


def _checked(source: Source, languages: list[str] | None) -> Source:
    if not source.units:
        raise RecipeError(f"{source.path}: no usable rows" + (f" in the languages {languages}" if languages else ""))
    return source


def segment_text(texts: dict[str, str], rng: random.Random) -> str:
    """A parallel row's segment: every language once, in a random order, as ``"{lang}: {text}"`` lines."""
    langs = sorted(texts)
    rng.shuffle(langs)
    return "\n".join(f"{lang}: {texts[lang]}" for lang in langs)


def pack_source(source: Source, tokenizer, target_tokens: int, max_tokens: int, seed: int) -> list[dict[str, Any]]:
    """Chunks ``{input_ids, langs, doc_id, source}`` of one source (see the module docstring for the rule)."""
    if target_tokens <= 1 or max_tokens < target_tokens:
        raise RecipeError(f"packing.target_tokens ({target_tokens}) must be > 1 and packing.max_tokens "
                          f"({max_tokens}) at least as large")
    rng = random.Random(f"{seed}:{source.name}")
    eos = tokenizer.eos_token_id
    chunks: list[dict[str, Any]] = []
    buffer: list[int] = []
    langs: set[str] = set()
    current: str | None = None

    def flush() -> None:
        nonlocal buffer, langs
        if buffer:
            chunks.append({"input_ids": buffer, "langs": sorted(langs), "doc_id": current, "source": source.name})
        buffer, langs = [], set()

    for unit in source.units:
        if unit.doc_id != current:
            flush()
            current = unit.doc_id
        text = segment_text(unit.texts, rng) if unit.parallel else next(iter(unit.texts.values()))
        ids = tokenizer(text, add_special_tokens=False)["input_ids"] + [eos]
        if len(ids) >= target_tokens:
            flush()
            if unit.parallel:  # a row's translations are never split: one chunk, truncated (the paper)
                pieces = [ids[:max_tokens]]
            else:
                pieces = [ids[i:i + target_tokens] for i in range(0, len(ids), target_tokens)]
            for piece in pieces:
                buffer, langs = piece, set(unit.texts)
                flush()
        elif len(buffer) + len(ids) > target_tokens:
            flush()
            buffer, langs = list(ids), set(unit.texts)
        else:
            buffer = buffer + ids
            langs |= set(unit.texts)
    flush()
    return chunks


def balanced_validation_split(chunks: list[dict[str, Any]], ratio: float,
                              seed: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``(train, validation)``: language-balanced validation chunks (see the module docstring)."""
    if ratio <= 0:
        return list(chunks), []
    if ratio >= 1:
        raise RecipeError(f"data.validation_ratio {ratio}: expected a fraction below 1")
    rng = random.Random(seed)
    buckets: dict[str, list[dict[str, Any]]] = {}
    sizes: Counter[str] = Counter()
    english_only: list[dict[str, Any]] = []
    for chunk in chunks:
        others = [lang for lang in chunk["langs"] if lang != ENGLISH]
        if not others:
            english_only.append(chunk)
            continue
        lang = min(others, key=lambda x: (sizes[x], x))
        sizes[lang] += 1
        buckets.setdefault(lang, []).append(chunk)
    eligible = [b for b in buckets.values() if len(b) >= 2]
    per_bucket = 0
    if eligible:
        per_bucket = max(1, int(len(chunks) * ratio) // len(eligible))
        per_bucket = min(per_bucket, min(len(b) - 1 for b in eligible))
    train, validation = [], []
    for lang in sorted(buckets):
        bucket = buckets[lang]
        rng.shuffle(bucket)
        n = per_bucket if len(bucket) >= 2 else 0
        validation += bucket[:n]
        train += bucket[n:]
    rng.shuffle(english_only)
    n = min(max(1, int(len(english_only) * ratio)), len(english_only) - 1) if len(english_only) >= 2 else 0
    validation += english_only[:n]
    train += english_only[n:]
    return train, validation


def apply_weight(chunks: list[dict[str, Any]], weight: float, seed: int) -> list[dict[str, Any]]:
    """``weight`` copies of ``chunks``: the whole list ``int(weight)`` times plus a seeded random fraction."""
    whole = int(weight)
    rest = round((weight - whole) * len(chunks))
    picked = random.Random(seed).sample(range(len(chunks)), rest) if rest else []
    return chunks * whole + [chunks[i] for i in sorted(picked)]


@dataclass
class Mix:
    """The training and validation chunks of a recipe's sources, and what went into them (for the model card)."""

    train: list[dict[str, Any]]
    validation: list[dict[str, Any]]
    sources: list[dict[str, Any]]

    def describe(self) -> dict[str, Any]:
        languages = Counter(lang for chunk in self.train for lang in chunk["langs"])
        return {"sources": self.sources, "train_chunks": len(self.train), "validation_chunks": len(self.validation),
                "train_tokens": sum(len(c["input_ids"]) for c in self.train),
                "train_chunks_per_language": dict(sorted(languages.items()))}


def source_specs(data: dict[str, Any], where: str) -> list[dict[str, Any]]:
    """``data.sources`` (a list), or ``data.corpus`` as one source of weight 1; exactly one of them."""
    sources, corpus = data.get("sources"), data.get("corpus")
    if sources and corpus:
        raise RecipeError(f"{where}: set data.sources or data.corpus, not both")
    if corpus:
        return [{"path": corpus}]
    if not sources:
        raise RecipeError(f"{where}: data.sources (a list of {{path, weight, lang}}) or data.corpus is required")
    if not isinstance(sources, list):
        raise RecipeError(f"{where}: data.sources must be a list of {{path, weight, lang, name}}")
    return [s if isinstance(s, dict) else {"path": s} for s in sources]


def build_mix(data: dict[str, Any], packing: dict[str, Any], tokenizer, seed: int, where: str = "data") -> Mix:
    """Read, pack, split and weight every source of a CPT recipe."""
    specs = source_specs(data, where)
    try:  # the schema's defaults and checks (callers may pass a section that did not come through a recipe)
        data_cfg = schema.typed(schema.CorpusData, {**data, "corpus": None, "sources": specs}, where)
        pack = schema.typed(schema.PackingSection, packing, "packing")
    except schema.SchemaError as err:
        raise RecipeError(str(err)) from None
    languages, min_languages, ratio = data_cfg.languages, data_cfg.min_languages, data_cfg.validation_ratio
    target, max_tokens = pack.target_tokens, pack.max_tokens
    train: list[dict[str, Any]] = []
    validation: list[dict[str, Any]] = []
    described = []
    names: set[str] = set()
    for i, spec in enumerate(specs):
        source = read_source(spec, languages, min_languages, f"{where}.sources[{i}]")
        if source.name in names:
            raise RecipeError(f"{where}.sources[{i}]: name {source.name!r} repeats; give each source a name")
        names.add(source.name)
        chunks = pack_source(source, tokenizer, target, max_tokens, seed)
        source_train, source_val = balanced_validation_split(chunks, ratio, seed)
        weighted = apply_weight(source_train, source.weight, seed)
        train += weighted
        validation += source_val
        described.append({"name": source.name, "path": str(source.path), "sha256": source.sha256(),
                          "weight": source.weight, "rows": len(source.units),
                          "rows_dropped_under_min_languages": source.dropped_rows, "chunks": len(chunks),
                          "validation_chunks": len(source_val), "train_chunks_after_weight": len(weighted)})
    random.Random(seed).shuffle(train)
    return Mix(train, validation, described)

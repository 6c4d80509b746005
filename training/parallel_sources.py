"""The PolyFact paper's CPT sources as one parallel corpus in the CPT input shape (App. B Tables 2-3).

    xlfact train build-corpus --out data/parallel.jsonl --ted TED2025/multi_way.jsonl \\
        [--samanantar ai4bharat/samanantar] [--rogendo Rogendo/English-Swahili-Sentence-Pairs] [--max-pairs N]

* **TED2025 multi-way** (a local ``multi_way.jsonl`` of ``{"talk_id", "para_data": {lang: text}}`` rows, as the
  authors read it): one parallel row per line, ``doc_id`` = the talk, languages restricted to the 12 PolyFact ones
  (``zh-cn`` read as ``zh``); talks with fewer than two of them are left out, as in the authors' pre-scan.
* **Samanantar en-bn** (hub ``ai4bharat/samanantar``, config ``bn``, columns ``src``/``tgt``) and **Rogendo en-sw**
  (hub ``Rogendo/English-Swahili-Sentence-Pairs``, columns ``English sentence``/``Swahili Translation``): each pair a
  row ``{"en", "bn"|"sw"}``, all pairs of a source one document (``doc_id`` = the source), so that the packing puts
  consecutive pairs together as the authors' ``collect_parallel_hf_chunks`` does; at most ``--max-pairs`` each
  (the authors: 1,000,000).

Each of the two pair sources is a hub id (read through :func:`xlfact.core.hub.load_hub_dataset` with ``streaming=True``;
``revision`` in :data:`PAIR_SOURCES` pins the default hub ids, ``None``: not pinned) or a local file
(``.jsonl``, ``.csv`` or ``.parquet`` with the same columns) — the route tests and offline users take.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from xlfact.core.hub import load_hub_dataset
from xlfact.core.jsonl import read_jsonl
from xlfact.core.values import ArgumentParser
from xlfact.tasks.polyfact.data import LANGUAGES as POLYFACT_LANGUAGES
from xlfact.training.config import RecipeError

TED_ALIASES = {"zh-cn": "zh"}
PAIR_SOURCES = {
    "samanantar": {"hub": "ai4bharat/samanantar", "config": "bn", "revision": None, "src": "src", "tgt": "tgt",
                   "lang": "bn"},
    "rogendo": {"hub": "Rogendo/English-Swahili-Sentence-Pairs", "config": None, "revision": None,
                "src": "English sentence",
                "tgt": "Swahili Translation", "lang": "sw"},
}


def _nonempty(value) -> bool:
    return isinstance(value, str) and bool(value.strip())


def ted_rows(path: str | os.PathLike, languages=POLYFACT_LANGUAGES, min_languages: int = 2) -> Iterator[dict]:
    """TED2025 multi-way rows as ``{doc_id, texts}``, talks with fewer than ``min_languages`` languages left out.

    A talk whose rows are not consecutive in the file (interleaved with another talk's) gets ``ted:<talk>#2``, ``#3``
    ... for its later runs of rows: one doc_id names one run of consecutive rows (core/documents.py), and CPT packs
    each run on its own, as it did before the rule."""
    path = Path(path)
    if not path.is_file():
        raise RecipeError(f"TED2025 multi-way file {path} not found (--ted)")
    talk_langs: dict[str, set[str]] = defaultdict(set)
    for _, row in read_jsonl(path, error=RecipeError, unit="line"):
        texts = {TED_ALIASES.get(k, k): v for k, v in (row.get("para_data") or {}).items() if _nonempty(v)}
        talk_langs[str(row.get("talk_id"))].update(lang for lang in texts if lang in languages)
    runs: dict[str, int] = defaultdict(int)
    current = None
    for line_no, row in read_jsonl(path, error=RecipeError, unit="line"):
        talk = row.get("talk_id")
        if not talk:
            raise RecipeError(f"{path} line {line_no}: field 'talk_id' is missing")
        if len(talk_langs[str(talk)]) < min_languages:
            continue
        texts = {TED_ALIASES.get(k, k): v.strip() for k, v in (row.get("para_data") or {}).items() if _nonempty(v)}
        texts = {lang: texts[lang] for lang in languages if lang in texts}
        if texts:
            if str(talk) != current:
                current = str(talk)
                runs[current] += 1
            run = runs[current]
            yield {"doc_id": f"ted:{talk}" + (f"#{run}" if run > 1 else ""), "texts": texts}


def pair_rows(name: str, source: str, max_pairs: int | None) -> Iterator[dict]:
    """``{doc_id: name, texts: {en, X}}`` rows of a sentence-pair source (hub id or local file)."""
    spec = PAIR_SOURCES[name]
    path = Path(source)
    if path.is_file():
        import datasets

        kind = {".jsonl": "json", ".json": "json", ".csv": "csv", ".parquet": "parquet"}.get(path.suffix)
        if kind is None:
            raise RecipeError(f"--{name} {path}: expected a .jsonl, .csv or .parquet file")
        stream = datasets.load_dataset(kind, data_files=str(path), split="train", streaming=True)
    elif path.suffix or source.startswith(("/", ".")):
        raise RecipeError(f"--{name}: file {source} not found")
    else:
        stream = load_hub_dataset(source, spec["config"], split="train", streaming=True,
                                  revision=spec["revision"] if source == spec["hub"] else None,
                                  benchmark=f"--{name}",
                                  offline_hint=f"Offline, pass a local .jsonl, .csv or .parquet file with the columns "
                                               f"{spec['src']!r} and {spec['tgt']!r} as --{name} PATH.")
    seen = 0
    for row in stream:
        src, tgt = row.get(spec["src"]), row.get(spec["tgt"])
        if not (_nonempty(src) and _nonempty(tgt)):
            continue
        seen += 1
        if max_pairs is not None and seen > max_pairs:
            break
        yield {"doc_id": name, "texts": {"en": src.strip(), spec["lang"]: tgt.strip()}}


def build(out: str | os.PathLike, ted: str | None, samanantar: str | None, rogendo: str | None,
          max_pairs: int | None = 1_000_000) -> dict[str, int]:
    """Write the corpus (atomically); returns rows written per source."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            sources = [("ted", ted_rows(ted) if ted else iter(())),
                       ("samanantar", pair_rows("samanantar", samanantar, max_pairs) if samanantar else iter(())),
                       ("rogendo", pair_rows("rogendo", rogendo, max_pairs) if rogendo else iter(()))]
            for name, rows in sources:
                counts[name] = 0
                for row in rows:
                    handle.write(json.dumps(row, ensure_ascii=False) + "\n")
                    counts[name] += 1
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = ArgumentParser(prog="xlfact train build-corpus", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", "--output_path", dest="out", required=True, help="the parallel JSONL to write")
    parser.add_argument("--ted", help="TED2025 multi_way.jsonl (local file)")
    parser.add_argument("--samanantar", help="hub id (ai4bharat/samanantar) or local file with src/tgt columns")
    parser.add_argument("--rogendo", help="hub id (Rogendo/English-Swahili-Sentence-Pairs) or local file")
    parser.add_argument("--max_pairs", type=int, default=1_000_000, help="pairs per pair source (authors: 1e6)")
    parser.add_argument("--max-pairs", dest="max_pairs", type=int, help=argparse.SUPPRESS)  # old spelling
    args = parser.parse_args(argv)
    if not (args.ted or args.samanantar or args.rogendo):
        parser.error("give at least one of --ted, --samanantar, --rogendo")
    try:
        counts = build(args.out, args.ted, args.samanantar, args.rogendo, args.max_pairs)
    except RecipeError as err:
        print(f"xlfact train build-corpus: {err}", file=sys.stderr)
        return 2
    print(json.dumps({"output": args.out, "rows": counts}))
    return 0

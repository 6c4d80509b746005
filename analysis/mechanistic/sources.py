"""Inputs of the analyses: logit-lens items (KLAR-CLC, PolyFact or JSONL) and per-language text (files, KLAR, TED2025).

Logit-lens prompts follow the authors' lens notebook, not the KLAR evaluator (spec §1): template **0** of the relation
file with ``<mask…>`` removed by regex and **every '.' deleted**, stripped, ``<subject>`` filled; three demonstrations
``"{input} {object}\\n"`` of the same language and relation, then ``"{input} "`` (trailing space kept). The authors
drew the demonstrations with an unseeded ``random.sample``; here they come from the KLAR loader's per-item generator
(:func:`xlfact.tasks.klar.data.demonstration_rng`), so a run is repeatable.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from xlfact.analysis.mechanistic.common import AnalysisInputError
from xlfact.core.jsonl import read_jsonl, read_utf8

LENS_FIELDS = ("lang", "prompt", "answer", "answer_en")
KLAR_LENS_LANGS = ("es", "fr", "ru", "zh", "ja", "ar")  # the authors' TARGET_LANGS (LIMnb:574)
KLAR_ANALYSIS_LANGS = ("en", *KLAR_LENS_LANGS)  # the 7 KLAR-CLC languages of the paper's analyses
FIGURE3_SPECIMENS = ("zh/official_language#235", "es/place_of_birth#21")  # the paper's Figure 3 facts
DEFAULT_DECOY = "London"  # the authors' decoy for items without a wrong prediction (LIMnb:865-875)
_MASK_RE = re.compile(r"<mask.*?>")


# ----------------------------------------------------------------------------------------------- logit-lens items
def lens_query(template: str, subject: str) -> str:
    """The lens notebook's query: ``<mask…>`` removed, every '.' deleted, stripped, then ``<subject>`` filled."""
    return _MASK_RE.sub("", template).replace(".", "").strip().replace("<subject>", subject)


def read_lens_jsonl(path: str | Path) -> list[dict[str, Any]]:
    """Items ``{lang, prompt, answer, answer_en[, decoy]}``; a missing or empty field names file, row and field."""
    items = []
    for row, raw in read_jsonl(path, error=AnalysisInputError):
        for field in LENS_FIELDS:
            if not isinstance(raw.get(field), str) or not raw[field].strip():
                raise AnalysisInputError(f"{path} row {row}: field {field!r} is missing or empty; expected a string "
                                         f"(items need {', '.join(LENS_FIELDS)}, optionally decoy)")
        if "decoy" in raw and (not isinstance(raw["decoy"], str) or not raw["decoy"].strip()):
            raise AnalysisInputError(f"{path} row {row}: field 'decoy' must be a non-empty string when present")
        items.append({"id": str(raw.get("id", row)), **{k: raw[k] for k in (*LENS_FIELDS, "decoy") if k in raw}})
    if not items:
        raise AnalysisInputError(f"{path}: no items")
    return items


def parse_specimen(spec: str) -> tuple[str, str, int]:
    """``"zh/official_language#235"`` -> ``("zh", "official_language", 235)``."""
    match = re.fullmatch(r"([a-z]{2})/([a-z_]+)#(\d+)", spec.strip())
    if not match:
        raise AnalysisInputError(f"--specimen {spec!r}: expected LANG/RELATION#INDEX, e.g. zh/official_language#235")
    return match[1], match[2], int(match[3])


def klar_lens_items(
    klar_dir: str | Path | None,
    langs: Sequence[str] = KLAR_LENS_LANGS,
    per_relation: int = 1,
    relations: Sequence[str] | None = None,
    specimens: Sequence[str] = FIGURE3_SPECIMENS,
    n_shot: int = 3,
) -> list[dict[str, Any]]:
    """Lens items from KLAR-CLC: the named specimens first, then the first ``per_relation`` samples of each relation
    and language (file order). ``answer_en`` is the sample's ``object_en`` (else the English file's object)."""
    from xlfact.tasks.klar.data import (
        RELATIONS,
        demonstration_positions,
        demonstration_rng,
        read_relation_file,
        resolve_klar_dir,
    )

    root = resolve_klar_dir(klar_dir)
    cache: dict[tuple[str, str], Any] = {}

    def relation_file(lang: str, relation: str):
        if (lang, relation) not in cache:
            cache[lang, relation] = read_relation_file(root, lang, relation)
        return cache[lang, relation]

    def item(lang: str, relation: str, position: int) -> dict[str, Any]:
        rf = relation_file(lang, relation)
        samples = rf.samples
        sample = samples[position]
        queries = [lens_query(rf.templates[0], s["subject"]) for s in samples]
        demos = demonstration_positions(len(samples), position, demonstration_rng(lang, relation, sample["index"]),
                                        n_shot)
        prompt = "".join(f"{queries[j]} {samples[j]['object']}\n" for j in demos) + f"{queries[position]} "
        answer_en = sample.get("object_en")
        if not answer_en:
            english = {s["index"]: s["object"] for s in relation_file("en", relation).samples}
            answer_en = english.get(sample["index"])
        if not answer_en:
            raise AnalysisInputError(f"KLAR-CLC {lang}/{relation}.json index {sample['index']}: no object_en and no "
                                     "English sample with this index")
        return {"id": f"{lang}/{relation}#{sample['index']}", "lang": lang, "relation": relation,
                "index": int(sample["index"]), "prompt": prompt, "answer": sample["object"], "answer_en": answer_en,
                "decoy": DEFAULT_DECOY}

    items: list[dict[str, Any]] = []
    seen: set[str] = set()
    for spec in specimens:
        lang, relation, index = parse_specimen(spec)
        positions = [p for p, s in enumerate(relation_file(lang, relation).samples) if s["index"] == index]
        if not positions:
            raise AnalysisInputError(f"KLAR-CLC {lang}/{relation}.json: no sample with index {index}")
        items.append(item(lang, relation, positions[0]))
        seen.add(items[-1]["id"])
    for lang in langs:
        for relation in relations or RELATIONS:
            for position in range(min(per_relation, len(relation_file(lang, relation).samples))):
                candidate = item(lang, relation, position)
                if candidate["id"] not in seen:
                    items.append(candidate)
                    seen.add(candidate["id"])
    return items


def polyfact_lens_items(data_dir: str | Path | None, langs: Sequence[str], limit: int = 20) -> list[dict[str, Any]]:
    """Lens items from PolyFact: ``"{question} "`` as the prompt, the answer text, and the English row's answer."""
    from xlfact.tasks.polyfact.data import load_polyfact

    english = {r["fact_id"]: r["answer_text"] for r in load_polyfact("en", data_dir=data_dir)}
    items = []
    for lang in langs:
        for row in load_polyfact(lang, data_dir=data_dir)[:limit]:
            if row["fact_id"] in english:
                items.append({"id": f"{lang}/{row['fact_id']}", "lang": lang, "prompt": row["question"].strip() + " ",
                              "answer": row["answer_text"], "answer_en": english[row["fact_id"]],
                              "decoy": DEFAULT_DECOY})
    return items


# ----------------------------------------------------------------------------------------------- text per language
def text_dir_units(text_dir: str | Path, langs: Sequence[str]) -> dict[str, list[str]]:
    """``<text_dir>/<lang>.txt``, one text unit a line (blank lines skipped)."""
    out = {}
    for lang in langs:
        path = Path(text_dir) / f"{lang}.txt"
        if not path.is_file():
            raise AnalysisInputError(f"{path}: missing; --text-dir needs one <lang>.txt per language "
                                     f"({', '.join(langs)})")
        lines = [line.strip() for line in read_utf8(path, error=AnalysisInputError).splitlines() if line.strip()]
        if not lines:
            raise AnalysisInputError(f"{path}: no non-blank lines")
        out[lang] = lines
    return out


def klar_sentences(klar_dir: str | Path | None, langs: Sequence[str]) -> dict[str, list[str]]:
    """Plain sentences per language from KLAR-CLC: each sample's template (rotating through the relation's templates)
    with ``<subject>`` and ``<mask>`` filled by its subject and object; relations in the authors' order."""
    from xlfact.tasks.klar.data import RELATIONS, read_relation_file, resolve_klar_dir

    root = resolve_klar_dir(klar_dir)
    out: dict[str, list[str]] = {}
    for lang in langs:
        sentences = []
        for relation in RELATIONS:
            rf = read_relation_file(root, lang, relation)
            for position, sample in enumerate(rf.samples):
                template = rf.templates[position % len(rf.templates)]
                filled = template.replace("<subject>", sample["subject"])
                sentences.append(_MASK_RE.sub(sample["object"], filled).strip())
        out[lang] = sentences
    return out


def join_chunks(units: Sequence[str], n: int = 5) -> list[str]:
    """Consecutive units joined ``n`` at a time, the remainder dropped (the authors' TED chunking)."""
    return [" ".join(units[i:i + n]) for i in range(0, len(units) - n + 1, n)]


TED_CODES = {"zh": "zh-cn", "pt": "pt-br"}


def ted_units(path: str | Path, langs: Sequence[str], min_chars: int = 20, max_chars: int = 600,
              join_n: int = 5) -> dict[str, list[str]]:
    """TED2025 ``multi_way.jsonl`` as the authors' ``ted_loader`` reads it: per language, records in order, newlines to
    spaces, 20 <= chars <= 600 kept, 5 consecutive sentences joined, the remainder dropped (not aligned across
    languages after filtering)."""
    wanted = {lang: {lang, TED_CODES.get(lang, lang)} for lang in langs}
    sentences: dict[str, list[str]] = {lang: [] for lang in langs}
    for row, record in read_jsonl(path, error=AnalysisInputError):
        para = record.get("para_data")
        if not isinstance(para, dict):
            raise AnalysisInputError(f"{path} row {row}: field 'para_data' missing; expected {{lang: text}}")
        for lang, codes in wanted.items():
            for code in codes:
                text = para.get(code)
                if isinstance(text, str):
                    text = text.replace("\n", " ").strip()
                    if min_chars <= len(text) <= max_chars:
                        sentences[lang].append(text)
                    break
    return {lang: join_chunks(s, join_n) for lang, s in sentences.items()}


def hub_ted_units(repo_id: str, langs: Sequence[str], filename: str = "multi_way.jsonl") -> dict[str, list[str]]:
    """TED2025 from the Hugging Face hub (a dataset repo holding ``multi_way.jsonl``), read as :func:`ted_units`."""
    from huggingface_hub import hf_hub_download

    return ted_units(hf_hub_download(repo_id, filename, repo_type="dataset"), langs)


def text_units(args: Any, langs: Sequence[str]) -> tuple[str, dict[str, list[str]]]:
    """(source description, units per language) from the command's ``--text-dir`` / ``--ted-jsonl`` / ``--hub-dataset``
    / ``--klar-dir`` flags, in that order of preference."""
    if getattr(args, "text_dir", None):
        return f"text-dir {args.text_dir}", text_dir_units(args.text_dir, langs)
    if getattr(args, "ted_jsonl", None):
        return f"TED2025 {args.ted_jsonl}", ted_units(args.ted_jsonl, langs)
    if getattr(args, "hub_dataset", None):
        return f"hub {args.hub_dataset}", hub_ted_units(args.hub_dataset, langs)
    return "KLAR-CLC sentences", klar_sentences(getattr(args, "klar_dir", None), langs)


def dump_items(path: Path, items: list[dict[str, Any]]) -> None:
    from xlfact.core.atomic import write_text_atomic

    write_text_atomic(path, "".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items))

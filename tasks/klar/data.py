"""KLAR-CLC data: find the dataset folder, read and validate every relation file, and build the authors' prompts.

The dataset (Wang et al., ACL 2025; https://github.com/cisnlp/KLAR-CLC, mirrored in
https://github.com/jvonrad/Lost-in-Mistranslation under ``datasets/KLAR-CLC``) has no Hugging Face hub copy: it is a
folder ``<klar_dir>/<lang>/<relation>.json`` with 17 languages x 20 relations, each file
``{"name", "relation_id", "prompt_templates": [...], "samples": [{"subject", "object", "index", ...}]}``. The folder is
found from ``--metadata klar_dir=DIR`` (lm-eval passes it to the ``custom_dataset`` hook), else ``$XLFACT_KLAR_DIR``,
else ``./KLAR-CLC`` (the authors' default); anything else is an error saying where to get the data.

``index`` is parallel across languages (the same fact has the same index in every language) and unique within a
language, so it is the fact id of the cross-lingual metrics.

Prompts are the authors' (``evaluate/evaluate_klar.py`` of Lost-in-Mistranslation): template 1 of the relation file
(modulo the number of templates — four fa/he files have one), ``<subject>`` filled, ``" <mask>"`` then ``"<mask>"``
removed, right-stripped; three demonstrations from other items of the same file, each ``"{input} {object}\\n"``, then
``"{input} "``. One deliberate difference: the authors drew the demonstrations from one global ``random.seed(42)``
stream over their language list, so an item's demonstrations depended on which languages ran before it; here each item
draws from its own generator seeded by (42, language, relation, index), so a language's prompts are the same whatever
languages a run selects.
"""

from __future__ import annotations

import hashlib
import os
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xlfact.core.jsonl import read_json
from xlfact.errors import DataError
from xlfact.evaluators.klar import LANGUAGES

KLAR_DIR_ENV = "XLFACT_KLAR_DIR"
DEFAULT_DIR = "KLAR-CLC"  # the authors' default --klar-root, relative to the working directory
SOURCE_URL = "https://github.com/cisnlp/KLAR-CLC"
MIRROR_URL = "https://github.com/jvonrad/Lost-in-Mistranslation (datasets/KLAR-CLC)"

RELATIONS: tuple[str, ...] = (
    "applies_to_jurisdiction", "capital", "capital_of", "continent", "country_of_citizenship", "developer",
    "field_of_work", "headquarters_location", "instrument", "language_of_work_or_name", "languages_spoken",
    "location_of_formation", "manufacturer", "native_language", "occupation", "official_language", "owned_by",
    "place_of_birth", "place_of_death", "religion",
)  # the authors' ALL_RELATIONS, in their order (documents follow it)

N_SHOT = 3
SEED = 42
TEMPLATE_INDEX = 1
SUBJECT = "<subject>"
MASK = "<mask>"


class KlarDataError(DataError):
    """A KLAR-CLC file or sample that cannot be used; the message names the file, relation, sample and field."""


@dataclass(frozen=True)
class RelationFile:
    """One validated ``<lang>/<relation>.json``."""

    path: Path
    lang: str
    relation: str
    relation_id: str
    templates: tuple[str, ...]
    samples: tuple[dict[str, Any], ...]

    @property
    def template(self) -> str:
        """The template the authors use: index 1, modulo the number of templates."""
        return self.templates[TEMPLATE_INDEX % len(self.templates)]


# ----------------------------------------------------------------------------------------------- locating the data
def resolve_klar_dir(klar_dir: str | os.PathLike | None = None) -> Path:
    """The KLAR-CLC folder: the argument, else ``$XLFACT_KLAR_DIR``, else ``./KLAR-CLC``; a clear error otherwise."""
    chosen = klar_dir or os.environ.get(KLAR_DIR_ENV) or None
    if not chosen:
        if Path(DEFAULT_DIR).is_dir():
            return Path(DEFAULT_DIR).resolve()
        raise FileNotFoundError(
            f"KLAR-CLC: no data directory given and ./{DEFAULT_DIR} does not exist. Get the dataset from "
            f"{SOURCE_URL} (or {MIRROR_URL}) and pass --metadata klar_dir=DIR (lm_eval: --metadata "
            f"'{{\"klar_dir\": \"DIR\"}}') or set {KLAR_DIR_ENV}=DIR; DIR holds one folder per language "
            f"({', '.join(LANGUAGES)}) with one <relation>.json per relation."
        )
    root = Path(chosen).expanduser()
    if not root.is_dir():
        raise FileNotFoundError(
            f"KLAR-CLC: data directory {root} does not exist (from klar_dir / {KLAR_DIR_ENV}); expected "
            f"<dir>/<lang>/<relation>.json as in {SOURCE_URL}"
        )
    return root


def language_dir(root: Path, lang: str) -> Path:
    folder = root / lang
    if not folder.is_dir():
        present = ", ".join(sorted(p.name for p in root.iterdir() if p.is_dir())) or "no folders"
        raise FileNotFoundError(
            f"KLAR-CLC: no folder for language {lang!r} in {root} (found: {present}); expected <dir>/{lang}/"
            f"<relation>.json as in {SOURCE_URL}"
        )
    return folder


# ----------------------------------------------------------------------------------------------- validation
def _where(lang: str, relation: str) -> str:
    return f"KLAR-CLC {lang}/{relation}.json (relation {relation})"


def _non_empty_string(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def validate_relation_file(data: Any, path: Path, lang: str, relation: str) -> RelationFile:
    """Check one parsed relation file and return it; a :class:`KlarDataError` names what is wrong and where."""
    where = _where(lang, relation)
    if not isinstance(data, dict):
        raise KlarDataError(f"{where}: expected a JSON object with prompt_templates and samples, got "
                            f"{type(data).__name__}")
    for key in ("prompt_templates", "samples"):
        if key not in data:
            raise KlarDataError(f"{where}: missing key {key!r}; expected keys name, relation_id, prompt_templates, "
                                f"samples")
    templates = data["prompt_templates"]
    if not isinstance(templates, list) or not templates:
        raise KlarDataError(f"{where}: field 'prompt_templates' must be a non-empty list of strings")
    for i, template in enumerate(templates):
        if not isinstance(template, str) or SUBJECT not in template:
            raise KlarDataError(
                f"{where}: prompt_templates[{i}] = {template!r} has no {SUBJECT} placeholder; expected a string "
                f"with {SUBJECT} (and {MASK} where the answer goes)"
            )
    samples = data["samples"]
    if not isinstance(samples, list) or not samples:
        raise KlarDataError(f"{where}: field 'samples' is empty or not a list; expected at least one sample")
    seen: dict[int, int] = {}
    for row, sample in enumerate(samples):
        if not isinstance(sample, dict):
            raise KlarDataError(f"{where} sample {row}: expected an object with subject, object, index")
        index = sample.get("index")
        label = f"{where} sample {row}" + (f" (index {index})" if index is not None else "")
        if "index" not in sample:
            raise KlarDataError(f"{label}: missing field 'index'; expected the integer fact id shared across languages")
        if isinstance(index, bool) or not isinstance(index, int):
            raise KlarDataError(f"{label}: field 'index' is {index!r}; expected an integer fact id")
        if index in seen:
            raise KlarDataError(f"{label}: field 'index' repeats sample {seen[index]}; expected one sample per fact")
        seen[index] = row
        for field in ("subject", "object"):
            if field not in sample:
                raise KlarDataError(f"{label}: missing field {field!r}; expected a non-empty string")
            if not _non_empty_string(sample[field]):
                raise KlarDataError(f"{label}: field {field!r} is {sample[field]!r}; expected a non-empty string")
    relation_id = data.get("relation_id")
    return RelationFile(
        path=path,
        lang=lang,
        relation=relation,
        relation_id=str(relation_id) if relation_id is not None else "",
        templates=tuple(templates),
        samples=tuple(samples),
    )


def read_relation_file(root: Path, lang: str, relation: str) -> RelationFile:
    """Read and validate ``<root>/<lang>/<relation>.json``."""
    path = language_dir(root, lang) / f"{relation}.json"
    if not path.is_file():
        raise FileNotFoundError(
            f"{_where(lang, relation)}: file {path} is missing; every language folder needs the 20 relation files "
            f"({', '.join(RELATIONS)})"
        )
    data = read_json(path, error=KlarDataError, where=_where(lang, relation), hint="", expect_object=False)
    return validate_relation_file(data, path, lang, relation)


# ----------------------------------------------------------------------------------------------- prompts
def format_template(template: str, subject: str) -> str:
    """The authors' query: ``<subject>`` filled, ``" <mask>"`` then ``"<mask>"`` removed, right-stripped."""
    return template.replace(SUBJECT, subject).replace(" " + MASK, "").replace(MASK, "").rstrip()


def demonstration_rng(lang: str, relation: str, index: int, seed: int = SEED) -> random.Random:
    """The generator of one item's demonstrations, seeded by (seed, language, relation, fact index) alone."""
    key = f"klar-clc|{seed}|{lang}|{relation}|{index}".encode()
    return random.Random(int.from_bytes(hashlib.sha256(key).digest()[:8], "big"))


def demonstration_positions(n_samples: int, position: int, rng: random.Random, n_shot: int = N_SHOT) -> list[int]:
    """``n_shot`` positions of other samples of the file, drawn as the authors do (``random.sample`` of the rest)."""
    pool = [j for j in range(n_samples) if j != position]
    return rng.sample(pool, min(n_shot, len(pool)))


def build_prompt(queries: Sequence[str], objects: Sequence[str], position: int, demonstrations: Sequence[int]) -> str:
    """Demonstrations ``"{query} {object}\\n"``, then ``"{query} "`` of the item (the trailing space is kept)."""
    prompt = "".join(f"{queries[j]} {objects[j]}\n" for j in demonstrations)
    return prompt + f"{queries[position]} "


def relation_documents(relation_file: RelationFile, n_shot: int = N_SHOT) -> list[dict[str, Any]]:
    """The documents of one relation file, in file order, each with its full prompt."""
    samples = relation_file.samples
    queries = [format_template(relation_file.template, s["subject"]) for s in samples]
    objects = [s["object"] for s in samples]
    docs = []
    for position, sample in enumerate(samples):
        rng = demonstration_rng(relation_file.lang, relation_file.relation, sample["index"])
        demos = demonstration_positions(len(samples), position, rng, n_shot)
        docs.append({
            "id": str(sample["index"]),
            "index": int(sample["index"]),
            "lang": relation_file.lang,
            "relation": relation_file.relation,
            "relation_id": relation_file.relation_id,
            "subject": sample["subject"],
            "target": sample["object"],
            "query": queries[position],
            "demonstrations": [int(samples[j]["index"]) for j in demos],
            "prompt": build_prompt(queries, objects, position, demos),
        })
    return docs


def load_documents(
    root: str | os.PathLike, lang: str, relations: Sequence[str] = RELATIONS, n_shot: int = N_SHOT
) -> list[dict[str, Any]]:
    """Every document of one language (relations in the authors' order, samples in file order)."""
    if lang not in LANGUAGES:
        raise ValueError(f"KLAR-CLC: unknown language {lang!r}; expected one of {', '.join(LANGUAGES)}")
    root = Path(root)
    docs: list[dict[str, Any]] = []
    for relation in relations:
        docs.extend(relation_documents(read_relation_file(root, lang, relation), n_shot))
    return docs

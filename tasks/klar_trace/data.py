"""The recall protocol of multilingual fact tracing (Liu et al., EMNLP Findings 2025, arXiv 2505.14824; code
github.com/cisnlp/multilingual-fact-tracing, "MFT") on the KLAR-CLC files: 12 languages x 12 relations, 1,197 facts
per language, parallel by KLAR ``index``.

Prompt (MFT ``factual_recall_vllm_with_details.py``): template **0** of the relation file, ``<mask>`` and everything
after it removed, ``<subject>`` filled, stripped; three demonstrations from the other facts of the same language and
relation, each ``"{input} {object}\\n"``; then the item's input **without** a trailing space. The data files and their
validation are KLAR-CLC's (:mod:`xlfact.tasks.klar.data`).

One deliberate difference: MFT draws every demonstration from one global ``random.seed(12345)`` stream in glob order,
not re-seeded between checkpoints (and vLLM may re-seed it), so its draws cannot be reproduced. Here each item draws
from its own generator seeded by (12345, language, relation, index), as ``klar_*`` does with seed 42: the same prompt
at every checkpoint and whatever languages a run selects.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from xlfact.tasks.klar.data import (
    SUBJECT,
    KlarDataError,
    demonstration_positions,
    demonstration_rng,
    read_relation_file,
)

LANGUAGES: tuple[str, ...] = ("en", "fr", "es", "ar", "zh", "ru", "ja", "tr", "uk", "ca", "ko", "el")  # MFT order
RELATIONS: tuple[str, ...] = (
    "capital_of", "continent", "country_of_citizenship", "headquarters_location", "instrument",
    "language_of_work_or_name", "languages_spoken", "manufacturer", "native_language", "place_of_birth",
    "place_of_death", "religion",
)  # MFT's 12 relations (212 212 60 51 46 108 104 35 130 35 79 125 facts), in its list order
SEED = 12345
N_SHOT = 3
TEMPLATE_INDEX = 0
_MASK_AND_REST = re.compile(r"<mask>.*")


def format_query(template: str, subject: str) -> str:
    """MFT's input: ``re.sub(r"<mask>.*", "", template).replace("<subject>", subject).strip()``."""
    return _MASK_AND_REST.sub("", template).replace(SUBJECT, subject).strip()


def relation_documents(root: Path, lang: str, relation: str) -> list[dict[str, Any]]:
    """The documents of one ``<lang>/<relation>.json``, in file order, each with its full prompt."""
    rf = read_relation_file(root, lang, relation)
    template = rf.templates[TEMPLATE_INDEX]
    queries = [format_query(template, s["subject"]) for s in rf.samples]
    docs = []
    for position, sample in enumerate(rf.samples):
        rng = demonstration_rng(lang, relation, sample["index"], seed=SEED)
        demos = demonstration_positions(len(rf.samples), position, rng, N_SHOT)
        prompt = "".join(f"{queries[j]} {rf.samples[j]['object']}\n" for j in demos) + queries[position]
        docs.append({
            "id": str(sample["index"]), "index": int(sample["index"]), "lang": lang, "relation": relation,
            "subject": sample["subject"], "target": sample["object"], "query": queries[position],
            "demonstrations": [int(rf.samples[j]["index"]) for j in demos], "prompt": prompt,
        })
    return docs


def load_documents(root: str | os.PathLike, lang: str, relations: tuple[str, ...] = RELATIONS) -> list[dict[str, Any]]:
    """Every document of one language, relations in MFT's order, facts in file order."""
    if lang not in LANGUAGES:
        raise KlarDataError(f"klar_trace: unknown language {lang!r}; expected one of {', '.join(LANGUAGES)}")
    docs: list[dict[str, Any]] = []
    for relation in relations:
        docs.extend(relation_documents(Path(root), lang, relation))
    return docs

"""MultiLoKo data: the decrypted ``benchmark_data/`` folder (``--metadata multiloko_dir=DIR``) or the gated hub
dataset ``facebook/multiloko`` with the user's token. The authors ask that the data is never mirrored: nothing of it
is in this repository, and tests use a hand-written fixture in its format.

Layout (the repository's README): ``DIR/<language>/<split>.jsonl`` (the 250 local questions, split ``dev``),
``DIR/<language>/knowledge_fewshot.jsonl`` (five demonstrations), ``DIR/<language>/<split>_translated_{human,
machine}_english.jsonl`` (those questions in English) and ``DIR/english/<split>_translated_{human,machine}_<language>
.jsonl`` (the English questions in that language). A row is ``{text, question, targets: [short answers], target,
id, output_type}``.

A subset is named as eval.py names it: ``<language>``, ``<language>_translated_<human|machine>_english`` or
``english_translated_<human|machine>_<language>``; that name is the record's language.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from xlfact.core.hub import load_hub_dataset
from xlfact.core.jsonl import read_jsonl
from xlfact.errors import DataError, UsageError
from xlfact.evaluators.multiloko import ENGLISH, LANGUAGES, TRANSLATIONS, subset_name

DIR_ENV = "XLFACT_MULTILOKO_DIR"
HUB_DATASET = "facebook/multiloko"
HUB_REVISION: str | None = None
SOURCE_URL = "https://github.com/facebookresearch/multiloko (benchmark_data.tar.xz.enc; gated hub facebook/multiloko)"
FEWSHOT_FILE = "knowledge_fewshot.jsonl"
INSTRUCTION = "Answer the following question as briefly as possible."
VARIANTS = ("local", "to_english", "from_english")  # <lang>, <lang>_en_<tr>, en_<lang>_<tr>


class MultilokoDataError(DataError):
    """A MultiLoKo row that cannot be used; the message names file, row, question and field."""


def subset_files(lang: str, variant: str, translation: str | None, split: str) -> tuple[str, str, str]:
    """(subset name, data file relative to the root, the language whose demonstrations are used)."""
    if lang not in LANGUAGES:
        raise UsageError(f"MultiLoKo: unknown language {lang!r}; expected one of {', '.join(LANGUAGES)}")
    if variant == "local":
        return subset_name(lang), f"{lang}/{split}.jsonl", lang
    if translation not in TRANSLATIONS:
        raise UsageError(f"MultiLoKo: translation must be one of {', '.join(TRANSLATIONS)}; got {translation!r}")
    if variant == "to_english":
        return subset_name(lang, translation, ENGLISH), f"{lang}/{split}_translated_{translation}_{ENGLISH}.jsonl", \
            ENGLISH
    if variant == "from_english":
        return subset_name(ENGLISH, translation, lang), f"{ENGLISH}/{split}_translated_{translation}_{lang}.jsonl", \
            lang
    raise UsageError(f"MultiLoKo: unknown variant {variant!r}; expected one of {', '.join(VARIANTS)}")


def _read(root: Path | None, rel: str, token: str | None, revision: str | None) -> tuple[str, list[tuple[int, Any]]]:
    if root is not None:
        path = root / rel
        if not path.is_file():
            raise FileNotFoundError(f"MultiLoKo: {path} does not exist; expected the decrypted benchmark_data layout "
                                    f"of {SOURCE_URL}")
        return str(path), list(read_jsonl(path, error=MultilokoDataError))
    table = load_hub_dataset(HUB_DATASET, data_files=rel, split="train", revision=revision or HUB_REVISION,
                             token=token or os.environ.get("HF_TOKEN") or True, benchmark="MultiLoKo (gated)",
                             offline_hint="Accept its terms and pass a token (--metadata hf_token=... or HF_TOKEN), "
                                          "or decrypt the repository's archive and pass --metadata "
                                          f"multiloko_dir=DIR ({DIR_ENV}).")
    return f"{HUB_DATASET}/{rel}", list(enumerate(table, start=1))


def _rows(origin: str, raw_rows: list[tuple[int, Any]]) -> list[dict[str, Any]]:
    rows, seen = [], {}
    for number, raw in raw_rows:
        where = f"{origin} row {number}" + (f" (question {raw.get('id')})" if raw.get("id") else "")
        for field in ("id", "question", "targets"):
            if raw.get(field) in (None, ""):
                raise MultilokoDataError(f"{where}: field {field!r} is missing; expected id, question, targets")
        targets = raw["targets"]
        if not isinstance(targets, list) or not targets or not all(isinstance(t, str) for t in targets):
            raise MultilokoDataError(f"{where}: field 'targets' is {targets!r}; expected a non-empty list of answers")
        if raw["id"] in seen:
            raise MultilokoDataError(f"{where}: id repeats row {seen[raw['id']]}; expected one row per question")
        seen[raw["id"]] = number
        rows.append({"id": str(raw["id"]), "question": str(raw["question"]).strip(), "targets": list(targets),
                     "output_type": str(raw.get("output_type") or "")})
    if not rows:
        raise MultilokoDataError(f"{origin}: no rows")
    return rows


def _demonstrations(root: Path | None, lang: str, token: str | None, revision: str | None) -> str:
    if root is not None and not (root / lang / FEWSHOT_FILE).is_file():
        return ""  # zero-shot where the folder has no demonstrations
    origin, raw = _read(root, f"{lang}/{FEWSHOT_FILE}", token, revision)
    shots = []
    for number, row in raw:
        answer = row.get("answer") or (row.get("targets") or [None])[0] or row.get("target")
        if not row.get("question") or not answer:
            raise MultilokoDataError(f"{origin} row {number}: a demonstration needs question and answer (or targets)")
        shots.append(f"{INSTRUCTION}\nQuestion: {str(row['question']).strip()}\nAnswer: {str(answer).strip()}\n\n")
    return "".join(shots)


def load_documents(lang: str, variant: str = "local", translation: str | None = None, split: str = "dev",
                   multiloko_dir: str | os.PathLike | None = None, token: str | None = None,
                   revision: str | None = None) -> list[dict[str, Any]]:
    """The documents of one MultiLoKo subset, each with its prompt (the demonstrations of the asked language)."""
    subset, rel, shots_lang = subset_files(lang, variant, translation, split)
    chosen = multiloko_dir or os.environ.get(DIR_ENV) or None
    root = Path(chosen).expanduser() if chosen else None
    if root is not None and not root.is_dir():
        raise FileNotFoundError(f"MultiLoKo: folder {root} does not exist (from multiloko_dir / {DIR_ENV})")
    origin, raw = _read(root, rel, token, revision)
    shots = _demonstrations(root, shots_lang, token, revision)
    return [{**row, "subset": subset, "lang": lang,
             "prompt": f"{shots}{INSTRUCTION}\nQuestion: {row['question']}\nAnswer:"} for row in _rows(origin, raw)]

"""ECLeKTic data: the main file (``--metadata eclektic_file=PATH``, ``.jsonl``), a Global ECLeKTic CSV (same key),
or the hub mirror.

* ECLeKTic (``eclektic_main.jsonl``; Kaggle ``googleai/eclektic``, hub mirror ``ura-hcmut/ECLeKTic``): one row per
  question ``{q_id, original_lang, title, url, content, question, answer, <lang>_q, <lang>_a, <lang>_c}`` for the 12
  languages of :data:`xlfact.evaluators.eclektic.LANGUAGES`.
* Global ECLeKTic (MRL 2026; validation CSVs of ``catherinearnett/global_eclektic_validation``): one row per
  question ``ID, Language, Question, Answer, Question Automatic Translation, Question Corrected Translation, Answer
  Automatic Translation, Answer Corrected Translation, Exclude``. It is read into the same shape: ``q_id`` is
  ``<Language>-<ID>``, the source language is ``Language`` (e.g. ``ita_latn``), the English question / answer are the
  corrected translation where one exists, else the automatic one; rows marked ``Exclude`` are left out and counted.

Every row is checked before work starts; a missing column, an unknown language or an empty question / answer is a
:class:`EclekticDataError` naming file, row, question and field.
"""

from __future__ import annotations

import csv
import logging
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from xlfact.core.hub import load_hub_dataset
from xlfact.core.jsonl import read_jsonl
from xlfact.errors import DataError, UsageError
from xlfact.evaluators.eclektic import LANGUAGES

log = logging.getLogger(__name__)

FILE_ENV = "XLFACT_ECLEKTIC_FILE"
HUB_DATASET = "ura-hcmut/ECLeKTic"
HUB_DATA_FILE = "eclektic_main.jsonl"
HUB_REVISION: str | None = None
SOURCE_URL = "https://www.kaggle.com/datasets/googleai/eclektic (hub mirror ura-hcmut/ECLeKTic)"
SOURCE_TASK = "source"  # eclektic_source: each question in its own source language
PROMPT = "Answer the question with a short answer.\nQuestion: {question}\nAnswer:"
GLOBAL_COLUMNS = ("ID", "Language", "Question", "Answer")


class EclekticDataError(DataError):
    """An ECLeKTic row that cannot be used; the message names file, row, question and field."""


def _text(row: dict[str, Any], field: str, where: str) -> str:
    value = row.get(field)
    if not isinstance(value, str) or not value.strip():
        raise EclekticDataError(f"{where}: field {field!r} is missing or empty; expected non-empty text")
    return value.strip()


def _global_row(raw: dict[str, Any], where: str) -> dict[str, Any] | None:
    """A Global ECLeKTic CSV row in the main shape, or None when it is marked Exclude."""
    for field in GLOBAL_COLUMNS:
        if field not in raw:
            raise EclekticDataError(f"{where}: column {field!r} is missing; expected Global ECLeKTic's columns "
                                    f"{', '.join(GLOBAL_COLUMNS)}, ...")
    if str(raw.get("Exclude") or "").strip():
        return None
    src = _text(raw, "Language", where)
    question_en = (raw.get("Question Corrected Translation") or "").strip() or (
        raw.get("Question Automatic Translation") or "").strip()
    answer_en = (raw.get("Answer Corrected Translation") or "").strip() or (
        raw.get("Answer Automatic Translation") or "").strip()
    return {"q_id": f"{src}-{_text(raw, 'ID', where)}", "original_lang": src,
            f"{src}_q": _text(raw, "Question", where), f"{src}_a": _text(raw, "Answer", where),
            "en_q": question_en, "en_a": answer_en}


def _raw_rows(path: Path) -> Iterator[tuple[int, dict[str, Any], bool]]:
    """(row number, row, is_global) of a local file."""
    if path.suffix == ".csv":
        with path.open(encoding="utf-8", newline="") as handle:
            for number, row in enumerate(csv.DictReader(handle), start=2):
                yield number, row, True
        return
    for number, row in read_jsonl(path, error=EclekticDataError):
        yield number, row, False


def _hub_rows(revision: str | None) -> Iterator[tuple[int, dict[str, Any], bool]]:
    table = load_hub_dataset(HUB_DATASET, data_files=HUB_DATA_FILE, split="train", revision=revision or HUB_REVISION,
                             benchmark="ECLeKTic",
                             offline_hint=f"Offline, pass --metadata eclektic_file=PATH (or ${FILE_ENV}=PATH).")
    for number, row in enumerate(table, start=1):
        yield number, dict(row), False


def check_language(lang: str) -> str:
    if lang != SOURCE_TASK and lang not in LANGUAGES:
        raise UsageError(f"ECLeKTic: unknown language {lang!r}; expected one of {', '.join(LANGUAGES)} or "
                         f"{SOURCE_TASK!r}")
    return lang


def load_documents(lang: str, eclektic_file: str | os.PathLike | None = None,
                   revision: str | None = None, judge: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """The documents of ``eclektic_<lang>``: every question asked in ``lang`` (``source``: in its own source
    language), with its gold answer in that language, its source language and the passage (``<lang>_c``) an LLM judge
    reads; ``judge`` (``{"judge_base_url", "judge_model"}``) is copied into each document when a judge is asked for."""
    check_language(lang)
    chosen = eclektic_file or os.environ.get(FILE_ENV) or None
    if chosen:
        path = Path(chosen).expanduser()
        if not path.is_file():
            raise FileNotFoundError(f"ECLeKTic: file {path} does not exist (from eclektic_file / ${FILE_ENV}); "
                                    f"expected eclektic_main.jsonl or a Global ECLeKTic CSV")
        origin, rows = str(path), _raw_rows(path)
    else:
        origin, rows = f"{HUB_DATASET}/{HUB_DATA_FILE}", _hub_rows(revision)
    docs: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    excluded = 0
    for number, raw, is_global in rows:
        where = f"{origin} row {number}"
        row = _global_row(raw, where) if is_global else raw
        if row is None:
            excluded += 1
            continue
        q_id = row.get("q_id")
        if q_id in (None, ""):
            raise EclekticDataError(f"{where}: field 'q_id' is missing; expected the question id")
        where = f"{where} (question {q_id})"
        src = _text(row, "original_lang", where)
        if not is_global and src not in LANGUAGES:
            raise EclekticDataError(f"{where}: original_lang {src!r} is not an ECLeKTic language; expected one of "
                                    f"{', '.join(LANGUAGES)}")
        asked = src if lang == SOURCE_TASK else lang
        if is_global and asked not in (src, "en"):
            raise UsageError(f"{origin}: a Global ECLeKTic file has each question in its source language and in "
                             f"English only; run eclektic_source and eclektic_en, not eclektic_{lang}")
        if str(q_id) in seen:
            raise EclekticDataError(f"{where}: q_id repeats row {seen[str(q_id)]}; expected one row per question")
        seen[str(q_id)] = number
        question, answer = _text(row, f"{asked}_q", where), _text(row, f"{asked}_a", where)
        context = row.get(f"{asked}_c") or row.get(f"{src}_c") or ""
        docs.append({"id": str(q_id), "lang": asked, "source_lang": src, "question": question, "target": answer,
                     "context": str(context), "prompt": PROMPT.format(question=question), **(judge or {})})
    if excluded:
        log.info("ECLeKTic %s: %d rows marked Exclude were left out", origin, excluded)
    if not docs:
        raise EclekticDataError(f"{origin}: no usable rows")
    return docs


def languages_of(docs: Iterable[dict[str, Any]]) -> list[str]:
    return sorted({d["lang"] for d in docs})

"""MKQA data: the official ``mkqa.jsonl.gz`` (``--metadata mkqa_file=PATH``) or the hub copy ``apple/mkqa``.

A row of the official file is ``{"example_id", "query", "queries": {lang: question}, "answers": {lang: [{"type",
"text", "aliases"?, "entity"?}]}}`` with the 26 languages of :data:`xlfact.evaluators.mkqa.LANGUAGES`; the hub copy
has the same fields, with ``type`` a class index (:data:`~xlfact.evaluators.mkqa.ANSWER_TYPES` order). Every row is
checked before work starts: a missing field, a language without its question or answers, an empty answer list or an
unknown answer type is a :class:`MkqaDataError` naming file, row, example and field.

``example_id`` is the same query in every language, so it is the item id of the cross-lingual figures.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from xlfact.core.hub import load_hub_dataset
from xlfact.core.jsonl import read_jsonl
from xlfact.errors import DataError
from xlfact.evaluators.mkqa import ANSWER_TYPES, LANGUAGES, check_language, gold_strings, is_answerable

MKQA_FILE_ENV = "XLFACT_MKQA_FILE"
HUB_DATASET = "apple/mkqa"
HUB_REVISION: str | None = None  # not pinned: this release was built offline
SOURCE_URL = "https://github.com/apple/ml-mkqa (dataset/mkqa.jsonl.gz)"
PROMPT = "Answer the question in as few words as possible.\nQuestion: {query}\nAnswer:"


class MkqaDataError(DataError):
    """An MKQA row that cannot be scored; the message names file, row, example and field."""


def _where(origin: str, row: int, example: Any) -> str:
    return f"{origin} row {row}" + (f" (example {example})" if example not in (None, "") else "")


def _answer_type(value: Any, where: str) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(ANSWER_TYPES):
        return ANSWER_TYPES[value]
    if isinstance(value, str) and value in ANSWER_TYPES:
        return value
    raise MkqaDataError(f"{where}: answer type {value!r} is unknown; expected one of {', '.join(ANSWER_TYPES)}")


def validate_row(raw: Any, origin: str, row: int, langs: Iterable[str] = LANGUAGES) -> dict[str, Any]:
    """One checked row: ``{example_id, queries: {lang: str}, answers: {lang: [{type, text, aliases}]}}``."""
    if not isinstance(raw, dict):
        raise MkqaDataError(f"{origin} row {row}: expected a JSON object, got {type(raw).__name__}")
    example = raw.get("example_id")
    where = _where(origin, row, example)
    for field in ("example_id", "queries", "answers"):
        if raw.get(field) in (None, ""):
            raise MkqaDataError(f"{where}: field {field!r} is missing; expected example_id, queries, answers")
    queries, answers = raw["queries"], raw["answers"]
    if not isinstance(queries, dict) or not isinstance(answers, dict):
        raise MkqaDataError(f"{where}: fields 'queries' and 'answers' must be objects keyed by language")
    out_q: dict[str, str] = {}
    out_a: dict[str, list[dict[str, Any]]] = {}
    for lang in langs:
        query = queries.get(lang)
        if not isinstance(query, str) or not query.strip():
            raise MkqaDataError(f"{where}: queries.{lang} is missing or empty; expected the question in {lang}")
        items = answers.get(lang)
        if not isinstance(items, list) or not items:
            raise MkqaDataError(f"{where}: answers.{lang} is missing or an empty list; expected at least one answer "
                                "(No Answer is an answer with text null)")
        clean = []
        for k, answer in enumerate(items):
            if not isinstance(answer, dict):
                raise MkqaDataError(f"{where}: answers.{lang}[{k}] is not an object with type and text")
            text = answer.get("text")
            if text is not None and not isinstance(text, str):
                raise MkqaDataError(f"{where}: answers.{lang}[{k}].text is {text!r}; expected a string or null")
            aliases = answer.get("aliases") or []
            if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
                raise MkqaDataError(f"{where}: answers.{lang}[{k}].aliases must be a list of strings")
            clean.append({"type": _answer_type(answer.get("type"), f"{where}: answers.{lang}[{k}]"),
                          "text": text, "aliases": list(aliases)})
        out_q[lang], out_a[lang] = query, clean
    return {"example_id": str(example), "queries": out_q, "answers": out_a}


def _checked(raw_rows: Iterable[tuple[int, Any]], origin: str, langs: Iterable[str]) -> list[dict[str, Any]]:
    langs = tuple(langs)
    rows: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for row_no, raw in raw_rows:
        row = validate_row(raw, origin, row_no, langs)
        if row["example_id"] in seen:
            raise MkqaDataError(f"{_where(origin, row_no, row['example_id'])}: example_id repeats row "
                                f"{seen[row['example_id']]}; expected one row per query")
        seen[row["example_id"]] = row_no
        rows.append(row)
    if not rows:
        raise MkqaDataError(f"{origin}: no rows; expected the MKQA examples")
    return rows


def _file_rows(path: Path) -> Iterator[tuple[int, Any]]:
    try:
        yield from read_jsonl(path, error=MkqaDataError)
    except (OSError, EOFError) as err:  # a damaged gzip stream
        raise MkqaDataError(f"{path}: cannot be read as gzip-compressed JSON Lines ({err})") from None


def read_mkqa_file(path: str | os.PathLike, langs: Iterable[str] = LANGUAGES) -> list[dict[str, Any]]:
    """Every checked row of an official ``mkqa.jsonl.gz`` (or an uncompressed ``.jsonl``)."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"MKQA: file {path} does not exist (from mkqa_file / ${MKQA_FILE_ENV}); expected "
                                f"the official mkqa.jsonl.gz from {SOURCE_URL}")
    return _checked(_file_rows(path), str(path), langs)


def _hub_rows(revision: str | None) -> Iterator[tuple[int, Any]]:
    table = load_hub_dataset(HUB_DATASET, split="train", revision=revision or HUB_REVISION, benchmark="MKQA",
                             offline_hint=f"Offline, download {SOURCE_URL} and pass --metadata mkqa_file=PATH "
                                          f"(or ${MKQA_FILE_ENV}=PATH).")
    yield from enumerate(table, start=1)


def load_examples(lang: str, mkqa_file: str | os.PathLike | None = None,
                  revision: str | None = None) -> tuple[str, list[dict[str, Any]]]:
    """(origin, checked rows) for one language: the local file if given (argument or ``$XLFACT_MKQA_FILE``), else
    the hub."""
    check_language(lang)
    chosen = mkqa_file or os.environ.get(MKQA_FILE_ENV) or None
    if chosen:
        return str(chosen), read_mkqa_file(chosen, (lang,))
    return f"{HUB_DATASET}/train", _checked(_hub_rows(revision), f"{HUB_DATASET}/train", (lang,))


def load_documents(lang: str, mkqa_file: str | os.PathLike | None = None,
                   revision: str | None = None) -> list[dict[str, Any]]:
    """The documents of ``mkqa_<lang>``: the question, its prompt and the official gold strings."""
    _, rows = load_examples(lang, mkqa_file, revision)
    docs = []
    for row in rows:
        answers = row["answers"][lang]
        golds = gold_strings(answers)
        docs.append({
            "id": row["example_id"],
            "lang": lang,
            "query": row["queries"][lang],
            "prompt": PROMPT.format(query=row["queries"][lang]),
            "golds": golds,
            "answer_types": sorted({a["type"] for a in answers}),
            "answerable": is_answerable(golds),
            "target": answers[0]["text"] or "",
        })
    return docs

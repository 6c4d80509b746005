"""CLiKA data: find the authors' directory layout, read and validate every row, and build the documents.

CLiKA has no Hugging Face hub dataset; the data is the authors' repository (https://github.com/RiverGao/CLiKA), and
``--metadata clika_dir=DIR`` (or ``XLFACT_CLIKA_DIR``) points at a clone or copy of it. The repository's own
directory names are kept and found case-insensitively, because they are inconsistent (``x_copa/DE`` but
``x_copa/it``; ``x_csqa/DE_trans`` but ``x_csqa/he_trans``; ``x_csqa/en``):

* xCSQA  ``x_csqa/<LANG or LANG_trans>/validation.jsonl`` — ``{id, question: {stem, choices: {label, text}},
  answerKey}``
* xCOPA  ``x_copa/<LANG>/test.jsonl`` — ``{id, premise, question: cause|effect, choice1, choice2, label: 0|1}``
* xGeo   ``x_geo/<lang>/<lang>_geo_data.jsonl`` — ``{id, questions, answers[4], label: 0-3}``
* xPeo   ``x_name/<lang>/<lang>_name_data_generate.jsonl`` — same shape as xGeo
* fictional ``fictional/test/target/test<LANG>.jsonl`` and ``fictional/test/Translate/translate<LANG>.jsonl``

Items are index-parallel across languages with the same gold letter; the row ``id`` is the same in every language
and is the item id of the cross-lingual metrics. A row that cannot be scored raises :class:`ClikaDataError` naming
the file, the row, the item and the field, and saying what was expected.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from xlfact.core.jsonl import read_jsonl as read_jsonl_file
from xlfact.errors import DataError
from xlfact.tasks.clika.prompts import COPA_QUESTIONS
from xlfact.tasks.clika.spec import CLIKA_DIR_ENV, LANGUAGES, N_OPTIONS, OPTION_LETTERS, SOURCE_URL, TASKS

log = logging.getLogger(__name__)

TASK_FOLDERS = {"xcsqa": "x_csqa", "xcopa": "x_copa", "xgeo": "x_geo", "xpeo": "x_name"}
FICTIONAL_LANGUAGES = LANGUAGES  # the test QA exists for English (the pivot) and the nine target languages
TRANSLATION_LANGUAGES = tuple(lang for lang in LANGUAGES if lang != "en")
FICTIONAL_TYPES = (0, 1)
TAG_RE = re.compile(r"\[\[(\w+):(.*?)\]\]")


class ClikaDataError(DataError):
    """A CLiKA file or row that cannot be used; the message names file, row, item and field."""


# ----------------------------------------------------------------------------------------------- locating files
def resolve_clika_dir(clika_dir: str | os.PathLike | None = None) -> Path:
    """The CLiKA data directory: the argument, else ``$XLFACT_CLIKA_DIR``; a clear error when neither is usable."""
    chosen = clika_dir or os.environ.get(CLIKA_DIR_ENV) or None
    if not chosen:
        raise FileNotFoundError(
            f"CLiKA: no data directory given. Clone {SOURCE_URL} (or use a copy of it) and pass "
            f"--metadata clika_dir=DIR (lm_eval: --metadata '{{\"clika_dir\": \"DIR\"}}') or set {CLIKA_DIR_ENV}=DIR."
        )
    root = Path(chosen).expanduser()
    if not root.is_dir():
        raise FileNotFoundError(f"CLiKA: data directory {root} does not exist (from clika_dir / {CLIKA_DIR_ENV})")
    return root


def _child(parent: Path, accepted: set[str], what: str, *, want_dir: bool) -> Path:
    """The one entry of ``parent`` whose lower-cased name is in ``accepted`` (the repository's casing varies)."""
    if not parent.is_dir():
        raise FileNotFoundError(
            f"CLiKA: {parent} is not a directory (looking for {what}); expected the layout of {SOURCE_URL}"
        )
    matches = [
        p for p in sorted(parent.iterdir()) if p.name.lower() in accepted and (p.is_dir() if want_dir else p.is_file())
    ]
    if not matches:
        present = ", ".join(sorted(p.name for p in parent.iterdir())) or "nothing"
        raise FileNotFoundError(
            f"CLiKA: no {what} in {parent} (looked for {' or '.join(sorted(accepted))}, any letter case; "
            f"found: {present})"
        )
    if len(matches) > 1:
        raise ClikaDataError(f"CLiKA: {what} is ambiguous in {parent}: {', '.join(p.name for p in matches)}")
    return matches[0]


def task_file(root: Path, task: str, lang: str) -> Path:
    """The data file of one multiple-choice task and language, in the repository's own layout and casing."""
    if task not in TASK_FOLDERS:
        raise ValueError(f"CLiKA: unknown task {task!r}; expected one of {TASKS}")
    lang = lang.lower()
    folder = _child(root, {TASK_FOLDERS[task]}, f"{TASK_FOLDERS[task]}/ folder", want_dir=True)
    if task == "xcsqa":
        lang_dir = _child(folder, {lang, f"{lang}_trans"}, f"xCSQA folder for {lang!r}", want_dir=True)
        return _child(lang_dir, {"validation.jsonl"}, "validation.jsonl", want_dir=False)
    lang_dir = _child(folder, {lang}, f"{TASK_FOLDERS[task]} folder for {lang!r}", want_dir=True)
    if task == "xcopa":
        return _child(lang_dir, {"test.jsonl"}, "test.jsonl", want_dir=False)
    name = f"{lang}_geo_data.jsonl" if task == "xgeo" else f"{lang}_name_data_generate.jsonl"
    return _child(lang_dir, {name}, name, want_dir=False)


def fictional_file(root: Path, lang: str) -> Path:
    """``fictional/test/target/test<LANG>.jsonl``: the 400 test relations asked in ``lang``."""
    base = _child(_child(_child(root, {"fictional"}, "fictional/ folder", want_dir=True), {"test"}, "test/ folder",
                         want_dir=True), {"target"}, "target/ folder", want_dir=True)
    return _child(base, {f"test{lang.lower()}.jsonl"}, f"test{lang.upper()}.jsonl", want_dir=False)


def translation_file(root: Path, lang: str) -> Path:
    """``fictional/test/Translate/translate<LANG>.jsonl``: the 420 English -> ``lang`` entity-name checks."""
    base = _child(_child(_child(root, {"fictional"}, "fictional/ folder", want_dir=True), {"test"}, "test/ folder",
                         want_dir=True), {"translate"}, "Translate/ folder", want_dir=True)
    return _child(base, {f"translate{lang.lower()}.jsonl"}, f"translate{lang.upper()}.jsonl", want_dir=False)


def read_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(row number from 1, object) for every non-blank line; a clear error for a line that is not a JSON object."""
    yield from read_jsonl_file(path, error=ClikaDataError)


# ----------------------------------------------------------------------------------------------- validation
def _where(path: Path, row: int, item: Any = None) -> str:
    return f"{path} row {row}" + (f" (id {item})" if item not in (None, "") else "")


def _text(raw: dict[str, Any], field: str, where: str, *, allow_empty: bool = False) -> str:
    if field not in raw or raw[field] is None:
        raise ClikaDataError(f"{where}: field {field!r} is missing")
    value = raw[field]
    if not isinstance(value, str):
        raise ClikaDataError(f"{where}: {field} is {type(value).__name__}; expected text")
    if not allow_empty and not value.strip():
        raise ClikaDataError(f"{where}: {field} is empty; expected non-empty text")
    return value


def _item_id(raw: dict[str, Any], where: str) -> str:
    value = raw.get("id")
    if value is None or (isinstance(value, str) and not value.strip()) or isinstance(value, (bool, list, dict)):
        raise ClikaDataError(f"{where}: field 'id' is missing or empty; expected the item id shared by all languages")
    return str(value)


def _options(values: Any, n: int, field: str, where: str) -> list[str]:
    if not isinstance(values, list) or len(values) != n:
        got = len(values) if isinstance(values, list) else type(values).__name__
        raise ClikaDataError(f"{where}: {field} has {got} entries; expected a list of {n} option texts")
    for i, value in enumerate(values):
        if not isinstance(value, str):
            raise ClikaDataError(f"{where}: {field}[{i}] is {type(value).__name__}; expected text")
    return list(values)


def _label(value: Any, n: int, field: str, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < n:
        raise ClikaDataError(f"{where}: {field} is {value!r}; expected an integer 0-{n - 1}")
    return value


def parse_item(task: str, raw: dict[str, Any], path: Path, row: int) -> dict[str, Any]:
    """One validated item: ``{id, question, options, gold}`` (+ ``relation`` cause|effect for xCOPA)."""
    where = _where(path, row, raw.get("id"))
    item = _item_id(raw, where)
    n = N_OPTIONS[task]
    if task == "xcsqa":
        question = raw.get("question")
        if not isinstance(question, dict):
            raise ClikaDataError(f"{where}: field 'question' is missing or not an object; expected {{stem, choices}}")
        stem = _text(question, "stem", f"{where} question")
        choices = question.get("choices")
        if not isinstance(choices, dict):
            raise ClikaDataError(f"{where}: question.choices is missing or not an object; expected {{label, text}}")
        labels = choices.get("label")
        if labels != list(OPTION_LETTERS[:n]):
            raise ClikaDataError(f"{where}: question.choices.label is {labels!r}; expected {list(OPTION_LETTERS[:n])}")
        options = _options(choices.get("text"), n, "question.choices.text", where)
        key = raw.get("answerKey")
        if key not in labels:
            raise ClikaDataError(f"{where}: answerKey is {key!r}; expected one of {labels}")
        return {"id": item, "question": stem, "options": options, "gold": labels.index(key), "relation": ""}
    if task == "xcopa":
        premise = _text(raw, "premise", where)
        relation = raw.get("question")
        if relation not in COPA_QUESTIONS:
            raise ClikaDataError(f"{where}: question is {relation!r}; expected 'cause' or 'effect'")
        options = [_text(raw, "choice1", where, allow_empty=True), _text(raw, "choice2", where, allow_empty=True)]
        gold = _label(raw.get("label"), n, "label", where)
        return {"id": item, "question": premise, "options": options, "gold": gold, "relation": relation}
    question = _text(raw, "questions", where)
    options = _options(raw.get("answers"), n, "answers", where)
    gold = _label(raw.get("label"), n, "label", where)
    return {"id": item, "question": question, "options": options, "gold": gold, "relation": ""}


def load_items(root: Path, task: str, lang: str) -> list[dict[str, Any]]:
    """Every item of one task and language, validated, in file order (the order that makes languages parallel)."""
    path = task_file(root, task, lang)
    items: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    empty_options: list[str] = []
    for row, raw in read_jsonl(path):
        item = parse_item(task, raw, path, row)
        if item["id"] in seen:
            where = _where(path, row, item["id"])
            raise ClikaDataError(f"{where}: id repeats row {seen[item['id']]}; expected unique ids")
        seen[item["id"]] = row
        empty_options += [
            f"row {row} option {OPTION_LETTERS[i]}" for i, o in enumerate(item["options"]) if not o.strip()
        ]
        items.append(item)
    if not items:
        raise ClikaDataError(f"{path}: no items; expected one JSON object per line")
    if empty_options:
        # The authors kept these rows (the option renders as "B. "); so do we, and say so.
        log.warning("CLiKA %s: %d empty option text(s), kept as the authors did: %s", path, len(empty_options),
                    "; ".join(empty_options[:5]))
    return items


def parse_tags(answer: str, where: str) -> tuple[str, dict[str, str]]:
    """Split a fictional test answer into its text and its ``[[continent:..]][[city:..]][[type:0|1]]`` tags."""
    tags = dict(TAG_RE.findall(answer))
    for key in ("continent", "city", "type"):
        if not tags.get(key, "").strip():
            raise ClikaDataError(
                f"{where}: answer has no [[{key}:...]] tag; expected [[continent:X]][[city:Y]][[type:0|1]]"
            )
    if tags["type"] not in {str(t) for t in FICTIONAL_TYPES}:
        raise ClikaDataError(f"{where}: [[type:{tags['type']}]]; expected type 0 or 1")
    return TAG_RE.sub("", answer).strip(), tags


def load_fictional(root: Path, lang: str) -> list[dict[str, Any]]:
    """The fictional test relations asked in ``lang``: ``{id (row index), question, input, answer, continent, city,
    type, continents}`` (``continents``: all continent names of the file). Rows are parallel across languages by
    position (the same relation, translated)."""
    path = fictional_file(root, lang)
    rows = []
    for row, raw in read_jsonl(path):
        where = _where(path, row)
        question = _text(raw, "prompt", where)
        extra = _text(raw, "input", where, allow_empty=True) if "input" in raw else ""
        answer, tags = parse_tags(_text(raw, "answer", where), where)
        rows.append({
            "id": str(len(rows)), "question": question, "input": extra, "answer": answer,
            "continent": tags["continent"].strip(), "city": tags["city"].strip(), "type": int(tags["type"]),
        })
    if not rows:
        raise ClikaDataError(f"{path}: no test relations; expected one JSON object per line")
    continents = sorted({row["continent"] for row in rows})  # the language's vocabulary: an answer must name one
    return [{**row, "continents": continents} for row in rows]


def load_translations(root: Path, lang: str) -> list[dict[str, Any]]:
    """The English -> ``lang`` entity-name translation checks: ``{id, question (instruction), input, answer}``."""
    path = translation_file(root, lang)
    rows = []
    for row, raw in read_jsonl(path):
        where = _where(path, row)
        rows.append({
            "id": str(len(rows)), "question": _text(raw, "prompt", where), "input": _text(raw, "input", where),
            "answer": _text(raw, "answer", where),
        })
    if not rows:
        raise ClikaDataError(f"{path}: no translation checks; expected one JSON object per line")
    return rows

"""PolyFact data: the hub datasets, a local directory in the hub's own layout, and the authors' gold rule.

Sources (``source`` metadata key):

* ``polyfact`` — ``jvonrad/PolyFact``, per-language configs, flat rows ``fact_id, language, subject, relation,
  object, question, option_a..option_d, answer_text, answer_index``;
* ``clean`` — ``jvonrad/PolyFact-Clean`` (same configs, no default config, adds ``option_ids``);
* ``wikifact`` — the legacy ``jvonrad/WIKI-FACT`` test set on which the paper's numbers were computed, rows
  ``{fact_id, langs: {lang: {question, options[4], answer_text}}}``.

A local directory replaces the hub (``--metadata data_dir=DIR`` or ``XLFACT_DATA_DIR``): ``DIR/<config>/<split>.jsonl``
(or ``.parquet``) with the hub's columns, e.g. ``DIR/de/test.jsonl``; for ``wikifact``, ``DIR/<split>.jsonl``.

Text is NFC-normalised on load (as KLAR-CLC's loader does), so an NFD-decomposed row gets the same gold answer and
the same duplicate check as its NFC twin. Every row is validated (4 non-empty distinct options and no fifth,
``answer_text`` one of them, ``answer_index`` an integer 0-3); a bad row raises :class:`PolyFactDataError` naming the
file, row, fact and field, unless ``on_invalid=skip`` is set, in which case the skipped rows are counted and reported
in the log, never dropped silently.
"""

from __future__ import annotations

import logging
import os
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from xlfact.core.hub import load_hub_dataset
from xlfact.core.jsonl import read_jsonl
from xlfact.errors import DataError, UsageError
from xlfact.evaluators.matching import alignment_key
from xlfact.tasks.polyfact.spec import (  # noqa: F401 - LANGUAGES and the groups are re-exported for callers
    DATA_DIR_ENV,
    HIGH_RESOURCE,
    HUB_DATASETS,
    HUB_REVISIONS,
    LANGUAGES,
    LOW_RESOURCE,
    OPTION_FIELDS,
    REVISION_ENV,
)

log = logging.getLogger(__name__)

# The paper's PolyFact-Clean filter: properties whose questions are too often ambiguous or wrong.
CLEAN_EXCLUDED_PROPERTIES = frozenset({"P495", "P136", "P19"})  # country of origin, genre, place of birth
VERIFICATION_FIELDS = ("n_langs_verified", "question_verified")  # the verification labels (quality tiers)
REQUIRED_FIELDS = ("fact_id", "question", *OPTION_FIELDS, "answer_text", "answer_index")


class PolyFactDataError(DataError):
    """A PolyFact row that cannot be scored; the message names file, row, fact and field."""


def fact_property(fact_id: str) -> str:
    """The Wikidata property of a ``subject|property|object`` fact id (``""`` when the id has another shape)."""
    parts = str(fact_id).split("|")
    return parts[1] if len(parts) == 3 else ""


def resolve_gold(options: list[str], answer_text: str | None, answer_index: int) -> int:
    """The authors' rule: ``answer_index``, unless ``answer_text`` is one of the options and disagrees."""
    if answer_text is not None and answer_text in options and options[answer_index] != answer_text:
        return options.index(answer_text)
    return answer_index


def _where(source: str, row: int, fact: Any) -> str:
    return f"{source} row {row}" + (f" (fact {fact})" if fact not in (None, "") else "")


def _nfc(value: Any) -> Any:
    return unicodedata.normalize("NFC", value) if isinstance(value, str) else value


def _index(value: Any, where: str) -> int:
    """``answer_index`` as an int: a JSON integer; never 1.7, ``true``, ``"one"`` or ``"1"`` (a quoted index is a
    sign of a mis-exported file, where ``"1"`` and ``1`` may not mean the same option)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise PolyFactDataError(f"{where}: answer_index {value!r} is not an integer; expected 0-3")


def validate_row(raw: dict[str, Any], lang: str, source: str, row: int) -> dict[str, Any]:
    """Check one flat hub row and return it, NFC-normalised, with ``options`` (list of 4), ``gold`` and
    ``option_ids``."""
    raw = {key: _nfc(value) for key, value in raw.items()}
    fact = raw.get("fact_id")
    where = _where(source, row, fact)
    for field in REQUIRED_FIELDS:
        if field not in raw or raw[field] is None:
            raise PolyFactDataError(f"{where}: field {field!r} is missing; expected the hub columns {REQUIRED_FIELDS}")
    extra = sorted(k for k in raw if k.startswith("option_") and k not in OPTION_FIELDS and k != "option_ids")
    if extra:
        raise PolyFactDataError(f"{where}: {extra[0]} is an option beyond option_d; expected exactly 4 options")
    for field in ("fact_id", "question", *OPTION_FIELDS, "answer_text"):
        if not isinstance(raw[field], str) or not raw[field].strip():
            raise PolyFactDataError(f"{where}: {field} is empty or not a string; expected non-empty text")
    options = [raw[f] for f in OPTION_FIELDS]
    if len(set(options)) != len(options):
        dup = next(f for i, f in enumerate(OPTION_FIELDS) if options[i] in options[:i])
        raise PolyFactDataError(f"{where}: {dup} repeats another option ({raw[dup]!r}); expected 4 distinct options")
    if raw["answer_text"] not in options:
        raise PolyFactDataError(f"{where}: answer_text {raw['answer_text']!r} is not one of the options; expected "
                                "the gold answer among option_a..option_d")
    index = _index(raw["answer_index"], where)
    if not 0 <= index < len(options):
        raise PolyFactDataError(f"{where}: answer_index {index} is out of range; expected 0-3")
    option_ids = raw.get("option_ids")
    if option_ids is not None and len(option_ids) != len(options):
        raise PolyFactDataError(f"{where}: option_ids has {len(option_ids)} entries; expected one per option (4)")
    row_lang = raw.get("language") or lang
    if lang and row_lang != lang:
        raise PolyFactDataError(f"{where}: language is {row_lang!r}; expected {lang!r} for this config")
    return {
        "fact_id": str(fact),
        "language": row_lang,
        "subject": raw.get("subject") or "",
        "relation": raw.get("relation") or "",
        "object": raw.get("object") or "",
        "question": raw["question"],
        "options": options,
        "answer_text": raw["answer_text"],
        "answer_index": index,
        "gold": resolve_gold(options, raw["answer_text"], index),
        "option_ids": [str(x) for x in option_ids] if option_ids is not None else [],
        **{key: raw[key] for key in VERIFICATION_FIELDS if key in raw},
    }


def _flatten_wikifact(raw: dict[str, Any], lang: str, source: str, row: int) -> dict[str, Any] | None:
    """A WIKI-FACT row ``{fact_id, langs: {lang: {question, options, answer_text}}}`` as a flat hub row."""
    langs = raw.get("langs")
    where = _where(source, row, raw.get("fact_id"))
    if not isinstance(langs, dict):
        raise PolyFactDataError(f"{where}: field 'langs' is missing or not an object")
    entry = langs.get(lang)
    if entry is None:
        return None  # this fact is not asked in this language; other languages keep it
    options = entry.get("options")
    if not isinstance(options, list) or len(options) != 4:
        raise PolyFactDataError(f"{where}: langs.{lang}.options must be a list of 4 options; got {options!r}")
    answer = entry.get("answer_text")
    if answer not in options:
        raise PolyFactDataError(f"{where}: langs.{lang}.answer_text {answer!r} is not one of the options")
    flat = {"fact_id": raw.get("fact_id"), "language": lang, "question": entry.get("question"), "answer_text": answer}
    flat.update(dict(zip(OPTION_FIELDS, options)))
    flat["answer_index"] = options.index(answer)
    # WIKI-FACT lists a fact's options in a per-language order: slots are aligned across languages by answer text
    # (RankC then leaves out the pairs whose texts differ) instead of by position.
    flat["option_ids"] = [alignment_key(option) for option in options]
    for key in VERIFICATION_FIELDS:
        if key in raw:
            flat[key] = raw[key]
    return flat


def _read_local(path: Path) -> Iterator[dict[str, Any]]:
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        yield from pq.read_table(path).to_pylist()
        return
    for _, row in read_jsonl(path, error=PolyFactDataError):
        yield row


def local_file(data_dir: str | os.PathLike, config: str | None, split: str) -> Path:
    """``DIR/<config>/<split>.jsonl`` or ``.parquet`` (``DIR/<split>.*`` when ``config`` is None)."""
    base = Path(data_dir).expanduser() / config if config else Path(data_dir).expanduser()
    for suffix in (".jsonl", ".parquet"):
        candidate = base / f"{split}{suffix}"
        if candidate.exists():
            return candidate
    raise FileNotFoundError(
        f"PolyFact: no {split}.jsonl or {split}.parquet in {base}; a local data_dir must use the hub layout "
        f"<data_dir>/<config>/<split>.jsonl, e.g. {Path(data_dir) / 'de' / 'test.jsonl'}"
    )


def _hub_rows(source: str, config: str | None, split: str, revision: str | None = None) -> Iterable[dict[str, Any]]:
    name = HUB_DATASETS[source]
    return load_hub_dataset(
        name, config, split=split, revision=revision or os.environ.get(REVISION_ENV) or HUB_REVISIONS[source],
        benchmark="PolyFact",
        offline_hint=f"Offline, pass a local copy with --metadata data_dir=DIR or {DATA_DIR_ENV}=DIR "
                     "(layout DIR/<lang>/<split>.jsonl with the hub's columns).",
    )


def load_polyfact(
    lang: str,
    *,
    source: str = "polyfact",
    data_dir: str | os.PathLike | None = None,
    split: str = "test",
    clean_filter: bool = False,
    on_invalid: str = "error",
    revision: str | None = None,
    min_langs_verified: int | None = None,
    question_verified: bool = False,
) -> list[dict[str, Any]]:
    """Validated PolyFact rows of one language, in dataset order, with ``options`` and the resolved ``gold`` slot."""
    if source not in HUB_DATASETS:
        raise ValueError(f"PolyFact: unknown source {source!r}; expected one of {sorted(HUB_DATASETS)}")
    if on_invalid not in {"error", "skip"}:
        raise ValueError(f"PolyFact: on_invalid must be 'error' or 'skip'; got {on_invalid!r}")
    data_dir = data_dir or os.environ.get(DATA_DIR_ENV) or None
    config = None if source == "wikifact" else lang
    if data_dir:
        path = local_file(data_dir, config, split)
        origin, raw_rows = str(path), _read_local(path)
    else:
        origin = f"{HUB_DATASETS[source]}[{config or 'default'}]/{split}"
        raw_rows = _hub_rows(source, config, split, revision)
    rows: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    skipped: list[str] = []
    filtered = 0
    unverified = 0
    for row_no, raw in enumerate(raw_rows, start=1):
        try:
            flat = _flatten_wikifact(raw, lang, origin, row_no) if source == "wikifact" else raw
            if flat is None:
                continue
            row = validate_row(flat, lang, origin, row_no)
            if row["fact_id"] in seen:
                raise PolyFactDataError(
                    f"{_where(origin, row_no, row['fact_id'])}: fact_id repeats row {seen[row['fact_id']]}; "
                    "expected one row per fact and language"
                )
        except PolyFactDataError as err:
            if on_invalid == "error":
                raise
            skipped.append(str(err))
            continue
        seen[row["fact_id"]] = row_no
        if clean_filter and fact_property(row["fact_id"]) in CLEAN_EXCLUDED_PROPERTIES:
            filtered += 1
            continue
        if not passes_verification(row, origin, row_no, min_langs_verified, question_verified):
            unverified += 1
            continue
        rows.append(row)
    if skipped:
        log.warning(
            "PolyFact %s: skipped %d invalid rows (on_invalid=skip); first: %s", origin, len(skipped), skipped[0]
        )
    if filtered:
        log.info("PolyFact %s: PolyFact-Clean filter dropped %d facts (%s)", origin, filtered, ", ".join(
            sorted(CLEAN_EXCLUDED_PROPERTIES)))
    if min_langs_verified is not None or question_verified:
        log.warning("PolyFact %s: verification filter (min_langs_verified=%s, question_verified=%s) kept %d of %d "
                    "rows", origin, min_langs_verified, question_verified, len(rows), len(rows) + unverified)
    if not rows:
        raise PolyFactDataError(f"{origin}: no usable rows for language {lang!r}")
    return rows


def passes_verification(row: dict[str, Any], origin: str, row_no: int, min_langs_verified: int | None,
                        question_verified: bool) -> bool:
    """Whether a row meets the requested verification tier; a row without the needed label is an error (a filter
    that silently kept or dropped unlabelled rows would change what the figure means)."""
    where = _where(origin, row_no, row["fact_id"])
    if min_langs_verified is not None:
        value = row.get("n_langs_verified")
        if isinstance(value, bool) or not isinstance(value, int):
            raise PolyFactDataError(f"{where}: n_langs_verified is {value!r}; min_langs_verified needs an integer "
                                    "label in every row")
        if value < min_langs_verified:
            return False
    if question_verified:
        value = row.get("question_verified")
        if not isinstance(value, bool):
            raise PolyFactDataError(f"{where}: question_verified is {value!r}; question_verified=true needs a true/"
                                    "false label in every row")
        if not value:
            return False
    return True


def verification_options(kwargs: dict[str, Any]) -> tuple[int | None, bool]:
    """``min_langs_verified`` / ``question_verified`` from ``--metadata`` (checked: a whole number, true/false)."""
    raw_n = kwargs.get("min_langs_verified")
    n = None
    if raw_n not in (None, ""):
        if isinstance(raw_n, bool) or not str(raw_n).strip().isdigit():
            raise UsageError(f"--metadata min_langs_verified={raw_n!r}: expected a whole number of languages")
        n = int(raw_n)
    raw_q = str(kwargs.get("question_verified", "false")).strip().lower()
    if raw_q not in {"true", "false", "1", "0", "yes", "no"}:
        raise UsageError(f"--metadata question_verified={kwargs.get('question_verified')!r}: expected true or false")
    return n, raw_q in {"true", "1", "yes"}

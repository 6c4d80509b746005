"""The per-sample cross-lingual record: the one key it is logged under and the one validator.

Every xlfact task's ``process_results`` returns, under :data:`RECORD_KEY`, a record ``{benchmark, item, lang,
correct, scores?, gold?, pred?, ...}`` of one (item, language) result (:func:`xlfact.tasks.crosslingual.make_record`
writes it); lm-eval logs it with ``--log_samples``, and the report, the leaderboard, the release gate and the trace
read it back (:mod:`xlfact.core.runs`). Writer and readers check it with :func:`validate_record`, so a record
the readers would refuse is never written.

lm-eval's own built-in tasks log no such record; an *adapter* (a benchmark's ``record_adapter`` hook, listed by
:func:`xlfact.tasks.registry.record_adapters`) turns their samples into records, so the same report and leaderboard
code serves both. The adapters are passed in, so this module knows no benchmark.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from xlfact.errors import RunError

# The key lm-eval logs the record under: the first cross-lingual metric of every xlfact task's metric_list.
RECORD_KEY = "total_consistency"
RECORD_FIELDS = ("benchmark", "item", "lang", "correct")
# An adapter for lm-eval built-in tasks: (task_name, sample) -> record, or None for a task it does not know.
RecordAdapter = Callable[[str, dict[str, Any]], "dict[str, Any] | None"]


class RecordError(RunError):
    """A cross-lingual record that lacks a field or has one of the wrong type; the message says where."""


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def validate_record(record: Any, where: str) -> dict[str, Any]:
    """``record`` if it is a well-formed cross-lingual record, else a :class:`RecordError` naming ``where`` and the
    field. ``where`` says where it came from (``"<file> line 7"``, ``"polyfact_de doc 3"``)."""
    if not isinstance(record, dict):
        raise RecordError(f"{where}: {RECORD_KEY!r} is {type(record).__name__}, expected a record object")
    for key in RECORD_FIELDS:
        if key not in record:
            raise RecordError(f"{where}: record lacks field {key!r}; expected {', '.join(RECORD_FIELDS)}")
    for key in ("benchmark", "lang"):
        if not isinstance(record[key], str) or not record[key]:
            raise RecordError(f"{where}: record field {key!r} is {record[key]!r}; expected a non-empty string")
    if not isinstance(record["item"], (str, int)) or isinstance(record["item"], bool) or record["item"] == "":
        raise RecordError(f"{where}: record field 'item' is {record['item']!r}; expected an item id")
    if not isinstance(record["correct"], bool) and record["correct"] not in (0, 1):
        raise RecordError(f"{where}: record field 'correct' is {record['correct']!r}; expected true or false")
    if "scores" in record:
        scores = record["scores"]
        if not isinstance(scores, list) or not scores or not all(_is_number(s) for s in scores):
            raise RecordError(f"{where}: record field 'scores' is {scores!r}; expected a list of option scores")
        gold = record.get("gold", 0)
        if not (isinstance(gold, int) and not isinstance(gold, bool) and 0 <= gold < len(scores)):
            raise RecordError(f"{where}: record field 'gold' is {record['gold']!r}; expected an option slot "
                              f"0-{len(scores) - 1}")
    return record


def record_of(task: str, sample: dict[str, Any], where: str | None = None,
              adapters: Sequence[RecordAdapter] = ()) -> dict[str, Any] | None:
    """The validated cross-lingual record of one logged sample (an xlfact task's, or one of ``adapters``' for a
    built-in task), or None when the sample has none."""
    where = where or f"{task} doc_id {sample.get('doc_id')}"
    if RECORD_KEY in sample:
        return validate_record(sample[RECORD_KEY], where)
    for adapter in adapters:
        record = adapter(task, sample)
        if record is not None:
            return validate_record(record, where)
    return None

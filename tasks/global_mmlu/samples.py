"""Global-MMLU in ``xlfact report``: records from the samples lm-eval logs for its *built-in* Global-MMLU tasks.

lm-eval's ``global_mmlu_full_<lang>_<subject>`` (Global-MMLU) and ``global_mmlu_<lang>_<category>`` (Global-MMLU-Lite)
tasks are letter-choice multiple choice: the prompt lists the four options and the continuations are ``" A"`` ..
``" D"``. Their items are parallel across languages by ``sample_id``, so the shared cross-lingual metrics apply. The
built-ins log no xlfact record; :func:`sample_record` (registered in :data:`xlfact.core.records.ADAPTERS`) builds
one from what they do log:

* ``item`` — the document's ``sample_id`` (e.g. ``astronomy/test/58``, the same in every language);
* ``lang`` — from the task name;
* ``scores`` — the log-likelihood of each letter continuation, ``filtered_resps[i][0]`` (lm-eval logs
  ``[loglikelihood, is_greedy]`` per option; ``resps`` holds the same pairs one level deeper). This is exactly what the
  built-in ``acc`` ranks; each letter is a single token for common tokenizers, so it is also the authors' per-token
  mean there;
* ``gold`` — the ``target`` letter's slot.

Slots are the letters, which are the same answers in every language (Global-MMLU translates options in place).

:func:`samples_from_option_scores` goes the other way for published per-item option scores (the authors' consistency
JSON): it writes them as lm-eval-style samples files, so the report path can be checked on them end to end.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from xlfact.errors import RunError
from xlfact.evaluators.consistency import argmax_first
from xlfact.tasks.polyfact.spec import OPTION_LETTERS

LETTERS = OPTION_LETTERS
TASK_RE = re.compile(r"^global_mmlu_(?:(?P<full>full)_)?(?P<lang>[a-z]{2,3})(?:_(?P<part>[a-z_]+))?$")
BENCHMARK = {True: "global_mmlu", False: "global_mmlu_lite"}


class GlobalMMLUSampleError(RunError):
    """A logged Global-MMLU sample that cannot be turned into a record; the message names task, doc and field."""


def parse_task(task: str) -> tuple[str, str] | None:
    """``(benchmark, lang)`` of a built-in Global-MMLU task name, None for any other task."""
    match = TASK_RE.match(task)
    if match is None:
        return None
    return BENCHMARK[match["full"] is not None], match["lang"]


def _gold_slot(target: Any, choices: Sequence[str], where: str) -> int:
    if isinstance(target, bool):
        raise GlobalMMLUSampleError(f"{where}: target {target!r} is not a letter or slot")
    if isinstance(target, int):
        slot = target
    elif isinstance(target, str) and target.strip() in choices:
        slot = list(choices).index(target.strip())
    else:
        raise GlobalMMLUSampleError(f"{where}: target {target!r} is not one of the options {list(choices)}")
    if not 0 <= slot < len(choices):
        raise GlobalMMLUSampleError(f"{where}: target slot {slot} is out of range for {len(choices)} options")
    return slot


def continuations(arguments: Any) -> list[str]:
    """The option continuations (stripped) of a logged sample's ``arguments``.

    lm-eval keeps ``[[context, continuation], ...]`` in memory and writes ``{"gen_args_<i>": {"arg_0": context,
    "arg_1": continuation}}`` to the samples file; both shapes are read.
    """
    if isinstance(arguments, Mapping):
        ordered = sorted(arguments.items(), key=lambda kv: int(str(kv[0]).rsplit("_", 1)[-1]))
        return [str(args.get("arg_1", "")).strip() for _, args in ordered if isinstance(args, Mapping)]
    if isinstance(arguments, list):
        return [str(args[1]).strip() for args in arguments if isinstance(args, (list, tuple)) and len(args) > 1]
    return []


def sample_record(task: str, sample: Mapping[str, Any]) -> dict[str, Any] | None:
    """The cross-lingual record of one logged sample of a built-in Global-MMLU task (None for other tasks)."""
    parsed = parse_task(task)
    if parsed is None:
        return None
    benchmark, lang = parsed
    where = f"{task} doc_id {sample.get('doc_id')}"
    doc = sample.get("doc")
    if not isinstance(doc, Mapping) or not doc.get("sample_id"):
        raise GlobalMMLUSampleError(f"{where}: doc.sample_id is missing; expected the Global-MMLU document as logged")
    responses = sample.get("filtered_resps")
    if not isinstance(responses, list) or not responses:
        raise GlobalMMLUSampleError(f"{where}: filtered_resps is missing or empty; expected [loglikelihood, is_greedy] "
                                    "per option (run lm-eval with --log_samples)")
    try:
        scores = [float(r[0]) for r in responses]
    except (TypeError, ValueError, IndexError):
        raise GlobalMMLUSampleError(f"{where}: filtered_resps {responses!r} is not [loglikelihood, is_greedy] per "
                                    "option") from None
    choices = continuations(sample.get("arguments")) or list(LETTERS[: len(scores)])
    if len(choices) != len(scores):
        raise GlobalMMLUSampleError(f"{where}: {len(choices)} request arguments but {len(scores)} responses")
    gold = _gold_slot(sample.get("target"), choices, where)
    correct = argmax_first(scores) == gold
    logged = sample.get("acc")
    if isinstance(logged, (int, float)) and bool(logged) != correct:
        raise GlobalMMLUSampleError(f"{where}: logged acc {logged} disagrees with the argmax of filtered_resps "
                                    f"({scores}) against target {sample.get('target')!r}")
    return {
        "benchmark": benchmark,
        "item": str(doc["sample_id"]),
        "lang": lang,
        "correct": correct,
        "scores": scores,
        "pred": argmax_first(scores),
        "gold": gold,
    }


def samples_from_option_scores(
    predictions: Mapping[str, Mapping[str, Mapping[str, Any]]],
    out_dir: str | Path,
    *,
    full: bool = False,
    date: str = "2000-01-01T00-00-00.000000",
) -> list[Path]:
    """Write per-item option scores ``{sample_id: {lang: {scores[4], gold?|pred_idx+correct}}}`` as an lm-eval run.

    One ``samples_global_mmlu[_full]_<lang>_<date>.jsonl`` per language, each line shaped like lm-eval 0.4.13's log of
    a built-in Global-MMLU sample (``doc``, ``target``, ``arguments``, ``resps``, ``filtered_resps``, ``acc``). The gold
    slot is ``gold`` where given; the authors' files store only ``pred_idx`` and ``correct``, so it is ``pred_idx``
    when correct and the next slot otherwise (any other slot gives the same figures). Beside them goes the run's
    ``results_<date>.json`` (task list, ``n-samples`` and lm-eval's task hashes), so the one reader of lm-eval output
    folders (:mod:`xlfact.core.runs`) reads and checks the folder like any other run.
    """
    import hashlib

    def sha(value: Any) -> str:
        return hashlib.sha256(json.dumps(value, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    lines: dict[str, list[str]] = {}
    for sample_id, per_lang in predictions.items():
        for lang, entry in per_lang.items():
            where = f"item {sample_id} language {lang}"
            scores = entry.get("scores")
            if not isinstance(scores, list) or len(scores) != len(LETTERS):
                raise GlobalMMLUSampleError(f"{where}: scores {scores!r}; expected 4 option scores")
            if "gold" in entry:
                gold = int(entry["gold"])
            elif "pred_idx" in entry and "correct" in entry:
                pred = int(entry["pred_idx"])
                if argmax_first(scores) != pred:
                    raise GlobalMMLUSampleError(f"{where}: pred_idx {pred} is not the argmax of scores {scores}")
                gold = pred if entry["correct"] else (pred + 1) % len(LETTERS)
            else:
                raise GlobalMMLUSampleError(f"{where}: needs 'gold' or both 'pred_idx' and 'correct'")
            sample = {
                "doc_id": len(lines.get(lang, [])),
                "doc": {"sample_id": sample_id, "subject": str(sample_id).split("/")[0], "answer": LETTERS[gold]},
                "target": LETTERS[gold],
                # lm-eval 0.4.13 writes arguments keyed by request and response values as strings.
                "arguments": {f"gen_args_{i}": {"arg_0": "", "arg_1": f" {x}"} for i, x in enumerate(LETTERS)},
                "resps": [[[str(float(s)), "False"]] for s in scores],
                "filtered_resps": [[str(float(s)), "False"] for s in scores],
                "filter": "none",
                "metrics": ["acc"],
                "acc": float(argmax_first(scores) == gold),
            }
            sample.update(doc_hash=sha(sample["doc"]), prompt_hash=sha(sample["arguments"]),
                          target_hash=sha(sample["target"]))
            lines.setdefault(lang, []).append(json.dumps(sample, ensure_ascii=False))
    prefix = "global_mmlu_full" if full else "global_mmlu"
    written = []
    results: dict[str, Any] = {"results": {}, "configs": {}, "versions": {}, "n-samples": {}, "task_hashes": {},
                               "model_name": "published option scores"}
    for lang, rows in lines.items():
        task = f"{prefix}_{lang}"
        path = out / f"samples_{task}_{date}.jsonl"
        path.write_text("\n".join(rows) + "\n", encoding="utf-8")
        written.append(path)
        parsed = [json.loads(row) for row in rows]
        joined = "".join(r["doc_hash"] + r["prompt_hash"] + r["target_hash"] for r in parsed)
        results["results"][task] = {"acc,none": sum(r["acc"] for r in parsed) / len(parsed)}
        results["configs"][task] = {"task": task}
        results["versions"][task] = None
        results["n-samples"][task] = {"original": len(parsed), "effective": len(parsed)}
        results["task_hashes"][task] = hashlib.sha256(joined.encode("utf-8")).hexdigest()
    (out / f"results_{date}.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    return written

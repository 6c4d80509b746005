"""PolyFact glue for lm-eval: the dataset hook and the task class. Scoring lives in ``xlfact.evaluators``."""

from __future__ import annotations

from typing import Any

import datasets

import xlfact.models  # noqa: F401 - registers --model xlfact-hf wherever lm-eval loads this folder
from xlfact.evaluators.matching import resolve_completion
from xlfact.tasks.crosslingual import (  # noqa: F401 - referenced from the YAML metric_list
    answer_agreement,
    en_co,
    file_record,
    make_record,
    mean_languages_correct,
    rankc,
    rankc_en,
    register_metric_names,
    total_consistency,
)
from xlfact.tasks.per_token import PerTokenMultipleChoiceTask
from xlfact.tasks.polyfact.data import load_polyfact, verification_options
from xlfact.tasks.polyfact.spec import free_form_prompt


class PolyFactTask(PerTokenMultipleChoiceTask):
    """PolyFact: ``Question: {question}\\nAnswer:`` + ``" " + option``, scored by mean log-prob per option token."""


def load_dataset(**kwargs: Any) -> datasets.DatasetDict:
    """lm-eval ``custom_dataset`` hook: task metadata merged with ``--model_args``/``--metadata`` arrives here.

    Keys read: ``xlfact_lang`` and ``xlfact_source`` / ``xlfact_clean`` (from the task YAML), and the user's
    ``data_dir`` (local copy in the hub layout), ``source`` (override: polyfact | clean | wikifact), ``split``
    (default test), ``on_invalid`` (error | skip) and ``data_revision`` (hub commit); see
    :data:`xlfact.tasks.polyfact.spec.METADATA_KEYS`.
    """
    lang = kwargs["xlfact_lang"]
    source = kwargs.get("source") or kwargs.get("xlfact_source", "polyfact")
    clean = str(kwargs.get("xlfact_clean", False)).lower() in {"1", "true", "yes"}
    min_langs, question_ok = verification_options(kwargs)
    rows = load_polyfact(
        lang,
        source=source,
        data_dir=kwargs.get("data_dir"),
        split=kwargs.get("split", "test"),
        clean_filter=clean,
        on_invalid=kwargs.get("on_invalid", "error"),
        revision=kwargs.get("data_revision"),
        min_langs_verified=min_langs,
        question_verified=question_ok,
    )
    return datasets.DatasetDict({"test": datasets.Dataset.from_list(rows)})


# ----------------------------------------------------------------------------------------------- free-form variant
GEN_BENCHMARK = "polyfact_gen"
GEN_METRICS = ("acc", "resolved", "total_consistency", "mean_languages_correct", "en_co")
register_metric_names(("resolved",))


def free_form_text(doc: dict[str, Any]) -> str:
    """``polyfact_gen_<lang>``'s prompt: the authors' free-form prompt (:func:`spec.free_form_prompt`), as in GRPO."""
    return free_form_prompt(doc["question"], list(doc["options"]), doc["language"])


def process_free_form(doc: dict[str, Any], results: list[Any]) -> dict[str, Any]:
    """The completion's answer resolved to an option by the GRPO reward's resolver (:func:`resolve_completion`);
    correct when it resolves to the gold option. ``resolved``: it names some option (not a hallucination)."""
    output = results[0] if results else ""
    answer, resolved = resolve_completion(output, doc["options"])
    correct = resolved is not None and resolved == int(doc["gold"])
    record = make_record(GEN_BENCHMARK, doc["fact_id"], doc["language"], correct, prediction=answer,
                         resolved=resolved, output=output)
    values = file_record(record)
    values.update({"acc": float(correct), "resolved": float(resolved is not None)})
    return {name: values[name] for name in GEN_METRICS}

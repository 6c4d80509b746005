"""The LightEval task configs of xlfact's benchmarks: prompts, loaders, metrics and the record of each sample.

Each benchmark's ``lighteval_tasks`` hook (its ``benchmark.py``) builds its configs here; the custom-tasks module
LightEval loads, :mod:`xlfact.tasks.lighteval_tasks`, asks the registry for every benchmark's. This module knows no
registry, so the benchmarks can import it (the rules, data and scoring: :mod:`xlfact.tasks.lighteval_tasks`'s
docstring). Importing it patches nothing: :func:`install_task_hooks` does, when ``TASKS_TABLE`` is read.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from lighteval.metrics.metrics_sample import SampleLevelComputation
from lighteval.metrics.utils.metric_utils import SampleLevelMetricGrouping
from lighteval.tasks.lighteval_task import LightevalTask, LightevalTaskConfig
from lighteval.tasks.requests import Doc, SamplingMethod

from xlfact.evaluators.clika import LANGUAGES as CLIKA_LANGUAGES
from xlfact.evaluators.clika import TASKS as CLIKA_TASKS
from xlfact.evaluators.clika import argmax_letter, rescaled_accuracy
from xlfact.evaluators.consistency import argmax_first
from xlfact.evaluators.klar import BENCHMARK as KLAR_BENCHMARK
from xlfact.evaluators.klar import LANGUAGES as KLAR_LANGUAGES
from xlfact.evaluators.matching import answer_matches
from xlfact.evaluators.multiple_choice import (
    METRIC_OF_RULE,
    accuracy_by_rule,
    continuation_token_counts,
    option_scores,
)
from xlfact.tasks.clika.data import CLIKA_DIR_ENV
from xlfact.tasks.clika.utils import load_multiple_choice
from xlfact.tasks.crosslingual import make_record
from xlfact.tasks.global_mmlu.data import DIR_ENVS, LETTERS, LITE_LANGUAGES
from xlfact.tasks.global_mmlu.data import LANGUAGES as GMMLU_LANGUAGES
from xlfact.tasks.global_mmlu.data import validate_row as validate_gmmlu_row
from xlfact.tasks.klar.data import KLAR_DIR_ENV
from xlfact.tasks.klar.utils import first_line, load_klar
from xlfact.tasks.per_token import align_slots
from xlfact.tasks.polyfact.data import (
    CLEAN_EXCLUDED_PROPERTIES,
    DATA_DIR_ENV,
    HUB_DATASETS,
    LANGUAGES,
    fact_property,
    validate_row,
)
from xlfact.tasks.polyfact.spec import PROMPT as POLYFACT_SPEC_PROMPT

POLYFACT_PROMPT = POLYFACT_SPEC_PROMPT  # tasks/polyfact/_polyfact_template_yaml doc_to_text
GLOBAL_MMLU_PROMPT = "{question}\nA. {option_a}\nB. {option_b}\nC. {option_c}\nD. {option_d}\nAnswer:"  # built-in


TOKENIZER_ENV = "XLFACT_TOKENIZER"


@lru_cache(maxsize=4)
def _tokenizer(name: str) -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(name)


def option_token_counts(doc: Doc, model_response: Any) -> list[int]:
    """Tokens of each option as lm-eval scores them: ``query + option`` re-tokenised with the model's tokenizer
    (``XLFACT_TOKENIZER``). Without one, the rows LightEval returned (:func:`scored_token_counts`), which its
    transformers backend gets wrong for short options; that error then says how to name the tokenizer."""
    name = os.environ.get(TOKENIZER_ENV)
    if name:
        return continuation_token_counts(_tokenizer(name), [(doc.query, choice) for choice in doc.choices])
    return scored_token_counts(model_response.output_tokens, len(doc.choices))


def scored_token_counts(output_tokens: Any, n_choices: int) -> list[int]:
    """Tokens the backend scored per option: the rows of ``output_tokens`` without LightEval's ``-1`` padding."""
    if output_tokens is None or len(output_tokens) != n_choices:
        raise ValueError(
            "per-token scoring needs the continuation tokens the backend scored (ModelResponse.output_tokens, one row "
            f"per option); got {None if output_tokens is None else len(output_tokens)} rows for {n_choices} options. "
            f"Run through `python -m xlfact.tasks.lighteval_tasks` or set {TOKENIZER_ENV}=<model or tokenizer path> so "
            "that option tokens are counted with the model's tokenizer."
        )
    return [int(sum(1 for t in (row.tolist() if hasattr(row, "tolist") else row) if int(t) != -1))
            for row in output_tokens]


class MultipleChoiceRules(SampleLevelComputation):
    """xlfact's multiple-choice rules on a LightEval log-likelihood response (one value per lm-eval metric name)."""

    def compute(self, doc: Doc, model_response: Any, **kwargs: Any) -> dict[str, float]:
        options = doc.specific["options"]
        lls = [float(x) for x in model_response.logprobs]
        counts = option_token_counts(doc, model_response)
        return accuracy_by_rule(option_scores(lls, counts, options), int(doc.gold_index))


class LetterChoice(SampleLevelComputation):
    """lm-eval's built-in ``acc``: the highest summed log-likelihood (first on ties)."""

    def compute(self, doc: Doc, model_response: Any, **kwargs: Any) -> dict[str, float]:
        return {"acc": float(argmax_first([float(x) for x in model_response.logprobs]) == int(doc.gold_index))}


def _grouping(names: list[str], fn: SampleLevelComputation) -> SampleLevelMetricGrouping:
    return SampleLevelMetricGrouping(
        metric_name=names, higher_is_better=dict.fromkeys(names, True), category=SamplingMethod.LOGPROBS,
        sample_level_fn=fn, corpus_level_fn=dict.fromkeys(names, np.mean),
    )


PER_TOKEN_METRICS = _grouping(list(METRIC_OF_RULE.values()), MultipleChoiceRules())
LETTER_METRICS = _grouping(["acc"], LetterChoice())


# ---------------------------------------------------------------------------------------------------- PolyFact
def polyfact_prompt(lang: str, origin: str) -> Callable[[dict, str], Doc]:
    """Row -> Doc with PolyFact's own validation and gold rule (a bad row fails naming source, row, fact, field)."""

    def prompt(line: dict, task_name: str | None = None) -> Doc:
        raw = {k: v for k, v in line.items() if not k.startswith("__")}
        row = validate_row(raw, lang, origin, int(line.get("__index", 0)) + 1)
        return Doc(
            task_name=task_name, query=POLYFACT_PROMPT.format(question=row["question"]),
            choices=[" " + option for option in row["options"]], gold_index=row["gold"],
            specific={"item": row["fact_id"], "lang": lang, "options": row["options"],
                      "option_ids": row["option_ids"]},
        )

    return prompt


def _keep_clean(line: dict) -> bool:
    return fact_property(str(line.get("fact_id", ""))) not in CLEAN_EXCLUDED_PROPERTIES


def _source(hub_id: str, lang: str, local_env: str) -> tuple[str, str]:
    """``(hf_repo, hf_subset)``: a local copy ``$ENV/<lang>`` (its test*/dev* files) or the hub config."""
    local = os.environ.get(local_env)
    return (os.path.join(local, lang), "default") if local else (hub_id, lang)


def polyfact_tasks() -> list[LightevalTaskConfig]:
    configs = []
    for name, source, clean in (("polyfact", "polyfact", False), ("polyfact_clean", "clean", True)):
        for lang in LANGUAGES:
            repo, subset = _source(HUB_DATASETS[source], lang, DATA_DIR_ENV)
            configs.append(XlfactTaskConfig(
                name=f"{name}:{lang}", prompt_function=polyfact_prompt(lang, f"{repo}[{subset}]/test"),
                hf_repo=repo, hf_subset=subset, hf_filter=_keep_clean if clean else None,
                hf_avail_splits=["test"], evaluation_splits=["test"], few_shots_split=None,
                metrics=[PER_TOKEN_METRICS], version=1,
            ))
    return configs


# ---------------------------------------------------------------------------------------------------- Global-MMLU
def global_mmlu_prompt(lang: str, origin: str) -> Callable[[dict, str], Doc]:
    def prompt(line: dict, task_name: str | None = None) -> Doc:
        validate_gmmlu_row(line, f"{origin} row {int(line.get('__index', 0)) + 1}")
        fields = {k: line[k] for k in ("option_a", "option_b", "option_c", "option_d")}
        return Doc(
            task_name=task_name, query=GLOBAL_MMLU_PROMPT.format(question=line["question"].strip(), **fields),
            choices=[f" {letter}" for letter in LETTERS], gold_index=LETTERS.index(line["answer"]),
            specific={"item": line["sample_id"], "lang": lang, "options": list(LETTERS), "option_ids": []},
        )

    return prompt


def global_mmlu_tasks() -> list[LightevalTaskConfig]:
    from xlfact.tasks.global_mmlu.builtin import builtin_dataset

    configs = []
    for variant, name, langs in (("full", "xlfact_global_mmlu", GMMLU_LANGUAGES),
                                 ("lite", "xlfact_global_mmlu_lite", LITE_LANGUAGES)):
        for lang in langs:
            local = os.environ.get(DIR_ENVS[variant])
            repo, subset = (os.path.join(local, lang), "default") if local else builtin_dataset(variant, lang)
            configs.append(XlfactTaskConfig(
                name=f"{name}:{lang}", prompt_function=global_mmlu_prompt(lang, f"{repo}[{subset}]/test"),
                hf_repo=repo, hf_subset=subset, hf_avail_splits=["test", "dev"], evaluation_splits=["test"],
                few_shots_split="dev", few_shots_select="sequential", metrics=[LETTER_METRICS], version=1,
            ))
    return configs


# ---------------------------------------------------------------------------------------------------- task hooks
@dataclass
class XlfactTaskConfig(LightevalTaskConfig):
    """An xlfact task: its documents are taken in file order (``--max-samples N`` = lm-eval's ``--limit N``), and, with
    a ``dataset_loader`` (a ``custom_dataset`` hook of the lm-eval tasks), its rows come from that loader instead of
    ``datasets.load_dataset(hf_repo, hf_subset)``: KLAR-CLC and CLiKA are folders of the authors' JSON files with no
    hub dataset, and their loaders validate every row and build the prompts (``hf_repo`` then only names the source)."""

    dataset_loader: Callable[[], Any] | None = None


def install_task_hooks() -> None:
    """Two hooks on ``LightevalTask``, for :class:`XlfactTaskConfig` tasks only (every other task runs as before):

    * the dataset step (``download_dataset_worker``, which the pipeline calls once per task) calls the config's
      ``dataset_loader`` when it has one;
    * ``get_docs(max_samples)`` returns the documents in file order (LightEval's own ``get_docs`` shuffles them with a
      fixed seed before taking the first ``max_samples``), so a subset is the one lm-eval's ``--limit`` scores.

    LightEval's files are not changed; the hooks are installed once per process (module reloads included), when
    LightEval reads ``TASKS_TABLE``."""
    original_download = LightevalTask.download_dataset_worker
    if not getattr(original_download, "_xlfact_hook", False):

        def download_dataset_worker(task: LightevalTask) -> Any:
            loader = getattr(task.config, "dataset_loader", None)
            if loader is None:
                return original_download(task)
            dataset = loader()
            return dataset.filter(task.dataset_filter) if task.dataset_filter is not None else dataset

        download_dataset_worker._xlfact_hook = True  # type: ignore[attr-defined]
        LightevalTask.download_dataset_worker = staticmethod(download_dataset_worker)

    original_get_docs = LightevalTask.get_docs
    if not getattr(original_get_docs, "_xlfact_hook", False):

        def get_docs(self: LightevalTask, max_samples: int | None = None) -> list[Doc]:
            if not isinstance(self.config, XlfactTaskConfig):
                return original_get_docs(self, max_samples)
            docs = sorted(original_get_docs(self, None), key=lambda doc: int(doc.id))
            return docs[:max_samples] if max_samples else docs

        get_docs._xlfact_hook = True  # type: ignore[attr-defined]
        LightevalTask.get_docs = get_docs


# ---------------------------------------------------------------------------------------------------- KLAR-CLC
KLAR_MAX_NEW_TOKENS = 10  # tasks/klar/_klar_template_yaml: max_gen_toks 10, until [] (backends still stop at EOS)


def klar_prompt(line: dict, task_name: str | None = None) -> Doc:
    """A document of :func:`xlfact.tasks.klar.utils.load_klar` (already validated, prompt already built) -> Doc."""
    return Doc(
        task_name=task_name, query=line["prompt"], choices=[line["target"]], gold_index=0,
        specific={"item": line["id"], "lang": line["lang"], "target": line["target"], "relation": line["relation"]},
    )


def klar_record(doc: Doc, model_response: Any) -> dict[str, Any]:
    """The KLAR-CLC record of one generation, as ``tasks/klar/utils.process_results`` logs it: the prediction is the
    raw generation (LightEval's ``text``, not its reasoning-stripped ``final_text``) up to its first newline."""
    output = model_response.text[0] if model_response.text else ""
    prediction = first_line(output)
    target = doc.specific["target"]
    return make_record(KLAR_BENCHMARK, doc.specific["item"], doc.specific["lang"],
                       answer_matches(prediction, target, mode="lenient"),
                       exact=answer_matches(prediction, target, mode="exact"), prediction=prediction, output=output,
                       target=target, relation=doc.specific["relation"])


class KlarAnswer(SampleLevelComputation):
    """``acc`` (lenient) and ``exact`` of the shared KLAR-CLC matcher on the first line of the generation."""

    def compute(self, doc: Doc, model_response: Any, **kwargs: Any) -> dict[str, float]:
        record = klar_record(doc, model_response)
        return {"acc": float(record["correct"]), "exact": float(record["exact"])}


KLAR_METRICS = SampleLevelMetricGrouping(
    metric_name=["acc", "exact"], higher_is_better={"acc": True, "exact": True}, category=SamplingMethod.GENERATIVE,
    sample_level_fn=KlarAnswer(), corpus_level_fn={"acc": np.mean, "exact": np.mean},
)


def klar_tasks() -> list[LightevalTaskConfig]:
    return [
        XlfactTaskConfig(
            name=f"klar:{lang}", prompt_function=klar_prompt, hf_repo=f"KLAR-CLC/{lang} (${KLAR_DIR_ENV})",
            hf_subset="default", dataset_loader=lambda lang=lang: load_klar(xlfact_lang=lang),
            hf_avail_splits=["test"], evaluation_splits=["test"], few_shots_split=None,
            generation_size=KLAR_MAX_NEW_TOKENS, stop_sequence=[], metrics=[KLAR_METRICS], version=1,
        )
        for lang in KLAR_LANGUAGES
    ]


# ---------------------------------------------------------------------------------------------------- CLiKA
def clika_prompt(line: dict, task_name: str | None = None) -> Doc:
    """A document of :func:`xlfact.tasks.clika.utils.load_multiple_choice` -> Doc whose choices are the bare option
    letters: the prompt ends in ``Answer:`` and lm-eval scores ``"A"``, ``"B"``, ... with ``target_delimiter: ""``."""
    return Doc(
        task_name=task_name, query=line["prompt"], choices=list(line["letters"]), gold_index=int(line["gold"]),
        specific={"item": line["id"], "lang": line["lang"], "task": line["task"], "letters": list(line["letters"]),
                  "ra_reference": float(line["ra_reference"])},
    )


def clika_record(doc: Doc, model_response: Any) -> dict[str, Any]:
    """The CLiKA record of one item, as ``tasks/clika/utils.process_multiple_choice`` logs it (benchmark
    ``clika_<task>``, the letter log-likelihoods as scores, the most likely letter as prediction)."""
    loglikelihoods = [float(x) for x in model_response.logprobs]
    pred = argmax_letter(loglikelihoods)
    gold = int(doc.gold_index)
    spec = doc.specific
    return make_record(f"clika_{spec['task']}", spec["item"], spec["lang"], pred == gold, scores=loglikelihoods,
                       gold=gold, protocol="loglikelihood", prediction=spec["letters"][pred],
                       ra_reference=spec["ra_reference"])


class ClikaLetter(SampleLevelComputation):
    """``acc``: the most likely option letter is the gold one (ties: the first); ``ra`` carries the same value and
    is re-scaled per task at corpus level."""

    def compute(self, doc: Doc, model_response: Any, **kwargs: Any) -> dict[str, float]:
        correct = float(clika_record(doc, model_response)["correct"])
        return {"acc": correct, "ra": correct}


class RescaledAccuracy:
    """Corpus-level ``ra`` of one CLiKA task: the shared re-scaled accuracy of the task's mean correctness.

    A module-level class, not a closure: LightEval bootstraps the stderr of a non-mean aggregation in worker
    processes, which pickle it; its ``__name__`` must not contain "mean" (LightEval would then use the plain stderr of
    the mean)."""

    def __init__(self, task: str) -> None:
        self.task = task
        self.__name__ = f"rescaled_accuracy_{task}"

    def __call__(self, values: list[float]) -> float:
        return rescaled_accuracy(float(np.mean(values)), self.task) if len(values) else float("nan")


CLIKA_METRICS = {
    task: SampleLevelMetricGrouping(
        metric_name=["acc", "ra"], higher_is_better={"acc": True, "ra": True}, category=SamplingMethod.LOGPROBS,
        sample_level_fn=ClikaLetter(), corpus_level_fn={"acc": np.mean, "ra": RescaledAccuracy(task)},
    )
    for task in CLIKA_TASKS
}


def clika_tasks() -> list[LightevalTaskConfig]:
    return [
        XlfactTaskConfig(
            name=f"clika_{task}:{lang}", prompt_function=clika_prompt,
            hf_repo=f"CLiKA/{task}/{lang} (${CLIKA_DIR_ENV})", hf_subset="default",
            dataset_loader=lambda task=task, lang=lang: load_multiple_choice(xlfact_clika_task=task, xlfact_lang=lang),
            hf_avail_splits=["test"], evaluation_splits=["test"], few_shots_split=None,
            metrics=[CLIKA_METRICS[task]], version=1,
        )
        for task in CLIKA_TASKS
        for lang in CLIKA_LANGUAGES
    ]


# ---------------------------------------------------------------------------------------------------- records
BENCHMARK_OF_TASK = {"polyfact": "polyfact", "polyfact_clean": "polyfact_clean",
                     "xlfact_global_mmlu": "global_mmlu", "xlfact_global_mmlu_lite": "global_mmlu_lite"}


def record_of_detail(task: str, doc: Doc, model_response: Any) -> dict[str, Any]:
    """The xlfact cross-lingual record of one LightEval detail (same shape as the lm-eval tasks log)."""
    base = task.split("|")[0].split(":")[0]
    if base == "klar":
        return klar_record(doc, model_response)
    if base.startswith("clika_"):
        return clika_record(doc, model_response)
    lls = [float(x) for x in model_response.logprobs]
    options = doc.specific["options"]
    if base.startswith("polyfact"):
        counts = option_token_counts(doc, model_response)
        scores = option_scores(lls, counts, options)["per_token"]
    else:
        counts, scores = [], lls
    aligned, gold = align_slots(scores, int(doc.gold_index), doc.specific.get("option_ids") or [])
    return make_record(BENCHMARK_OF_TASK[base], doc.specific["item"], doc.specific["lang"],
                       argmax_first(aligned) == gold, scores=aligned, gold=gold, loglikelihoods=lls,
                       token_counts=counts)


def records_from_details(details: dict[str, Iterable[Any]]) -> list[dict[str, Any]]:
    """Records of every sample in a LightEval ``DetailsLogger.details`` mapping (task -> details)."""
    return [record_of_detail(task, d.doc, d.model_response) for task, items in details.items() for d in items]

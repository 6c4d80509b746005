"""xlfact's benchmarks as a LightEval custom-tasks module: ``--custom-tasks xlfact.tasks.lighteval_tasks``.

Same prompts, same data rules and same scorers as the lm-eval tasks:

* ``polyfact:<lang>`` / ``polyfact_clean:<lang>`` (supersets ``polyfact``, ``polyfact_clean``): ``Question:
  {question}\\nAnswer:`` + ``" " + option``; rows validated and gold resolved by :mod:`xlfact.tasks.polyfact.data`;
  ``acc`` = mean log-probability per option token (:mod:`xlfact.evaluators.multiple_choice`), with ``acc_sum``,
  ``acc_norm`` (per character) and ``acc_bytes`` beside it. LightEval's own per-token normalisation is not used: on
  its transformers backend it counts padded continuation tokens (LightEval issue #1170), and its ``output_tokens``
  cannot be used either: the gather path slices the continuation rows twice (``[:num_choices][:len_choice]``), so a
  document whose longest option is shorter than the number of options loses rows. We count option tokens as the
  lm-eval path does (:func:`xlfact.evaluators.multiple_choice.continuation_token_counts`: ``context + option``
  re-tokenised with the model's tokenizer), which is also how LightEval split them when it scored them. The tokenizer
  is ``XLFACT_TOKENIZER`` when set, else the ``model_name`` (or ``tokenizer``) of the model arguments given to
  ``python -m xlfact.tasks.lighteval_tasks``.
* ``xlfact_global_mmlu:<lang>`` / ``xlfact_global_mmlu_lite:<lang>``: lm-eval's built-in Global-MMLU prompt
  (``{question}\\nA. ..\\nD. ..\\nAnswer:`` + ``" A"`` .. ``" D"``), the dataset the installed lm-eval's built-in task
  names, ``acc`` = highest summed log-likelihood (lm-eval's built-in rule).

* ``klar:<lang>`` (superset ``klar``, the 17 KLAR-CLC languages): the documents of
  :func:`xlfact.tasks.klar.utils.load_klar` (the authors' prompt with its three in-file demonstrations, built by
  :mod:`xlfact.tasks.klar.data`), greedy generation of at most 10 new tokens with no stop string but EOS; the
  prediction is the generation up to its first newline (:func:`xlfact.tasks.klar.utils.first_line`), scored by
  :func:`xlfact.evaluators.matching.answer_matches`: ``acc`` (lenient, the authors' default) and ``exact``.
* ``clika_<task>:<lang>`` (task ``xcsqa xcopa xgeo xpeo``, supersets ``clika_<task>``, the 10 CLiKA languages): the
  documents of :func:`xlfact.tasks.clika.utils.load_multiple_choice` (the authors' one-shot prompt ending in
  ``Answer:``), the bare option letters scored right after the colon (lm-eval's ``target_delimiter: ""``), the most
  likely letter wins (:func:`xlfact.evaluators.clika.argmax_letter`); ``acc`` and ``ra`` (re-scaled accuracy,
  :func:`xlfact.evaluators.clika.rescaled_accuracy` with the authors' reference constants). LightEval's transformers
  backend tokenises each letter on its own; that equals lm-eval's split of ``prompt + letter`` for byte-level BPE
  tokenizers, not for SentencePiece ones that prefix a lone word with ``▁`` (e.g. Llama 2).

Every sample also carries the xlfact cross-lingual record (``specific["xlfact_record"]`` on the doc after scoring is
not possible in LightEval, so :func:`records_from_details` rebuilds records from LightEval's details), which
``xlfact.evaluators.consistency`` turns into total consistency, RankC and en-CO.

Data: the hub datasets, or local copies in the hub layout named by ``XLFACT_DATA_DIR`` (PolyFact,
``DIR/<lang>/test.jsonl``), ``XLFACT_GLOBAL_MMLU_DIR`` and ``XLFACT_GLOBAL_MMLU_LITE_DIR`` (``DIR/<lang>/test*``).
KLAR-CLC and CLiKA have no hub dataset: ``XLFACT_KLAR_DIR`` (else ``./KLAR-CLC``) and ``XLFACT_CLIKA_DIR`` name the
authors' folders, read when a task runs (LightEval has no ``--metadata``). Their rows come from the lm-eval tasks' own
loaders, not from ``datasets.load_dataset``: :class:`XlfactTaskConfig` carries the loader, and
:func:`install_task_hooks` makes LightEval's dataset step call it (every other task loads as before).

Same prompts and same documents as lm-eval:

* The prompts are plain completions, as lm-eval (no ``--apply_chat_template``) scores them. LightEval applies an
  instruct model's chat template unless told ``override_chat_template=False``; the entry point
  ``python -m xlfact.tasks.lighteval_tasks`` adds that to the model arguments when they do not say
  (:func:`model_args_without_chat_template`), for every task here: PolyFact as KLAR-CLC and CLiKA.
* ``--max-samples N`` takes the first N documents in file order, the ones lm-eval's ``--limit N`` takes. LightEval
  itself takes the first N after a seeded shuffle; for xlfact's tasks, :func:`install_task_hooks` puts its documents
  back in file order (``Doc.id`` is the row index, as in lm-eval's ``--samples``) before the first N are taken.

Nothing is patched on import. LightEval reads ``TASKS_TABLE`` when it loads this module as ``--custom-tasks``; that
read builds the table (with the data locations of that moment) and installs the two task hooks (the loader and the
order), which touch only xlfact's tasks. Offline: LightEval 0.13's registry imports modules that download at import
time; ``python -m xlfact.tasks.lighteval_tasks <lighteval arguments>`` applies :mod:`xlfact.tasks.lighteval_compat`
and then runs LightEval's own CLI (a caller that starts LightEval itself calls ``lighteval_compat.apply()``).
"""

from __future__ import annotations

import os
from typing import Any

from lighteval.tasks.lighteval_task import LightevalTaskConfig

from xlfact.tasks.lighteval_compat import apply
from xlfact.tasks.lighteval_configs import (  # noqa: F401 - the configs, rules and records, read from here too
    BENCHMARK_OF_TASK,
    CLIKA_METRICS,
    GLOBAL_MMLU_PROMPT,
    KLAR_MAX_NEW_TOKENS,
    KLAR_METRICS,
    LETTER_METRICS,
    PER_TOKEN_METRICS,
    POLYFACT_PROMPT,
    TOKENIZER_ENV,
    ClikaLetter,
    KlarAnswer,
    LetterChoice,
    MultipleChoiceRules,
    RescaledAccuracy,
    XlfactTaskConfig,
    clika_prompt,
    clika_record,
    clika_tasks,
    global_mmlu_prompt,
    global_mmlu_tasks,
    install_task_hooks,
    klar_prompt,
    klar_record,
    klar_tasks,
    option_token_counts,
    polyfact_prompt,
    polyfact_tasks,
    record_of_detail,
    records_from_details,
    scored_token_counts,
)
from xlfact.tasks.registry import BENCHMARKS


def task_table() -> list[LightevalTaskConfig]:
    """Every benchmark's LightEval tasks, from its ``lighteval_tasks`` hook (:mod:`xlfact.tasks.registry`), with the
    data locations the environment names now."""
    return [task for bench in BENCHMARKS if bench.lighteval_tasks for task in bench.lighteval_tasks()]


def __getattr__(name: str) -> Any:
    """``TASKS_TABLE``, read by LightEval from a ``--custom-tasks`` module: built when read, and the task hooks
    (:func:`install_task_hooks`) installed then, so that importing this module patches nothing."""
    if name == "TASKS_TABLE":
        install_task_hooks()
        return task_table()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def tokenizer_from_model_args(argv: list[str]) -> str | None:
    """The tokenizer named by LightEval's model arguments (``tokenizer=`` or ``model_name=``), if given inline."""
    for arg in argv:
        if "model_name=" not in arg:
            continue
        fields = dict(part.split("=", 1) for part in arg.split(",") if "=" in part)
        return fields.get("tokenizer") or fields.get("model_name")
    return None


CHAT_TEMPLATE_ARG = "override_chat_template"


def model_args_without_chat_template(argv: list[str]) -> list[str]:
    """``argv`` with ``override_chat_template=False`` added to the inline model arguments (the argument naming
    ``model_name=``) unless they set it: the prompts are plain completions, as lm-eval scores them, and LightEval
    would otherwise wrap them in an instruct model's chat template (its default). A model-arguments YAML file is
    left as it is; a note says so when the file does not set the key."""
    import sys

    out = list(argv)
    for i, arg in enumerate(out):
        if "model_name=" in arg:
            keys = {part.split("=", 1)[0].strip() for part in arg.split(",") if "=" in part}
            if CHAT_TEMPLATE_ARG not in keys:
                out[i] = f"{arg},{CHAT_TEMPLATE_ARG}=False"
            return out
        if arg.endswith((".yaml", ".yml")) and os.path.isfile(arg):
            with open(arg, encoding="utf-8") as handle:
                if CHAT_TEMPLATE_ARG not in handle.read():
                    print(f"xlfact: {arg} does not set {CHAT_TEMPLATE_ARG}; LightEval will apply an instruct model's "
                          f"chat template, which lm-eval does not (set {CHAT_TEMPLATE_ARG}: false for lm-eval's "
                          "prompts)", file=sys.stderr)
            return out
    return out


def main(argv: list[str] | None = None) -> int:
    """``python -m xlfact.tasks.lighteval_tasks ARGS``: LightEval's CLI (``lighteval ARGS``) after the offline fixes,
    with the model's tokenizer named for the per-token rule and lm-eval's plain prompts (no chat template) unless
    the model arguments ask for the template."""
    import sys

    argv = model_args_without_chat_template(list(sys.argv[1:] if argv is None else argv))
    if not os.environ.get(TOKENIZER_ENV) and (name := tokenizer_from_model_args(argv)):
        os.environ[TOKENIZER_ENV] = name
    apply()
    from lighteval.__main__ import app

    enable_xlfact_loggers()
    app(args=argv, prog_name="lighteval")
    return 0


def enable_xlfact_loggers() -> None:
    """Importing ``lighteval.__main__`` runs ``logging.config.dictConfig`` with ``disable_existing_loggers`` left at
    True, which silences every logger created before it: xlfact's loaders' warnings (rows skipped, filters' kept
    counts) would vanish from a LightEval run, and from the rest of a process that ran it. Turn xlfact's back on."""
    import logging

    for name, logger in logging.Logger.manager.loggerDict.items():
        if (name == "xlfact" or name.startswith("xlfact.")) and isinstance(logger, logging.Logger):
            logger.disabled = False


if __name__ == "__main__":
    raise SystemExit(main())

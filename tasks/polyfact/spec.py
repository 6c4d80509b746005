"""PolyFact's specification: the one place that says which languages, groups, option letters, data sources,
metadata keys and prompt the benchmark has. Task generators, loaders, the LightEval module, training, the report and
the leaderboard read it from here, so a change (a 13th language, a new revision) is made once.

Global-MMLU is grouped over the same languages (``tasks/global_mmlu``) and reads them here too.
"""

from __future__ import annotations

BENCHMARK = "polyfact"

# The paper's 12 languages, in its table order, and its high/low-resource split.
LANGUAGES: tuple[str, ...] = ("en", "de", "es", "fr", "pt", "id", "ru", "ar", "zh", "ja", "sw", "bn")
LOW_RESOURCE: tuple[str, ...] = ("id", "bn", "sw")
HIGH_RESOURCE: tuple[str, ...] = tuple(lang for lang in LANGUAGES if lang not in LOW_RESOURCE)
LANGUAGE_GROUPS: dict[str, tuple[str, ...]] = {"high": HIGH_RESOURCE, "low": LOW_RESOURCE}

# Four options per question; their letters (for letter-choice prompts: training, Global-MMLU) and hub columns.
OPTION_LETTERS: tuple[str, ...] = ("A", "B", "C", "D")
OPTION_FIELDS: tuple[str, ...] = ("option_a", "option_b", "option_c", "option_d")

# Hub datasets (``source`` metadata key). ``data_revision`` (metadata key, or XLFACT_POLYFACT_REVISION) pins a hub
# commit; none is pinned here by default: this release was built offline and could not read the hub's history.
HUB_DATASETS: dict[str, str] = {
    "polyfact": "jvonrad/PolyFact",
    "clean": "jvonrad/PolyFact-Clean",
    "wikifact": "jvonrad/WIKI-FACT",
}
HUB_REVISIONS: dict[str, str | None] = {source: None for source in HUB_DATASETS}

# What a user passes (``--metadata key=value`` or the environment) and what the task YAMLs pass.
DATA_DIR_ENV = "XLFACT_DATA_DIR"
REVISION_ENV = "XLFACT_POLYFACT_REVISION"
METADATA_KEYS: dict[str, str] = {
    "data_dir": f"local copy in the hub layout DIR/<lang>/<split>.jsonl (or ${DATA_DIR_ENV})",
    "source": "polyfact | clean | wikifact (overrides the task's xlfact_source)",
    "data_revision": f"hub commit or tag of the dataset (or ${REVISION_ENV}; not 'revision', which --model_args uses)",
    "split": "split to evaluate (default test)",
    "on_invalid": "error | skip: what a bad row does (skipped rows are counted and logged)",
    "min_langs_verified": "keep facts whose n_langs_verified label is at least N (kept counts are logged)",
    "question_verified": "true: keep facts whose question_verified label is true (kept counts are logged)",
}

# The evaluation prompt (tasks/polyfact/_polyfact_template_yaml: doc_to_text / target_delimiter / doc_to_choice).
PROMPT = "Question: {question}\nAnswer:"
TARGET_DELIMITER = " "


def prompt(question: str) -> str:
    """The context every PolyFact option is scored after."""
    return PROMPT.format(question=question)


def continuation(option: str) -> str:
    """What is scored for one option: the option after the target delimiter."""
    return f"{TARGET_DELIMITER}{option}"


# Language names used in prompts that name the answer's language.
LANGUAGE_NAMES: dict[str, str] = {
    "en": "English", "de": "German", "es": "Spanish", "fr": "French", "pt": "Portuguese", "id": "Indonesian",
    "ru": "Russian", "ar": "Arabic", "zh": "Chinese", "ja": "Japanese", "sw": "Swahili", "bn": "Bengali",
}

# The authors' free-form prompt (cl-consistency/train_wikifact_grpo.py, build_single_language_prompt): English for
# every language, naming the language of the expected answer, lettered options, "Answer text:". The GRPO rollouts
# (training/data.py) and the free-form task polyfact_gen_<lang> both use it.
FREE_FORM_PROMPT = (
    "You will be given one factual multiple-choice question in {language}.\n"
    "Return only the full answer text in {language}.\n"
    "Do not return the letter.\n"
    "Do not explain.\n\n"
    "Question: {question}\n"
    "A. {a}\nB. {b}\nC. {c}\nD. {d}\n\n"
    "Answer text:"
)


def free_form_prompt(question: str, options: list[str], lang: str) -> str:
    """The authors' free-form prompt of one (fact, language)."""
    a, b, c, d = options
    return FREE_FORM_PROMPT.format(language=LANGUAGE_NAMES.get(lang, lang), question=question, a=a, b=b, c=c, d=d)

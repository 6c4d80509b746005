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

"""Training data of the PolyFact recipes: parallel facts (all languages of a fact together) and their prompts.

Rows are read through :func:`xlfact.tasks.polyfact.data.load_polyfact`, the loader the evaluation uses, so training
and evaluation validate the same way and agree on the gold slot. A fact that lacks one of the requested languages
cannot be trained with a cross-language term (the consistency loss, the all-languages reward); such facts are counted,
logged and listed in the model card, never dropped silently.
"""

from __future__ import annotations

import hashlib
import logging
import random
from dataclasses import dataclass, field
from typing import Any

from xlfact.tasks.polyfact.data import load_polyfact
from xlfact.tasks.polyfact.spec import FREE_FORM_PROMPT, LANGUAGE_NAMES, OPTION_LETTERS, free_form_prompt
from xlfact.tasks.polyfact.spec import LANGUAGES as POLYFACT_LANGUAGES
from xlfact.training import schema
from xlfact.training.config import RecipeError

log = logging.getLogger(__name__)

@dataclass
class ParallelFacts:
    """Facts with every requested language, in a fixed order, and what was left out and why."""

    languages: list[str]
    facts: list[dict[str, dict[str, Any]]]  # [{lang: validated row}] — row has question, options, gold, fact_id
    source: str
    skipped_incomplete: int = 0
    notes: list[str] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)  # local file -> SHA-256

    @property
    def fact_ids(self) -> list[str]:
        return [next(iter(f.values()))["fact_id"] for f in self.facts]

    def describe(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "languages": self.languages,
            "facts": len(self.facts),
            "facts_skipped_missing_a_language": self.skipped_incomplete,
            "fact_ids_sha256": hashlib.sha256("\n".join(self.fact_ids).encode("utf-8")).hexdigest(),
            "files_sha256": self.files or "hub dataset (no local files)",
        }


def load_parallel_facts(data: dict[str, Any], where: str = "recipe data") -> ParallelFacts:
    """Read ``data.languages`` of a PolyFact source and keep the facts present in all of them.

    Keys: ``languages`` (list, default the 12 PolyFact languages), ``data_dir`` (local copy in the hub layout; else
    the hub dataset of ``source``: polyfact | clean | wikifact), ``split`` (default ``train``), ``clean_filter``,
    ``max_facts`` (first N after shuffling), ``shuffle_seed`` (facts are shuffled once, so that rows can stay
    fact-major with the trainer's own shuffling turned off; null keeps dataset order).
    """
    languages = list(data.get("languages") or POLYFACT_LANGUAGES)
    if len(set(languages)) != len(languages):
        raise RecipeError(f"{where}: data.languages repeats a language: {languages}")
    defaults = schema.PolyFactData()
    split = data.get("split", defaults.split)
    source = data.get("source", defaults.source)
    data_dir = data.get("data_dir")
    per_lang: dict[str, dict[str, dict[str, Any]]] = {}
    order: list[str] = []
    for lang in languages:
        rows = load_polyfact(lang, source=source, data_dir=data_dir, split=split,
                             clean_filter=bool(data.get("clean_filter", defaults.clean_filter)),
                             on_invalid=data.get("on_invalid", defaults.on_invalid))
        per_lang[lang] = {row["fact_id"]: row for row in rows}
        if not order:
            order = [row["fact_id"] for row in rows]
    complete = [fid for fid in order if all(fid in per_lang[lang] for lang in languages)]
    seen_anywhere = set().union(*(set(v) for v in per_lang.values()))
    skipped = len(seen_anywhere) - len(complete)
    if skipped:
        log.warning("%s: %d of %d facts lack at least one of %s and are not trained on", where, skipped,
                    len(seen_anywhere), ",".join(languages))
    if data.get("shuffle_seed") is not None:
        random.Random(int(data["shuffle_seed"])).shuffle(complete)
    if data.get("max_facts"):
        complete = complete[: int(data["max_facts"])]
    if not complete:
        raise RecipeError(f"{where}: no fact has all of the languages {languages} in split {split!r}")
    facts = [{lang: per_lang[lang][fid] for lang in languages} for fid in complete]
    origin = str(data_dir) if data_dir else f"hub:{source}"
    files = {}
    if data_dir:
        from xlfact.tasks.polyfact.data import local_file
        from xlfact.training.model_io import file_sha256

        for lang in languages:
            path = local_file(data_dir, None if source == "wikifact" else lang, split)
            files[str(path)] = file_sha256(path)
    return ParallelFacts(languages, facts, f"{origin} (split {split})", skipped, files=files)


def eval_data_section(data: dict[str, Any]) -> dict[str, Any]:
    """The ``data`` section for the evaluation facts: ``eval_split``, its first ``eval_max_facts``, dataset order."""
    return {**data, "split": data["eval_split"], "max_facts": data.get("eval_max_facts"), "shuffle_seed": None}


def evaluates_during_training(eval_strategy: Any) -> bool:
    """Whether ``training.eval_strategy`` evaluates during training (a string or transformers' enum)."""
    return str(eval_strategy) not in ("no", "IntervalStrategy.NO")


def recipe_facts(config: dict[str, Any], data: dict[str, Any], eval_strategy: Any) -> tuple[ParallelFacts,
                                                                                       ParallelFacts | None]:
    """``(training facts, evaluation facts or None)`` of a recipe: the evaluation facts are the ``eval_split`` ones
    when the recipe names one; a recipe that evaluates during training must name one (the papers evaluate on the
    validation split, never on the training facts)."""
    from xlfact.training.config import RecipeError

    if evaluates_during_training(eval_strategy) and not data.get("eval_split"):
        raise RecipeError(f"{config['_source']}: training.eval_strategy is {eval_strategy} but data.eval_split "
                          "is not set (the paper evaluates on the validation split)")
    facts = load_parallel_facts(data, f"{config['_source']} data")
    eval_facts = (load_parallel_facts(eval_data_section(data), f"{config['_source']} data (eval)")
                  if data.get("eval_split") else None)
    return facts, eval_facts


# ----------------------------------------------------------------------------------------------------- prompts
def cloze_prompt(question: str) -> str:
    """PolyFact's evaluation prompt; the answer follows as ``" " + option``."""
    return f"Question: {question}\nAnswer:"


def mcq_prompt(question: str, options: list[str]) -> str:
    """The question with lettered options; the answer follows as ``" " + letter``."""
    lines = "".join(f"{OPTION_LETTERS[i]}. {text}\n" for i, text in enumerate(options))
    return f"Question: {question}\n{lines}Answer:"


# The authors' rollout prompt lives in the PolyFact spec (the free-form task uses it too).
AUTHORS_PROMPT = FREE_FORM_PROMPT
# xlfact's own English instruction (before the authors' prompt was checked; kept as an alternative).
ENGLISH_SCAFFOLD = (
    "Answer the question in {language}. Reply with the text of the correct option only.\n"
    "Question: {question}\nOptions: {options}\nAnswer:"
)
# Native-language scaffolds: the same instruction written in the target language.
NATIVE_SCAFFOLDS = {
    "en": "Answer the question in English. Reply with the text of the correct option only.",
    "de": "Beantworte die Frage auf Deutsch. Antworte nur mit dem Text der richtigen Option.",
    "es": "Responde a la pregunta en español. Responde solo con el texto de la opción correcta.",
    "fr": "Réponds à la question en français. Réponds uniquement avec le texte de la bonne option.",
    "pt": "Responda à pergunta em português. Responda apenas com o texto da opção correta.",
    "id": "Jawab pertanyaan dalam bahasa Indonesia. Jawab hanya dengan teks pilihan yang benar.",
    "ru": "Ответьте на вопрос по-русски. Ответьте только текстом правильного варианта.",
    "ar": "أجب عن السؤال باللغة العربية. أجب بنص الخيار الصحيح فقط.",
    "zh": "请用中文回答问题。只回答正确选项的文本。",
    "ja": "日本語で質問に答えてください。正しい選択肢のテキストだけを答えてください。",
    "sw": "Jibu swali kwa Kiswahili. Jibu kwa maandishi ya chaguo sahihi pekee.",
    "bn": "প্রশ্নটির উত্তর বাংলায় দিন। শুধুমাত্র সঠিক বিকল্পের লেখাটি দিয়ে উত্তর দিন।",
}
PROMPT_STYLES = ("authors", "english_scaffold", "native_scaffold", "cloze")


def generation_prompt(row: dict[str, Any], lang: str, style: str = "authors") -> str:
    """The GRPO prompt of one (fact, language): asks for the answer text in the target language.

    ``authors`` (the PolyFact authors' rollout prompt), ``english_scaffold`` (xlfact's shorter English instruction),
    ``native_scaffold`` (that instruction in the target language) or ``cloze`` (PolyFact's bare evaluation prompt).
    """
    if style == "authors":
        return free_form_prompt(row["question"], list(row["options"]), lang)
    options = " | ".join(row["options"])
    if style == "english_scaffold":
        name = LANGUAGE_NAMES.get(lang, lang)
        return ENGLISH_SCAFFOLD.format(language=name, question=row["question"], options=options)
    if style == "native_scaffold":
        if lang not in NATIVE_SCAFFOLDS:
            raise RecipeError(f"no native-language scaffold for {lang!r}; available: {sorted(NATIVE_SCAFFOLDS)}")
        return f"{NATIVE_SCAFFOLDS[lang]}\nQuestion: {row['question']}\nOptions: {options}\nAnswer:"
    if style == "cloze":
        return cloze_prompt(row["question"])
    raise RecipeError(f"unknown prompt style {style!r}; expected one of {PROMPT_STYLES}")

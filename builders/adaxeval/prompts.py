"""Prompts of the four steps, written for xlfact after the rules of mlda-eval's ``datasets/generate_eval`` prompts
(``instructions.json``: factuality-check, generate-qa, inlang-filter, crosslang-filter), for any domain and language
pair rather than Japanese/English biomedical abstracts. Each prompt is a system message with the rules and the JSON
schema of the expected answer, and a user message with the input as a JSON block.
"""

from __future__ import annotations

import json
from typing import Any

from xlfact.builders.adaxeval.schema import (
    CrossLanguageCheck,
    FactJudgement,
    InLanguageCheck,
    QueryDraft,
    Translation,
    TripleAnswer,
    schema_instruction,
)

LANGUAGE_NAMES = {"en": "English", "ja": "Japanese", "zh": "Chinese", "de": "German", "fr": "French",
                  "es": "Spanish", "ru": "Russian", "ko": "Korean", "ar": "Arabic", "pt": "Portuguese"}


def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code, code)


FACT_CHECK = """You judge whether one sentence from a {language} document explicitly states generalizable factual \
knowledge that can be written as a triple (subject, relation, object).

Factual: general facts about entities, mechanisms, causes, definitions, properties, widely applicable procedures.
Not factual: observations of one specific case, statements of intent ("we aim to..."), descriptions of a setup \
without a result, vague background without a definite fact, sentences whose subject is an unresolved pronoun.

If factual, give the triple; if not, give "triple": null. Answer with one JSON object only, following this schema:
{schema}"""

TRIPLE = """Extract the single most important fact of a {language} sentence as a triple. The subject and object must \
be specific and self-contained (no "it", "this process"), copied from the sentence where possible; the relation is a \
short meaningful phrase. Answer with one JSON object only, following this schema:
{schema}"""

CRAFT = """You write one multiple-choice item in {language} that tests the key fact of a sentence, given the \
sentence and a reference triple.
1. Triple: keep it, or improve it so that it is faithful to the sentence and self-contained.
2. fill_in_blank: start from the sentence's own wording and replace exactly the object (or, if that gives an \
unclear answer, the subject) with [BLANK], exactly once. Keep every qualifier; add nothing.
3. answer: the exact phrase you blanked.
4. distractors: exactly 3 plausible but wrong options of the same type and similar length as the answer; no \
negations, nothing absurd.
5. question: a paraphrased, self-contained question asking for the answer, with different structure and words, \
adding or dropping no information.
Answer with one JSON object only, following this schema:
{schema}
{examples}"""

# Worked examples for CRAFT, as mlda-eval's generate-qa prompt gives five (biomedical) ones: here two of general
# knowledge, one blanking the object and one the subject (whose object would be a vague answer).
CRAFT_EXAMPLES = (
    ({"sentence": "Honey bees tell other bees where food is through a waggle dance.",
      "triple": {"subject": "Honey bees", "relation": "tell where food is through", "object": "a dance"}},
     {"triple": {"subject": "Honey bees", "relation": "tell other bees where food is through",
                 "object": "a waggle dance"},
      "fill_in_blank": "Honey bees tell other bees where food is through [BLANK].",
      "question": "How do honey bees show the other bees of their hive the way to food?",
      "answer": "a waggle dance",
      "distractors": ["a high-pitched buzz", "a scent trail on flowers", "a circling flight above the hive"]}),
    ({"sentence": "Copper is an excellent conductor of electricity.",
      "triple": {"subject": "Copper", "relation": "is", "object": "an excellent conductor of electricity"}},
     {"triple": {"subject": "Copper", "relation": "is", "object": "an excellent conductor of electricity"},
      "fill_in_blank": "[BLANK] is an excellent conductor of electricity.",
      "question": "Which metal conducts electricity very well?",
      "answer": "Copper",
      "distractors": ["Lead", "Bismuth", "Titanium"]}),
)


def _examples(pairs) -> str:
    return "".join(f"\nExample input:\n{json.dumps(i, ensure_ascii=False)}\nExample output:\n"
                   f"{json.dumps(o, ensure_ascii=False)}\n" for i, o in pairs)

TRANSLATE = """Translate a multiple-choice item from {source} into {target}. Keep [BLANK] exactly once in \
fill_in_blank, keep the meaning exact, and translate the answer and the 3 distractors in the same order. Answer with \
one JSON object only, following this schema:
{schema}"""

INLANG = """You check the quality of a {language} multiple-choice item built from a sentence. Be strict: when in \
doubt, answer Poor.
- fill_in_blank_quality Good only if putting the answer into [BLANK] gives back the sentence's fact, the prompt is \
grammatical, self-contained (no vague references) and states a general fact.
- paraphrase_quality Good only if the question asks for exactly the same fact, is self-contained and fluent {language}.
- options_quality Good only if the answer fills the blank exactly and the 3 distractors are plausible, wrong, of \
the same type and similar length.
Answer with one JSON object only, following this schema:
{schema}"""

CROSSLANG = """You are given a {other} document and a {language} question with its answer, derived from a sentence of \
the {language} version of that document. Score how well the {other} document ALONE lets a bilingual reader recover \
the same question and answer:
2 = one self-contained {other} sentence (or two consecutive ones) states the whole fact explicitly;
1 = the fact can be pieced together or guessed but is not stated directly;
0 = the document does not contain the fact, or answering needs outside knowledge.
Be conservative. Answer with one JSON object only, following this schema:
{schema}"""


def _user(payload: dict[str, Any]) -> str:
    return "### Input:\n```json\n" + json.dumps(payload, ensure_ascii=False, indent=2) + "\n```"


def messages(system: str, payload: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    return (("system", system), ("user", _user(payload)))


def fact_check(lang: str, sentence: str) -> tuple[tuple[str, str], ...]:
    system = FACT_CHECK.format(language=language_name(lang), schema=schema_instruction(FactJudgement))
    return messages(system, {"sentence": sentence})


def triple(lang: str, sentence: str) -> tuple[tuple[str, str], ...]:
    system = TRIPLE.format(language=language_name(lang), schema=schema_instruction(TripleAnswer))
    return messages(system, {"sentence": sentence})


def craft(lang: str, payload: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    system = CRAFT.format(language=language_name(lang), schema=schema_instruction(QueryDraft),
                          examples=_examples(CRAFT_EXAMPLES))
    return messages(system, payload)


def translate(source: str, target: str, payload: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    system = TRANSLATE.format(source=language_name(source), target=language_name(target),
                              schema=schema_instruction(Translation))
    return messages(system, payload)


def inlang(lang: str, payload: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    return messages(INLANG.format(language=language_name(lang), schema=schema_instruction(InLanguageCheck)), payload)


def crosslang(lang: str, other: str, payload: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    system = CROSSLANG.format(language=language_name(lang), other=language_name(other),
                              schema=schema_instruction(CrossLanguageCheck))
    return messages(system, payload)

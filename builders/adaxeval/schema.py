"""The structured answers each step expects from the LLM, and the one JSONL schema of a built dataset.

The LLM answers are pydantic models: an answer that does not parse or does not validate is a counted drop with the
validation message as its detail, never an exception that stops the build. The field names follow mlda-eval's
``datasets/generate_eval`` parsers (``factuality``/``triple``/``reason``; ``fill_in_blank``/``question``/``answer``/
``distractors``; ``*_quality`` Good|Poor; cross-language ``score``) so that a prompt written for one works
for the other.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError, field_validator, model_validator

BLANK = "[BLANK]"
SPLITS = ("memorization", "generalization")


class Triple(BaseModel):
    model_config = ConfigDict(extra="ignore")
    subject: str = Field(min_length=1)
    relation: str = Field(min_length=1)
    object: str = Field(min_length=1)

    @field_validator("subject", "relation", "object")
    @classmethod
    def _strip(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("empty")
        return value


class FactJudgement(BaseModel):
    """Step 1 (one judge's vote): does the sentence state a generalizable fact, and which triple?"""

    model_config = ConfigDict(extra="ignore")
    factuality: bool
    triple: Triple | None = None
    reason: str = ""

    @model_validator(mode="after")
    def _triple_only_when_factual(self) -> FactJudgement:
        if not self.factuality:
            self.triple = None
        return self


class TripleAnswer(BaseModel):
    """Step 2 fallback: a triple extracted directly when no judge gave a usable one."""

    model_config = ConfigDict(extra="ignore")
    triple: Triple


class QueryDraft(BaseModel):
    """Step 3: the cloze (memorization), the paraphrased question (generalization), answer and exactly 3 distractors."""

    model_config = ConfigDict(extra="ignore")
    triple: Triple | None = None
    fill_in_blank: str
    question: str = Field(min_length=1)
    answer: str = Field(min_length=1)
    distractors: list[str]

    @model_validator(mode="after")
    def _check(self) -> QueryDraft:
        self.fill_in_blank = self.fill_in_blank.strip()
        self.question = self.question.strip()
        self.answer = self.answer.strip()
        self.distractors = [d.strip() for d in self.distractors]
        if self.fill_in_blank.count(BLANK) != 1:
            if self.answer and self.fill_in_blank.count(self.answer) == 1 and degenerate_blank(self.fill_in_blank,
                                                                                               self.answer):
                raise ValueError(f"fill_in_blank has no {BLANK}, and the answer is nearly all of it: a degenerate "
                                 "cloze (not repaired)")
            raise ValueError(f"fill_in_blank must contain {BLANK} exactly once")
        if not _letters(self.fill_in_blank.replace(BLANK, "")):
            raise ValueError(f"fill_in_blank is {BLANK} alone: nothing to recall the answer from")
        if BLANK in self.question:
            raise ValueError(f"question must not contain {BLANK} (it is the paraphrased question, not the cloze)")
        if len(self.distractors) != 3:
            raise ValueError(f"expected exactly 3 distractors, got {len(self.distractors)}")
        options = [self.answer, *self.distractors]
        if any(not o for o in options):
            raise ValueError("an option is empty")
        if len({o.casefold() for o in options}) != 4:
            raise ValueError("the answer and distractors are not 4 distinct options")
        return self


class Translation(BaseModel):
    """Step 3 (other languages): the same query in another language, options in the same order."""

    model_config = ConfigDict(extra="ignore")
    fill_in_blank: str
    question: str = Field(min_length=1)
    answer: str = Field(min_length=1)
    distractors: list[str]

    @model_validator(mode="after")
    def _check(self) -> Translation:
        QueryDraft.model_validate(self.model_dump())  # same rules as the source-language query
        return self


Quality = Literal["Good", "Poor"]


class InLanguageCheck(BaseModel):
    """Step 4a: every part must be Good (mlda-eval keeps an item only when all three are Good)."""

    model_config = ConfigDict(extra="ignore")
    fill_in_blank_quality: Quality
    paraphrase_quality: Quality
    options_quality: Quality
    explanations: dict[str, str] | str = ""

    @field_validator("fill_in_blank_quality", "paraphrase_quality", "options_quality", mode="before")
    @classmethod
    def _normalise(cls, value: object) -> object:
        return value.strip().capitalize() if isinstance(value, str) else value

    def poor_parts(self) -> list[str]:
        return [name for name in ("fill_in_blank_quality", "paraphrase_quality", "options_quality")
                if getattr(self, name) != "Good"]


class CrossLanguageCheck(BaseModel):
    """Step 4b: 2 fully supported by the other-language document, 1 partially, 0 not (mlda-eval keeps 2)."""

    model_config = ConfigDict(extra="ignore")
    score: int = Field(ge=0, le=2)
    explanation: str = ""
    associated_sentences: list[str] = []


# the answer models by name (``Request.schema``)
ANSWER_MODELS: dict[str, type[BaseModel]] = {m.__name__: m for m in (
    FactJudgement, TripleAnswer, QueryDraft, Translation, InLanguageCheck, CrossLanguageCheck)}


# ------------------------------------------------------------------------------------------- parsing LLM text
_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.S)
_REFUSAL = re.compile(r"\b(I can(?:no|')t|I am unable|I'm unable|I won't|I cannot help|as an AI)\b", re.I)


class AnswerError(Exception):
    """An LLM answer that cannot be used; ``reason`` is the drop reason (malformed | refusal | invalid)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def extract_json(text: str) -> object:
    """The first JSON object in an answer: a fenced block, else the outermost ``{...}``."""
    candidates = [m.group(1) for m in _FENCE.finditer(text)]
    start, end = text.find("{"), text.rfind("}")
    if start != -1 and end > start:
        candidates.append(text[start:end + 1])
    for candidate in candidates:
        try:
            return json.loads(candidate)
        except json.JSONDecodeError:
            continue
    raise ValueError("no JSON object found")


def parse_answer(text: str, model: type[BaseModel]) -> BaseModel:
    """Validate an LLM answer against ``model``; raises :class:`AnswerError` with the drop reason."""
    return parse_repaired(text, model)[0]


def parse_repaired(text: str, model: type[BaseModel],
                   repair: Callable[[Any], str | None] | None = None) -> tuple[BaseModel, str | None]:
    """:func:`parse_answer` with an optional deterministic ``repair`` of the parsed JSON before validation; returns the
    validated answer and the repair's description (None when nothing was changed), so that it can be counted."""
    try:
        data = extract_json(text)
    except ValueError:
        reason = "refusal" if _REFUSAL.search(text or "") else "malformed"
        raise AnswerError(reason, (text or "<empty>")[:200]) from None
    repaired = repair(data) if repair is not None else None
    try:
        return model.model_validate(data), repaired
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or model.__name__
        raise AnswerError("invalid", f"{where}: {first['msg']}") from None


def usable_answer(schema_name: str, text: str) -> bool:
    """Whether an answer parses and validates against the answer model named ``schema_name`` (with the step-3 blank
    repair, which the pipeline may apply): what the answer cache stores. Any text is usable for a request without an
    answer model."""
    model = ANSWER_MODELS.get(schema_name)
    if model is None:
        return True
    try:
        parse_repaired(text, model, insert_blank)
    except AnswerError:
        return False
    return True


def _letters(text: str) -> str:
    return "".join(c for c in text if c.isalnum())


MAX_BLANK_SHARE = 0.75


def degenerate_blank(cloze: str, answer: str) -> bool:
    """Whether blanking ``answer`` in ``cloze`` leaves too little to recall it from: the answer holds more than
    :data:`MAX_BLANK_SHARE` of the cloze's letters and digits (the whole sentence, or nearly). Half would be too
    strict: "The Nile flows into [BLANK]." blanks 54% ("the Mediterranean Sea"), "Mount Fuji is [BLANK]." 69%."""
    answer_letters = len(_letters(answer))
    total = answer_letters + len(_letters(cloze.replace(answer, "", 1)))
    return total > 0 and answer_letters > MAX_BLANK_SHARE * total


def insert_blank(data: Any) -> str | None:
    """Step 3 repair (xlfact's, counted in the build report): a ``fill_in_blank`` without ``[BLANK]`` that contains the
    ``answer`` verbatim exactly once gets that occurrence replaced by ``[BLANK]`` — the cloze the prompt asked for —
    unless that blank would be degenerate (:func:`degenerate_blank`). Anything else is left to the validation (a
    counted drop, whose detail names a degenerate blank)."""
    if not isinstance(data, dict):
        return None
    cloze, answer = data.get("fill_in_blank"), data.get("answer")
    if not isinstance(cloze, str) or not isinstance(answer, str) or BLANK in cloze:
        return None
    answer = answer.strip()
    if not answer or cloze.count(answer) != 1:
        return None
    if degenerate_blank(cloze, answer):
        return None
    data["fill_in_blank"] = cloze.replace(answer, BLANK, 1)
    return f"blank_inserted: {answer!r} in {cloze!r}"[:200]


def _plain_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema without pydantic's ``title`` and ``description`` entries, which repeat the field names
    and the docstring."""
    def strip(node: object) -> object:
        if isinstance(node, dict):
            return {k: strip(v) for k, v in node.items()
                    if k not in ("title", "description") or not isinstance(v, str)}
        if isinstance(node, list):
            return [strip(v) for v in node]
        return node

    return strip(model.model_json_schema())


def schema_instruction(model: type[BaseModel]) -> str:
    """The output-format text put into a prompt: the model's JSON schema (what ``PydanticOutputParser`` shows), without
    titles and descriptions, which only lengthen every prompt."""
    return json.dumps(_plain_schema(model), ensure_ascii=False)


_NO_BRACKET = r"[^\[\]\n]"
MAX_CHARS = 100  # a string field of the decoding schema (below), at most
MAX_REPEAT = 127  # xgrammar (vLLM's default backend) fails to compile a bounded pattern repeat above ~128
SPAN_FIELDS = ("subject", "relation", "object", "answer", "distractors")


def _string(limit: int) -> dict[str, Any]:
    return {"type": "string", "minLength": 1, "maxLength": max(1, limit)}


def response_fields(payload: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    """Field bounds of the decoding schema (:func:`response_schema`). Every string is bounded, so a small model that
    loops inside a string still closes its JSON; the bounds follow the request's input, because a looping model
    fills them and a CJK character costs a byte-level model 2-3 tokens (SmolLM2 ran a Japanese cloze of 127
    characters past 512 tokens): with a ``sentence``, a span, the answer or a distractor is at most as long as the
    sentence, each side of the cloze too, a question at most twice as long (+20); a translation's cloze side at most
    twice the source cloze, its question and options 2.5 times the source's (+10 each: Japanese to English about
    doubles the characters; the other way, the worst case still ends within 1024 tokens). The cloze holds [BLANK]
    exactly once, the question none (a pattern: xgrammar takes no maxLength beside it)."""
    payload = payload or {}
    sentence = payload.get("sentence")
    limits = {name: MAX_CHARS for name in SPAN_FIELDS}
    cloze_side, question = MAX_REPEAT, MAX_REPEAT
    if isinstance(sentence, str) and sentence:
        n = len(sentence)
        limits = {name: min(MAX_CHARS, n) for name in SPAN_FIELDS}
        cloze_side, question = min(MAX_REPEAT, n), min(MAX_REPEAT, 2 * n + 20)
    elif isinstance(payload.get("fill_in_blank"), str):  # a translation of a query
        def scaled(factor: float, *texts: object) -> int:
            return int(factor * max((len(t) for t in texts if isinstance(t, str)), default=MAX_CHARS)) + 10

        limits.update(answer=min(MAX_CHARS, scaled(2.5, payload.get("answer"))),
                      distractors=min(MAX_CHARS, scaled(2.5, *payload.get("distractors") or [])))
        cloze_side = min(MAX_REPEAT, scaled(2, payload["fill_in_blank"]))
        question = min(MAX_REPEAT, scaled(2.5, payload.get("question")))
    fields: dict[str, dict[str, Any]] = {name: _string(limits[name]) for name in SPAN_FIELDS if name != "distractors"}
    fields["distractors"] = {"type": "array", "items": _string(limits["distractors"]), "minItems": 3, "maxItems": 3}
    fields["fill_in_blank"] = {"type": "string", "pattern": (
        f"^{_NO_BRACKET}{{0,{cloze_side}}}\\[BLANK\\]{_NO_BRACKET}{{0,{cloze_side}}}$")}
    fields["question"] = {"type": "string", "pattern": f"^{_NO_BRACKET}{{1,{question}}}$"}
    return fields


# Free-text side fields the pipeline never reads: left out of the decoding schema (their defaults apply), as in the
# schema-guided local generation (structured.SKIP); a small model fills them until the token limit.
RESPONSE_SKIP = ("reason", "explanation", "explanations", "associated_sentences")


def response_schema(model: type[BaseModel], payload: dict[str, Any] | None = None) -> dict[str, Any]:
    """The JSON schema an endpoint decodes against (``response_format`` json_schema, strict): the answer model's
    schema without the side fields of :data:`RESPONSE_SKIP`, every property required (optional ones stay nullable, as
    OpenAI's strict mode wants), no additional properties, and the bounds of :func:`response_fields` for the request's
    input ``payload``. An answer that
    fits it still goes through the pydantic validation (4 distinct options, for one, is not a JSON-schema rule)."""
    root = _plain_schema(model)
    bounds = response_fields(payload)

    def tighten(node: dict[str, Any]) -> None:
        props = node.get("properties")
        if node.get("type") != "object" or not isinstance(props, dict):
            return
        for name in RESPONSE_SKIP:
            props.pop(name, None)
        node["additionalProperties"] = False
        node["required"] = list(props)
        for name, prop in props.items():
            prop.pop("default", None)
            if name in bounds:
                nullable = any(alt == {"type": "null"} for alt in prop.get("anyOf", ()))
                bounded = bounds[name]
                props[name] = {"anyOf": [bounded, {"type": "null"}]} if nullable else bounded

    tighten(root)
    for definition in root.get("$defs", {}).values():
        tighten(definition)
    return root


# ------------------------------------------------------------------------------------------- the dataset rows
class Item(BaseModel):
    """One row of a built dataset (``items.jsonl``) and of any MCQ JSONL that ``xlfact make-task`` reads.

    ``fact_id`` is the same for every language version of one fact (parallel items: option slots aligned), so the
    cross-lingual metrics apply; ``source_language`` is the language of the document the fact came from (empty when
    unknown, e.g. in mlda-eval's released files).
    """

    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1)
    fact_id: str = Field(min_length=1)
    doc_id: str = ""
    language: str = Field(min_length=1)
    source_language: str = ""
    split: str = Field(min_length=1)
    question: str = Field(min_length=1)
    options: list[str]
    answer_idx: StrictInt  # never true or "1" (PolyFact's loader refuses them too)
    sentence: str = ""
    triple: Triple | None = None

    @model_validator(mode="after")
    def _check(self) -> Item:
        if len(self.options) < 2 or any(not isinstance(o, str) or not o.strip() for o in self.options):
            raise ValueError("options must be at least 2 non-empty strings")
        if len(set(self.options)) != len(self.options):
            raise ValueError("options repeat")
        if not 0 <= self.answer_idx < len(self.options):
            raise ValueError(f"answer_idx {self.answer_idx} is outside 0..{len(self.options) - 1}")
        if self.split == "memorization" and self.question.count(BLANK) != 1:
            raise ValueError(f"a memorization question must contain {BLANK} exactly once")
        return self

"""The four AdaXEval steps, each a batch of LLM calls whose failures are counted drops, never exceptions.

1. fact detection: every sentence is judged by each judge (several models, or one model at several seeds); a sentence
   is kept when at least ``min_votes`` judges say factual (mlda-eval: all three of three judges).
2. triple extraction: among the judges' triples, those whose subject and object overlap the sentence by at least half
   are candidates and the shortest (length / overlap) wins (mlda-eval's rule); with no judge triple, one extraction
   call. A degenerate triple (subject or object is the whole sentence, or subject = object: nothing left to ask) is
   never chosen (counted in the step's ``notes``), and an extracted one is a drop (xlfact's rule).
3. query crafting: a cloze with ``[BLANK]`` (memorization), a paraphrased question (generalization), the answer and
   exactly 3 distractors; then, for every other language of the corpus, a translation with the options in the same
   order (xlfact's addition, so a fact whose source is language A is also asked in B). A cloze without ``[BLANK]``
   that contains the answer exactly once is repaired (:func:`.schema.insert_blank`), counted as ``repaired``, unless
   the blank would be (nearly) the whole sentence. A translation that is the source query or not in the target
   language's script (:mod:`.language`) is dropped as a language version.
4. quality filtering: an in-language check of every language version (all parts Good), and a cross-language check
   that the source question is answerable from each paired other-language document (score >= ``min_cross_score``,
   mlda-eval: 2).

Every dropped unit is written to ``drops.jsonl`` with its step, reason and detail, and counted in the report (each
step: ``in = kept + dropped``); a dropped language version of a kept unit is counted apart (``versions_dropped``) and
written with ``"language_version": true``.
"""

from __future__ import annotations

import dataclasses
import random
import re
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from xlfact.builders.adaxeval import prompts
from xlfact.builders.adaxeval.corpus import Document, parallel_versions, split_sentences
from xlfact.builders.adaxeval.language import translation_problem
from xlfact.builders.adaxeval.llm import CallError, LLMClient, Request
from xlfact.builders.adaxeval.schema import (
    AnswerError,
    CrossLanguageCheck,
    FactJudgement,
    InLanguageCheck,
    Item,
    QueryDraft,
    Translation,
    Triple,
    TripleAnswer,
    insert_blank,
    parse_repaired,
)

STEPS = ("1_fact_detection", "2_triple_extraction", "3_query_crafting", "4_quality_filtering")


@dataclass
class Settings:
    seed: int = 0
    min_votes: int | None = None  # default: every judge (unanimous, as mlda-eval)
    judge_temperature: float = 0.0
    temperature: float = 0.0
    min_cross_score: int = 2
    require_cross_check: bool = True
    translate: bool = True
    repair_cloze: bool = True  # schema.insert_blank in step 3, counted (--no_repair_cloze: mlda-eval's drop)
    min_sentence_chars: int = 8
    max_tokens: int = 1024  # schema-bound answers end well within it (see schema.response_fields)


@dataclass
class StepReport:
    units_in: int = 0
    kept: int = 0
    dropped: Counter = field(default_factory=Counter)  # units, by reason: in = kept + dropped
    versions_dropped: Counter = field(default_factory=Counter)  # language versions of kept units, by reason
    calls: Counter = field(default_factory=Counter)  # ok / failed:<reason>
    repaired: Counter = field(default_factory=Counter)  # kept units whose LLM answer was repaired, by repair
    notes: Counter = field(default_factory=Counter)  # candidates set aside inside a unit (e.g. a judge's triple)

    def as_dict(self) -> dict[str, Any]:
        return {"in": self.units_in, "kept": self.kept, "dropped": sum(self.dropped.values()),
                "dropped_by_reason": dict(sorted(self.dropped.items())),
                "versions_dropped": sum(self.versions_dropped.values()),
                "versions_dropped_by_reason": dict(sorted(self.versions_dropped.items())),
                "calls": dict(sorted(self.calls.items())),
                "repaired": dict(sorted(self.repaired.items())), "notes": dict(sorted(self.notes.items()))}


@dataclass
class Outcome:
    value: BaseModel | None = None
    reason: str = ""
    detail: str = ""
    repaired: str | None = None  # what a repair changed before validation


@dataclass
class Fact:
    fact_id: str
    doc: Document
    sentence: str
    votes: int = 0
    judge_triples: list[Triple] = field(default_factory=list)
    triple: Triple | None = None
    draft: QueryDraft | None = None
    versions: dict[str, Translation | QueryDraft] = field(default_factory=dict)  # lang -> query


class Builder:
    """Runs the four steps over a corpus with one generator client and one or more judge clients."""

    def __init__(self, client: LLMClient, judges: Sequence[LLMClient] | None = None,
                 settings: Settings | None = None, progress: bool = True) -> None:
        self.client = client
        self.judges = list(judges) if judges else [client]
        self.settings = settings or Settings()
        self.progress = progress
        self.steps = {name: StepReport() for name in STEPS}
        self.drops: list[dict[str, Any]] = []
        self.repairs: list[dict[str, Any]] = []
        self.versions = Counter()  # language versions: crafted / translated / dropped

    # ---------------------------------------------------------------------------------------- calls
    def _call_all(self, client: LLMClient, jobs: list[tuple[Request, type[BaseModel]]], step: str,
                   desc: str, repair: Callable[[Any], str | None] | None = None) -> list[Outcome]:
        """Run requests concurrently (``client.concurrency``), in input order, each to an :class:`Outcome`;
        ``repair`` (see :func:`.schema.parse_repaired`) is applied to each parsed answer before validation."""
        from tqdm.auto import tqdm

        def one(job: tuple[Request, type[BaseModel]]) -> Outcome:
            request, model = job
            request = dataclasses.replace(request, schema=model.__name__)
            try:
                text = client.complete(request)
            except CallError as err:
                return Outcome(None, err.reason, err.detail)
            except Exception as err:  # noqa: BLE001 - a client bug or transport error must not lose the build
                return Outcome(None, "error", f"{type(err).__name__}: {err}"[:200])
            try:
                value, repaired = parse_repaired(text, model, repair)
                return Outcome(value, repaired=repaired)
            except AnswerError as err:
                return Outcome(None, err.reason, err.detail)

        workers = max(1, int(getattr(client, "concurrency", 1)))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            outcomes = list(tqdm(pool.map(one, jobs), total=len(jobs), desc=desc, unit="call",
                                 disable=not self.progress, leave=False))
        for outcome in outcomes:
            self.steps[step].calls["ok" if outcome.value is not None else f"failed:{outcome.reason}"] += 1
        return outcomes

    def _request(self, step: str, messages, payload: dict[str, Any], *, seed_offset: int = 0,
                 temperature: float | None = None) -> Request:
        s = self.settings
        return Request(step, messages, payload, s.temperature if temperature is None else temperature,
                       s.seed + seed_offset, s.max_tokens)

    def _drop(self, step: str, unit: str, reason: str, detail: str = "", **extra: Any) -> None:
        self.steps[step].dropped[reason] += 1
        self.drops.append({"step": step, "unit": unit, "reason": reason, "detail": detail, **extra})

    def _drop_version(self, step: str, unit: str, reason: str, detail: str = "") -> None:
        """A language version of a unit that stays: counted apart from the units (``versions_dropped``)."""
        self.steps[step].versions_dropped[reason] += 1
        self.drops.append({"step": step, "unit": unit, "reason": reason, "detail": detail, "language_version": True})

    def _repaired(self, step: str, unit: str, outcome: Outcome) -> None:
        """A kept unit whose answer was repaired: counted per repair, listed in the report's ``repairs``."""
        if outcome.repaired:
            kind, _, detail = outcome.repaired.partition(": ")
            self.steps[step].repaired[kind] += 1
            self.repairs.append({"step": step, "unit": unit, "repair": kind, "detail": detail})

    # ---------------------------------------------------------------------------------------- step 1
    def detect_facts(self, docs: Sequence[Document]) -> list[Fact]:
        step = STEPS[0]
        candidates: list[Fact] = []
        for doc in docs:
            for i, sentence in enumerate(split_sentences(doc.text)):
                fact = Fact(f"{doc.doc_id}#s{i}", doc, sentence)
                self.steps[step].units_in += 1
                if len(sentence) < self.settings.min_sentence_chars:
                    self._drop(step, fact.fact_id, "too_short", sentence)
                    continue
                candidates.append(fact)
        need = self.settings.min_votes or len(self.judges)
        failures: dict[str, Counter] = {f.fact_id: Counter() for f in candidates}
        first_failure: dict[str, str] = {}
        for j, judge in enumerate(self.judges):
            jobs = [(self._request("fact_check", prompts.fact_check(f.doc.lang, f.sentence),
                                   {"sentence": f.sentence, "lang": f.doc.lang, "doc_id": f.doc.doc_id},
                                   seed_offset=j, temperature=self.settings.judge_temperature), FactJudgement)
                    for f in candidates]
            for fact, outcome in zip(candidates, self._call_all(judge, jobs, step, f"1 facts (judge {j + 1})")):
                if outcome.value is None:
                    failures[fact.fact_id][outcome.reason] += 1
                    first_failure.setdefault(fact.fact_id, outcome.detail)
                    continue
                if outcome.value.factuality:
                    fact.votes += 1
                    if outcome.value.triple is not None:
                        fact.judge_triples.append(outcome.value.triple)
        kept = []
        for fact in candidates:
            failed = failures[fact.fact_id]
            if fact.votes >= need:
                kept.append(fact)
            elif sum(failed.values()) == len(self.judges):
                self._drop(step, fact.fact_id, f"all_judges_failed:{failed.most_common(1)[0][0]}",
                           f"{first_failure[fact.fact_id]} (sentence: {fact.sentence})")
            else:
                detail = f"{fact.votes}/{len(self.judges)} judges voted factual, {need} needed"
                if failed:
                    detail += f"; failed calls: {dict(failed)}"
                self._drop(step, fact.fact_id, "not_enough_votes", detail)
        self.steps[step].kept = len(kept)
        return kept

    # ---------------------------------------------------------------------------------------- step 2
    def extract_triples(self, facts: list[Fact]) -> list[Fact]:
        step = STEPS[1]
        self.steps[step].units_in = len(facts)
        for fact in facts:
            usable = []
            for triple in fact.judge_triples:
                if problem := triple_problem(fact.sentence, triple):
                    self.steps[step].notes[f"judge_triple_set_aside:{problem}"] += 1
                else:
                    usable.append(triple)
            fact.triple = best_triple(fact.sentence, usable)
        missing = [f for f in facts if f.triple is None]
        jobs = [(self._request("triple", prompts.triple(f.doc.lang, f.sentence), {"sentence": f.sentence}),
                 TripleAnswer) for f in missing]
        for fact, outcome in zip(missing, self._call_all(self.client, jobs, step, "2 triples")):
            if outcome.value is None:
                self._drop(step, fact.fact_id, outcome.reason, outcome.detail)
            elif problem := triple_problem(fact.sentence, outcome.value.triple):
                self._drop(step, fact.fact_id, f"degenerate_triple:{problem}", outcome.value.triple.model_dump_json())
            else:
                fact.triple = outcome.value.triple
        kept = [f for f in facts if f.triple is not None]
        self.steps[step].kept = len(kept)
        return kept

    # ---------------------------------------------------------------------------------------- step 3
    def craft_queries(self, facts: list[Fact], languages: Sequence[str]) -> list[Fact]:
        step = STEPS[2]
        self.steps[step].units_in = len(facts)
        jobs = [(self._request("craft", prompts.craft(f.doc.lang, payload := {
            "sentence": f.sentence, "triple": f.triple.model_dump()}), payload), QueryDraft) for f in facts]
        crafted = []
        repair = insert_blank if self.settings.repair_cloze else None
        for fact, outcome in zip(facts, self._call_all(self.client, jobs, step, "3 queries", repair)):
            if outcome.value is None:
                self._drop(step, fact.fact_id, outcome.reason, outcome.detail)
                continue
            self._repaired(step, fact.fact_id, outcome)
            fact.draft = outcome.value
            if outcome.value.triple is not None:
                if problem := triple_problem(fact.sentence, outcome.value.triple):
                    self.steps[step].notes[f"crafted_triple_set_aside:{problem}"] += 1
                else:
                    fact.triple = outcome.value.triple
            fact.versions[fact.doc.lang] = outcome.value
            self.versions["crafted"] += 1
            crafted.append(fact)
        if self.settings.translate:
            pairs = [(f, lang) for f in crafted for lang in languages if lang != f.doc.lang]
            jobs = []
            for fact, lang in pairs:
                payload = {k: v for k, v in fact.draft.model_dump().items() if k != "triple"}
                jobs.append((self._request("translate", prompts.translate(fact.doc.lang, lang, payload),
                                           {**payload, "target": lang}), Translation))
            for (fact, lang), outcome in zip(pairs, self._call_all(self.client, jobs, step, "3 translations", repair)):
                reason, detail = outcome.reason, outcome.detail
                if outcome.value is not None and (reason := translation_problem(
                        fact.draft.model_dump(), outcome.value.model_dump(), lang)):
                    detail = f"{outcome.value.fill_in_blank} | {outcome.value.question}"[:200]
                if reason:
                    self.versions["translation_dropped"] += 1
                    self._drop_version(step, f"{fact.fact_id}@{lang}", f"translation:{reason}", detail)
                else:
                    self._repaired(step, f"{fact.fact_id}@{lang}", outcome)
                    fact.versions[lang] = outcome.value
                    self.versions["translated"] += 1
        self.steps[step].kept = len(crafted)
        return crafted

    # ---------------------------------------------------------------------------------------- step 4
    def filter_quality(self, facts: list[Fact], docs: Sequence[Document]) -> list[Fact]:
        step = STEPS[3]
        self.steps[step].units_in = len(facts)
        versions = [(f, lang) for f in facts for lang in f.versions]
        jobs = []
        for fact, lang in versions:
            query = fact.versions[lang]
            payload = {"triple": fact.triple.model_dump(), "fill_in_blank": query.fill_in_blank,
                       "question": query.question, "answer": query.answer, "distractors": query.distractors}
            if lang == fact.doc.lang:
                payload = {"sentence": fact.sentence, **payload}
            jobs.append((self._request("inlang", prompts.inlang(lang, payload), payload), InLanguageCheck))
        source_failed: dict[str, tuple[str, str]] = {}
        for (fact, lang), outcome in zip(versions, self._call_all(self.client, jobs, step, "4 in-language")):
            reason = outcome.reason
            detail = outcome.detail
            if outcome.value is not None and outcome.value.poor_parts():
                reason, detail = "poor", ",".join(outcome.value.poor_parts())
            elif outcome.value is not None:
                continue
            if lang == fact.doc.lang:
                source_failed[fact.fact_id] = (f"inlang:{reason}", detail)
            else:
                del fact.versions[lang]
                self.versions["inlang_dropped"] += 1
                self._drop_version(step, f"{fact.fact_id}@{lang}", f"inlang:{reason}", detail)
        survivors = []
        for fact in facts:
            if fact.fact_id in source_failed:
                self._drop(step, fact.fact_id, *source_failed[fact.fact_id])
            else:
                survivors.append(fact)
        others = parallel_versions(list(docs))
        checks = [(f, other) for f in survivors for other in others.get(f.doc.doc_id, {}).values()]
        jobs = []
        for fact, other in checks:
            query = fact.versions[fact.doc.lang]
            payload = {"context": other.text, "sentence": fact.sentence, "triple": fact.triple.model_dump(),
                       "question": query.question, "answer": query.answer}
            jobs.append((self._request("crosslang", prompts.crosslang(fact.doc.lang, other.lang, payload), payload),
                         CrossLanguageCheck))
        cross_fail: dict[str, tuple[str, str]] = {}
        for (fact, other), outcome in zip(checks, self._call_all(self.client, jobs, step, "4 cross-language")):
            if outcome.value is None:
                cross_fail.setdefault(fact.fact_id, (f"crosslang:{outcome.reason}", outcome.detail))
            elif outcome.value.score < self.settings.min_cross_score:
                cross_fail.setdefault(fact.fact_id, ("crosslang_unsupported",
                                                     f"score {outcome.value.score} from {other.doc_id}"))
        kept = []
        for fact in survivors:
            if fact.fact_id in cross_fail:
                self._drop(step, fact.fact_id, *cross_fail[fact.fact_id])
            elif self.settings.require_cross_check and not others.get(fact.doc.doc_id):
                self._drop(step, fact.fact_id, "no_parallel_document", "the cross-language check needs a paired "
                           "document (pair_id); pass --no-require-cross-check to keep such facts")
            else:
                kept.append(fact)
        self.steps[step].kept = len(kept)
        return kept

    # ---------------------------------------------------------------------------------------- all
    def run(self, docs: Sequence[Document]) -> list[Item]:
        languages = sorted({d.lang for d in docs})
        facts = self.detect_facts(docs)
        facts = self.extract_triples(facts)
        facts = self.craft_queries(facts, languages)
        facts = self.filter_quality(facts, docs)
        return items_of(facts, self.settings.seed)

    def report(self, items: list[Item]) -> dict[str, Any]:
        splits = Counter(f"{i.split}/{i.source_language}->{i.language}" for i in items)
        return {
            "steps": {name: rep.as_dict() for name, rep in self.steps.items()},
            "language_versions": dict(self.versions),
            "items": len(items), "facts": len({i.fact_id for i in items}),
            "items_by_split_and_direction": dict(sorted(splits.items())),
            "repairs": self.repairs,
            "judges": [j.name for j in self.judges], "generator": self.client.name,
            "settings": self.settings.__dict__,
        }


_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af"
_TOKEN = re.compile(f"[{_CJK}]|[^\\W_{_CJK}]+")


def _tokens(text: str) -> set[str]:
    """Words, and single characters of CJK scripts (no spaces between words there)."""
    return set(_TOKEN.findall(text.casefold()))


def _norm(text: str) -> str:
    return " ".join(text.casefold().split()).strip(".!?。！？． ")


def triple_problem(sentence: str, triple: Triple) -> str:
    """Why a triple cannot make a question (empty when it can): its subject or object is the whole sentence (a small
    model's frequent answer), its subject is its object, or its object has no letter or digit (punctuation is no
    answer). xlfact's rule; mlda-eval relies on its judges."""
    whole = _norm(sentence)
    subject, obj = _norm(triple.subject), _norm(triple.object)
    if whole and whole in obj:
        return "object_is_sentence"
    if whole and whole in subject:
        return "subject_is_sentence"
    if subject == obj:
        return "subject_equals_object"
    if not any(c.isalnum() for c in obj):
        return "object_without_words"
    return ""


def best_triple(sentence: str, triples: Sequence[Triple]) -> Triple | None:
    """mlda-eval's choice among judges' triples: overlap ratio of subject+object with the sentence >= 0.5 (else all
    candidates), then the smallest length / ratio."""
    if not triples:
        return None
    sent = _tokens(sentence)

    def ratio(t: Triple) -> float:
        toks = _tokens(t.subject) | _tokens(t.object)
        return len(toks & sent) / len(toks) if toks else 0.0

    candidates = [t for t in triples if ratio(t) >= 0.5] or list(triples)

    def cost(t: Triple) -> float:
        r = ratio(t)
        return (len(_tokens(t.subject)) + len(_tokens(t.object))) / r if r else float("inf")

    return min(candidates, key=cost)


def items_of(facts: list[Fact], seed: int) -> list[Item]:
    """Two items per surviving language version (memorization cloze, generalization question); options shuffled once
    per fact with a seeded RNG, so the slots are the same in every language (mlda-eval: ``random.seed(id)``)."""
    items: list[Item] = []
    for fact in facts:
        order = list(range(4))
        random.Random(f"{seed}:{fact.fact_id}").shuffle(order)
        for lang in sorted(fact.versions):
            query = fact.versions[lang]
            options = [([query.answer, *query.distractors])[i] for i in order]
            for split, question in (("memorization", query.fill_in_blank), ("generalization", query.question)):
                items.append(Item(
                    id=f"{fact.fact_id}|{split}|{lang}", fact_id=fact.fact_id, doc_id=fact.doc.doc_id, language=lang,
                    source_language=fact.doc.lang, split=split, question=question, options=options,
                    answer_idx=order.index(0), sentence=fact.sentence, triple=fact.triple,
                ))
    return items


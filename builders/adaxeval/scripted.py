"""A deterministic LLM from an answer key: dry runs of a build without a model, and the tests' scripted client.

The answer key is JSONL, one fact per line, ``{"pair": id, "<lang>": {"sentence", "subject", "relation", "object",
"cloze", "question", "distractors"}, ...}``. Each step is answered as a careful LLM would answer it for that fact:
sentences not in the key are judged not factual, queries come from the key, quality checks pass, and the
cross-language check gives 2 when the other-language document contains the fact's sentence in that language.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from xlfact.builders.adaxeval.llm import Request
from xlfact.core.jsonl import read_jsonl


class AnswerKey:
    def __init__(self, path: str | Path) -> None:
        self.facts: list[dict[str, Any]] = [row for _, row in read_jsonl(path)]
        self.by_sentence = {}
        self.by_cloze = {}
        for fact in self.facts:
            for lang, entry in fact.items():
                if isinstance(entry, dict):
                    self.by_sentence[entry["sentence"]] = (fact, lang)
                    self.by_cloze[entry["cloze"]] = (fact, lang)

    def __call__(self, request: Request) -> str:
        p = request.payload
        if request.step == "fact_check":
            hit = self.by_sentence.get(p["sentence"])
            if hit is None:
                return json.dumps({"factuality": False, "triple": None, "reason": "no general fact"})
            return json.dumps({"factuality": True, "triple": self._triple(*hit), "reason": "states a general fact"})
        if request.step == "triple":
            return json.dumps({"triple": self._triple(*self.by_sentence[p["sentence"]])})
        if request.step == "craft":
            fact, lang = self.by_sentence[p["sentence"]]
            return "```json\n" + json.dumps(self._query(fact, lang, with_triple=True), ensure_ascii=False) + "\n```"
        if request.step == "translate":
            fact, _ = self.by_cloze[p["fill_in_blank"]]
            return json.dumps(self._query(fact, p["target"], with_triple=False), ensure_ascii=False)
        if request.step == "inlang":
            return json.dumps({"explanations": {}, "fill_in_blank_quality": "Good", "paraphrase_quality": "Good",
                               "options_quality": "Good"})
        if request.step == "crosslang":
            fact, lang = self.by_sentence[p["sentence"]]
            supported = any(e["sentence"] in p["context"] for k, e in fact.items() if isinstance(e, dict) and k != lang)
            return json.dumps({"explanation": "", "associated_sentences": [], "score": 2 if supported else 0})
        raise ValueError(f"unknown step {request.step}")

    @staticmethod
    def _triple(fact: dict[str, Any], lang: str) -> dict[str, str]:
        e = fact[lang]
        return {"subject": e["subject"], "relation": e["relation"], "object": e["object"]}

    def _query(self, fact: dict[str, Any], lang: str, *, with_triple: bool) -> dict[str, Any]:
        e = fact[lang]
        out = {"fill_in_blank": e["cloze"], "question": e["question"], "answer": e["object"],
               "distractors": e["distractors"]}
        return {"triple": self._triple(fact, lang), **out} if with_triple else out

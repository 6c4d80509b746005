"""Schema-guided generation for a local Hugging Face model: the JSON skeleton is fixed, the model fills the values.

Small local models rarely write valid JSON from instructions alone (SmolLM2-135M-Instruct never did on our prompts).
Endpoints have guided decoding for this (``response_format`` / vLLM's guided JSON); for ``--llm hf`` this module does
the same for the flat schemas of :mod:`.schema`, in the spirit of outlines/guidance, on one KV cache per call:

* ``bool``, ``Literal`` and bounded ``int`` fields: the allowed value with the highest mean log-probability per token;
* ``str`` fields: greedy tokens until a closing quote, a newline or ``max_string_tokens``;
* ``list[str]`` fields with a required length (the 3 distractors): that many strings, each distinct from the answer
  and the others (a repeat is generated again with its first token banned);
* nested models (the triple) recursively; ``Triple | None`` is ``null`` when the preceding ``factuality`` is false;
* free-text side fields (``reason``, ``explanations``, ``associated_sentences``) keep their defaults;
* the cloze (``fill_in_blank`` with the sentence in the input): a choice among the sentence with the triple's object
  or subject replaced by ``[BLANK]`` (the rule the prompt states), and ``answer`` is then the blanked phrase — without
  such a candidate, a free string like any other.

The result is JSON text that goes through the same pydantic validation as any other answer, so a bad value (an empty
string, a cloze without ``[BLANK]``) is still a counted drop.
"""

from __future__ import annotations

import json
import types
import typing
from typing import Any

from pydantic import BaseModel

SKIP = {"reason", "explanations", "explanation", "associated_sentences"}
LIST_LENGTH = {"distractors": 3}


class SchemaFiller:
    def __init__(self, model: Any, tokenizer: Any, max_string_tokens: int = 40) -> None:
        import torch

        self.torch = torch
        self.model = model
        self.tokenizer = tokenizer
        self.max_string_tokens = max_string_tokens
        self.stop_ids = {i for i in (tokenizer.eos_token_id, tokenizer.pad_token_id) if i is not None}

    # ------------------------------------------------------------------------------------------ the cache
    def _start(self, prompt_ids: list[int]) -> None:
        from transformers import DynamicCache

        self.cache = DynamicCache()
        self.logits = None
        self._forward(prompt_ids)

    def _forward(self, ids: list[int]) -> Any:
        if not ids:
            return None
        out = self.model(input_ids=self.torch.tensor([ids]), past_key_values=self.cache, use_cache=True)
        self.logits = out.logits[0, -1].float()
        return out.logits[0].float()

    def _rollback(self, length: int) -> None:
        """Drop the cache entries after ``length`` tokens (transformers 5 crops by a negative count)."""
        extra = self.cache.get_seq_length() - length
        if extra > 0:
            self.cache.crop(-extra)

    def _encode(self, text: str) -> list[int]:
        return self.tokenizer(text, add_special_tokens=False)["input_ids"]

    def feed(self, text: str) -> None:
        self._forward(self._encode(text))

    # ------------------------------------------------------------------------------------------ values
    def choose(self, options: list[str]) -> str:
        torch = self.torch
        start = self.cache.get_seq_length()
        saved = self.logits
        first = torch.log_softmax(saved, dim=-1)
        best, best_score = options[0], -float("inf")
        for option in options:
            ids = self._encode(option)
            score = float(first[ids[0]])
            if len(ids) > 1:
                logits = self._forward(ids)
                logp = torch.log_softmax(logits[:-1], dim=-1)
                score += float(logp[torch.arange(len(ids) - 1), torch.tensor(ids[1:])].sum())
                self._rollback(start)
            score /= len(ids)
            if score > best_score:
                best, best_score = option, score
        self.logits = saved  # the distribution at the crop point
        self.feed(best)
        return best

    def string(self, avoid: set[str] | None = None) -> str:
        """A greedy string; with ``avoid``, a value in it (or empty) is generated again with its first token banned
        (up to 3 times): the "distinct options" constraint."""
        banned: set[int] = set()
        value = ""
        for _ in range(4):
            value, first = self._string(banned)
            if not avoid or (value and value.casefold() not in avoid) or first is None:
                break
            banned.add(first)
        self.feed(json.dumps(value, ensure_ascii=False))
        return value

    def _string(self, banned: set[int]) -> tuple[str, int | None]:
        start = self.cache.get_seq_length()
        saved = self.logits
        self.feed('"')
        tokens: list[int] = []
        text = ""
        for step in range(self.max_string_tokens):
            logits = self.logits
            if step == 0 and banned:
                logits = logits.clone()
                logits[list(banned)] = -float("inf")
            token = int(logits.argmax())
            if token in self.stop_ids:
                break
            tokens.append(token)
            text = self.tokenizer.decode(tokens, skip_special_tokens=True)
            if '"' in text or "\n" in text:
                text = text.split('"')[0].split("\n")[0]
                break
            self._forward([token])
        self._rollback(start)
        self.logits = saved
        return text.strip(), (tokens[0] if tokens else None)

    # ------------------------------------------------------------------------------------------ schema walk
    def value(self, name: str, annotation: Any, filled: dict[str, Any]) -> Any:
        origin, args = typing.get_origin(annotation), typing.get_args(annotation)
        if origin in (typing.Union, types.UnionType):
            inner = [a for a in args if a is not type(None)]
            if filled.get("factuality") is False or len(inner) != 1:
                self.feed("null")
                return None
            return self.value(name, inner[0], filled)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return self.object(annotation)
        if annotation is bool:
            return self.choose(["true", "false"]) == "true"
        if origin is typing.Literal:
            return json.loads(self.choose([json.dumps(a) for a in args]))
        if annotation is int:
            raise TypeError(f"field {name}: an int needs bounds (see object())")
        if annotation is str:
            if name == "fill_in_blank" and (candidates := self._cloze_candidates(filled)):
                chosen = json.loads(self.choose([json.dumps(c, ensure_ascii=False) for c in candidates]))
                self.blanked = candidates[chosen]
                return chosen
            if name == "answer" and self.blanked is not None:
                self.feed(json.dumps(self.blanked, ensure_ascii=False))
                return self.blanked
            return self.string()
        if origin is list and args == (str,):
            values = []
            self.feed("[")
            for i in range(LIST_LENGTH.get(name, 1)):
                if i:
                    self.feed(", ")
                taken = {str(v).casefold() for v in (filled.get("answer"), *values) if v}
                values.append(self.string(avoid=taken if name == "distractors" else None))
            self.feed("]")
            return values
        raise TypeError(f"field {name}: {annotation} is not supported by schema-guided generation")

    def _cloze_candidates(self, filled: dict[str, Any]) -> dict[str, str]:
        """cloze text -> blanked phrase, for the triple's object then subject found in the input sentence."""
        sentence = str(self.payload.get("sentence") or "")
        out: dict[str, str] = {}
        for triple in (filled.get("triple"), self.payload.get("triple")):
            for key in ("object", "subject"):
                phrase = str((triple or {}).get(key) or "").strip()
                if phrase and phrase in sentence and phrase != sentence.strip():
                    out.setdefault(sentence.replace(phrase, "[BLANK]", 1), phrase)
        return out

    def object(self, schema: type[BaseModel]) -> dict[str, Any]:
        filled: dict[str, Any] = {}
        self.feed("{")
        first = True
        for name, field in schema.model_fields.items():
            if name in SKIP:
                continue
            self.feed(("" if first else ", ") + f'"{name}": ')
            first = False
            if field.annotation is int:
                bounds = {type(m).__name__: m for m in field.metadata}
                low, high = bounds["Ge"].ge, bounds["Le"].le
                filled[name] = int(self.choose([str(i) for i in range(low, high + 1)]))
            else:
                filled[name] = self.value(name, field.annotation, filled)
        self.feed("}")
        return filled

    def fill(self, prompt_ids: list[int], schema: type[BaseModel], payload: dict[str, Any] | None = None) -> str:
        self.payload = payload or {}
        self.blanked: str | None = None
        with self.torch.no_grad():
            self._start(prompt_ids)
            return json.dumps(self.object(schema), ensure_ascii=False)

"""Schema-guided generation for a local Hugging Face model: the JSON skeleton is fixed, the model fills the values.

Small local models rarely write valid JSON from instructions alone (SmolLM2-135M-Instruct never did on our prompts).
Endpoints have guided decoding for this (``response_format`` / vLLM's guided JSON); for ``--llm hf`` this module does
the same for the flat schemas of :mod:`.schema`, in the spirit of outlines/guidance, on one KV cache per call. The
skeleton is encoded in one piece up to each value and a value is written with its leading space (``"name": value``
as a model writes JSON; fed piece by piece, ``": "`` ends in a lone space token that makes every value improbable).

* ``bool``, ``Literal`` and bounded ``int`` fields: the allowed value with the highest mean log-probability per token
  (at a temperature: sampled from those with the request's seed mixed with the prompt, so that several judges of one
  model differ and the draw differs from sentence to sentence);
* ``str`` fields: greedy tokens until a closing quote, a newline or ``max_string_tokens``;
* ``list[str]`` fields with a required length (the 3 distractors): that many strings, each distinct from the answer
  and the others (a repeat is generated again with its first token banned); for a cloze made here (below), the
  distractors are first the model's own likeliest other fills of the blank (:meth:`SchemaFiller.blank_fills`);
* nested models (the triple) recursively; ``Triple | None`` is ``null`` when the preceding ``factuality`` is false;
* free-text side fields (``reason``, ``explanations``, ``associated_sentences``) keep their defaults;
* the triple's ``subject`` and ``object`` when the input has the sentence: *copied spans* of it (the prompts' rule
  "specific, copied from the sentence"): each token must continue the copy, a span starts and ends at a word
  boundary (any character boundary in CJK scripts) and with a letter or digit, never covers the whole sentence, and
  the object does not overlap the subject. A small model otherwise answers with the whole sentence as the object,
  which leaves nothing to blank;
* ``relation`` at most 12 tokens; each distractor at most twice the answer's tokens (at least 4): "similar length";
* ``question`` without ``[`` tokens (a question is not a cloze: a copy of the cloze with ``[BLANK]`` is not generated);
* the cloze (``fill_in_blank`` with the sentence in the input): a choice among the sentence with the triple's object
  or subject replaced by ``[BLANK]`` (the rule the prompt states), and ``answer`` is then the blanked phrase — without
  such a candidate (a translation), a free string in which ``[BLANK]`` is written where the model's next token opens
  a bracket, once (no other bracket).

The result is JSON text that goes through the same pydantic validation as any other answer, so a bad value (an empty
string, a cloze without ``[BLANK]``) is still a counted drop.
"""

from __future__ import annotations

import codecs
import functools
import hashlib
import json
import re
import types
import typing
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from xlfact.builders.adaxeval.schema import BLANK

SKIP = {"reason", "explanations", "explanation", "associated_sentences"}
LIST_LENGTH = {"distractors": 3}
FIELD_TOKENS = {"relation": 12}
SPAN_FIELDS = ("subject", "object")
_CJK = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uff00-\uffef]")
_END_PUNCT = " \t\n.!?。！？．"


def _bytes_to_unicode() -> dict[int, str]:
    """GPT-2's byte-level alphabet (byte -> printable character), which byte-level BPE vocabularies are written in."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


@dataclass
class Vocab:
    """The bytes each token stands for, to constrain generation to copies of a given text."""

    by_bytes: dict[bytes, list[int]]
    token_bytes: dict[int, bytes]
    max_len: int
    quote_ids: list[int]  # tokens whose text starts with a double quote: the end of a JSON string
    bracket_ids: list[int]  # tokens containing "["
    empty_start_ids: list[int]  # tokens that would end a string before it has content: quotes, blanks, newlines
    bracket_start_ids: list[int]  # tokens that open a bracket: "[" or " [" first


_VOCABS: dict[int, tuple[Any, Vocab]] = {}


def vocab_of(tokenizer: Any) -> Vocab:
    """Token bytes of a byte-level BPE (GPT-2 alphabet) or SentencePiece (``▁``, ``<0xNN>``) vocabulary; cached."""
    hit = _VOCABS.get(id(tokenizer))
    if hit is not None and hit[0] is tokenizer:
        return hit[1]
    decoder = {c: b for b, c in _bytes_to_unicode().items()}
    probe = tokenizer.convert_ids_to_tokens(tokenizer(" a b", add_special_tokens=False)["input_ids"])
    byte_level = any("Ġ" in t for t in probe)
    special = set(tokenizer.all_special_ids)
    by_bytes: dict[bytes, list[int]] = {}
    token_bytes: dict[int, bytes] = {}
    quote, bracket, empty_start, bracket_start = [], [], [], []
    for tid, tok in enumerate(tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))):
        if tok is None or tid in special:
            continue
        if byte_level and all(c in decoder for c in tok):
            raw = bytes(decoder[c] for c in tok)
        elif re.fullmatch(r"<0x[0-9A-Fa-f]{2}>", tok):
            raw = bytes([int(tok[3:5], 16)])
        else:
            raw = tok.replace("▁", " ").encode("utf-8")
        if not raw:
            continue
        by_bytes.setdefault(raw, []).append(tid)
        token_bytes[tid] = raw
        if raw.startswith(b'"'):
            quote.append(tid)
        if b"[" in raw:
            bracket.append(tid)
        if raw.startswith(b'"') or not raw.strip() or raw.lstrip().startswith((b'"', b"\n")):
            empty_start.append(tid)
        if raw.lstrip(b" ").startswith(b"["):
            bracket_start.append(tid)
    vocab = Vocab(by_bytes, token_bytes, max(map(len, by_bytes)), quote, bracket,
                  sorted(set(empty_start) | special), bracket_start)
    _VOCABS[id(tokenizer)] = (tokenizer, vocab)
    return vocab


def word_boundaries(text: str) -> set[int]:
    """UTF-8 byte offsets where a copied span may start or end: the ends, next to a non-word character, and every
    character boundary next to a CJK character (no spaces between words there)."""
    out = {0}
    offset = 0
    for i, ch in enumerate(text):
        offset += len(ch.encode("utf-8"))
        nxt = text[i + 1] if i + 1 < len(text) else ""
        if not nxt or not (ch.isalnum() and nxt.isalnum()) or _CJK.match(ch) or _CJK.match(nxt):
            out.add(offset)
    return out


def sample_seed(seed: int, prompt_ids: list[int]) -> int:
    """A sampling seed from the request's seed and its prompt: reproducible per (seed, prompt), independent across
    prompts."""
    digest = hashlib.sha256(f"{seed}:{','.join(map(str, prompt_ids))}".encode()).digest()
    return int.from_bytes(digest[:8], "little") & (2**63 - 1)


class SchemaFiller:
    def __init__(self, model: Any, tokenizer: Any, max_string_tokens: int = 40) -> None:
        import torch

        self.torch = torch
        self.model = model
        self.tokenizer = tokenizer
        self.max_string_tokens = max_string_tokens
        self.stop_ids = {i for i in (tokenizer.eos_token_id, tokenizer.pad_token_id) if i is not None}
        self.vocab = vocab_of(tokenizer)

    # ------------------------------------------------------------------------------------------ the cache
    @functools.cached_property
    def _cache_arg(self) -> str:
        """The forward argument that takes the cache: ``cache`` from transformers 5.2x (``past_key_values`` is
        deprecated there, to be removed in 5.40), ``past_key_values`` before."""
        import inspect

        params = inspect.signature(getattr(self.model, "forward", self.model)).parameters
        return "cache" if "cache" in params else "past_key_values"

    def _start(self, prompt_ids: list[int]) -> None:
        from transformers import DynamicCache

        self.cache = DynamicCache()
        self.logits = None
        self.pending = ""
        self._forward(prompt_ids)

    def _forward(self, ids: list[int], every_position: bool = False) -> Any:
        """Extend the cache by ``ids``; the next-token logits, and with ``every_position`` the logits after each of
        ``ids`` (only scoring a multi-token option needs them: the prompt's would cost a vocabulary-wide matmul per
        prompt token)."""
        if not ids:
            return None
        out = self.model(input_ids=self.torch.tensor([ids]), use_cache=True,
                         logits_to_keep=0 if every_position else 1, **{self._cache_arg: self.cache})
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
        """Write JSON text; it is encoded with what follows up to the next value the model makes (:meth:`_flush`),
        so the skeleton is tokenized as one text ('{"factuality":'), as a model would write it, not piece by
        piece."""
        self.pending += text

    def _flush(self) -> None:
        if self.pending:
            ids, self.pending = self._encode(self.pending), ""
            self._forward(ids)

    # ------------------------------------------------------------------------------------------ values
    def choose(self, options: list[str]) -> str:
        """The option (written after the pending separator) with the best mean log-probability per token."""
        torch = self.torch
        lead = self._lead()
        self._flush()
        start = self.cache.get_seq_length()
        saved = self.logits
        first = torch.log_softmax(saved, dim=-1)
        scores = []
        for option in options:
            ids = self._encode(lead + option)
            score = float(first[ids[0]])
            if len(ids) > 1:
                logits = self._forward(ids, every_position=True)
                logp = torch.log_softmax(logits[:-1], dim=-1)
                score += float(logp[torch.arange(len(ids) - 1), torch.tensor(ids[1:])].sum())
                self._rollback(start)
            scores.append(score / len(ids))
        if self.temperature > 0 and len(options) > 1:  # a judge at a seed: sample, as free generation would
            probs = torch.softmax(torch.tensor(scores) / self.temperature, dim=0)
            best = options[int(torch.multinomial(probs, 1, generator=self.rng))]
        else:
            best = options[max(range(len(options)), key=scores.__getitem__)]
        self.logits = saved  # the distribution at the crop point
        self.feed(lead + best)
        return best

    def string(self, avoid: set[str] | None = None, *, max_tokens: int | None = None,
               never: list[int] | None = None, cloze: bool = False) -> str:
        """A greedy string; with ``avoid``, a value in it (or empty) is generated again with its first token banned
        (up to 3 times): the "distinct options" constraint. ``never``: tokens banned at every step."""
        banned: set[int] = set()
        value = ""
        lead = self._lead()
        for _ in range(4):
            value, first = self._string(banned, max_tokens or self.max_string_tokens, never or [], lead, cloze)
            if not avoid or (value and value.casefold() not in avoid) or first is None:
                break
            banned.add(first)
        self.feed(lead + json.dumps(value, ensure_ascii=False))
        return value

    def _string(self, banned: set[int], max_tokens: int, never: list[int], lead: str = "",
                cloze: bool = False) -> tuple[str, int | None]:
        """One greedy string. ``cloze``: ``[BLANK]`` is written where the model's best next token opens a bracket,
        and no other bracket is written (a translated cloze). It may end without a blank: forcing one made SmolLM2
        run on to the token limit instead of giving the sentence, which the step-3 repair can still blank."""
        self._flush()
        start = self.cache.get_seq_length()
        saved = self.logits
        self.feed(lead + '"')
        self._flush()
        tokens: list[int] = []
        text = ""
        inserted = False
        for step in range(max_tokens):
            logits = self.logits
            empty = not text.rstrip("\ufffd").strip()
            if empty or never or cloze:  # a required string is not empty: it cannot end before its first character
                logits = logits.clone()
                first = [*self.vocab.empty_start_ids, *self.stop_ids] if empty else []
                if cloze:
                    first += self.vocab.bracket_ids
                logits[first + list(banned if step == 0 else ()) + never] = -float("inf")
            if cloze and not inserted and self.vocab.bracket_start_ids:
                opening = self.logits[self.vocab.bracket_start_ids]
                if float(opening.max()) >= float(logits.max()):
                    best = self.vocab.bracket_start_ids[int(opening.argmax())]
                    piece = self._encode((" " if self.vocab.token_bytes[best].startswith(b" ") else "") + BLANK)
                    tokens += piece
                    text = self.tokenizer.decode(tokens, skip_special_tokens=True)
                    self._forward(piece)
                    inserted = True
                    continue
            token = self._utf8_argmax(logits, tokens)
            if token is None or token in self.stop_ids:
                break
            tokens.append(token)
            text = self.tokenizer.decode(tokens, skip_special_tokens=True)
            if '"' in text or "\n" in text:
                text = text.split('"')[0].split("\n")[0]
                break
            self._forward([token])
        self._rollback(start)
        self.logits = saved
        return text.rstrip("\ufffd").strip(), (tokens[0] if tokens else None)  # no cut-off UTF-8 character

    def _utf8_argmax(self, logits: Any, tokens: list[int]) -> int | None:
        """The most likely token that keeps the bytes a valid UTF-8 prefix (a byte-level model can emit a stray
        continuation byte, which no later token can repair); the best few are tried in order."""
        prefix = b"".join(self.vocab.token_bytes.get(t, b"") for t in tokens)
        for token in self.torch.topk(logits, min(32, logits.numel())).indices.tolist():
            if token in self.stop_ids:
                return token
            try:
                codecs.getincrementaldecoder("utf-8")().decode(prefix + self.vocab.token_bytes.get(token, b""))
            except UnicodeDecodeError:
                continue
            return token
        return None

    def span(self, source: str, exclude: tuple[int, int] | None = None) -> tuple[str, tuple[int, int] | None]:
        """A greedy copy of a span of ``source`` (see the module docstring); returns it and its byte range."""
        torch = self.torch
        src = source.encode("utf-8")
        bounds = word_boundaries(source)
        core = source.strip(_END_PUNCT)
        core_start = src.index(core.encode("utf-8")) if core else 0
        core_end = core_start + len(core.encode("utf-8"))

        def content(p: int, n: int) -> tuple[int, int]:
            s, e = p, p + n
            while s < e and src[s:s + 1].isspace():
                s += 1
            while e > s and src[e - 1:e].isspace():
                e -= 1
            return s, e

        def allowed(p: int, n: int) -> bool:
            s, e = content(p, n)
            if s <= core_start and e >= core_end:
                return False  # the whole sentence is not a part of it
            head = src[s:].decode("utf-8", errors="ignore")[:1]  # the whole first character, even if cut so far
            if s < e and not head.isalnum():
                return False  # a span starts with a letter or digit, not with punctuation
            return exclude is None or e <= exclude[0] or s >= exclude[1] or s == e

        lead = self._lead()
        self._flush()
        start = self.cache.get_seq_length()
        saved = self.logits
        self.feed(lead + '"')
        self._flush()
        text = b""
        starts = sorted(p for p in bounds if p < len(src))

        def end_at(n: int) -> int | None:
            """A start of the copy so far that makes a whole span: word boundary, a letter or digit at the end."""
            for p in starts:
                word = src[slice(*content(p, n))].decode("utf-8", errors="ignore")
                if p + n in bounds and word and word[-1].isalnum():
                    return p
            return None

        last: tuple[int, int] | None = None  # (length, start) of the longest copy that may end there
        for _ in range(self.max_string_tokens):
            n = len(text)
            options: dict[int, list[int]] = {}
            for p in starts:
                rest = src[p + n:p + n + self.vocab.max_len]
                for k in range(1, len(rest) + 1):
                    ids = self.vocab.by_bytes.get(rest[:k])
                    if ids and allowed(p, n + k):
                        for tid in ids:
                            options.setdefault(tid, []).append(p)
            end = end_at(n) if n else None
            if end is not None:
                last = (n, end)
            if not options:
                break
            ids = list(options)
            scores = self.logits[ids]
            best = int(scores.argmax())
            end_score = float(torch.logsumexp(self.logits[self.vocab.quote_ids], 0))
            if end is not None and float(scores[best]) < end_score:
                break
            token = ids[best]
            text += self.vocab.token_bytes[token]
            starts = options[token]
            self._forward([token])
        else:
            if (end := end_at(len(text))) is not None:
                last = (len(text), end)
        self._rollback(start)
        self.logits = saved
        where = content(last[1], last[0]) if last else None  # out of copies or tokens: the last whole span
        value = src[where[0]:where[1]].decode("utf-8", errors="ignore") if where else ""
        self.feed(lead + json.dumps(value, ensure_ascii=False))
        return value, where

    # ------------------------------------------------------------------------------------------ schema walk
    def value(self, name: str, annotation: Any, filled: dict[str, Any]) -> Any:
        origin, args = typing.get_origin(annotation), typing.get_args(annotation)
        if origin in (typing.Union, types.UnionType):
            inner = [a for a in args if a is not type(None)]
            if filled.get("factuality") is False or len(inner) != 1:
                self.feed(self._lead() + "null")
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
            if name == "fill_in_blank":  # e.g. a translation: free text holding [BLANK] exactly once
                return self.string(cloze=True)
            if name == "answer" and self.blanked is not None:
                self.feed(self._lead() + json.dumps(self.blanked, ensure_ascii=False))
                return self.blanked
            sentence = str(self.payload.get("sentence") or "")
            if name in SPAN_FIELDS and sentence.strip():
                value, where = self.span(sentence, exclude=self.subject_range if name == "object" else None)
                if name == "subject":
                    self.subject_range = where
                return value
            if name == "question":
                return self.string(never=self.vocab.bracket_ids)
            return self.string(max_tokens=FIELD_TOKENS.get(name))
        if origin is list and args == (str,):
            values = []
            answer = str(filled.get("answer") or "")
            limit = max(4, 2 * len(self._encode(answer)))
            fills = []
            if name == "distractors" and self.blanked is not None:
                fills = self.blank_fills(str(filled.get("fill_in_blank") or ""), answer, LIST_LENGTH[name], limit)
            self.feed(self._lead() + "[")
            for i in range(LIST_LENGTH.get(name, 1)):
                if i:
                    self.feed(", ")
                taken = {str(v).casefold() for v in (answer, *values) if v}
                if i < len(fills):
                    self.feed(json.dumps(fills[i], ensure_ascii=False))
                    values.append(fills[i])
                elif name == "distractors":
                    values.append(self.string(avoid=taken, max_tokens=limit))
                else:
                    values.append(self.string())
            self.feed("]")
            return values
        raise TypeError(f"field {name}: {annotation} is not supported by schema-guided generation")

    def blank_fills(self, cloze: str, answer: str, n: int, limit: int) -> list[str]:
        """Distractors for a cloze made here: the model's own likeliest fills of ``[BLANK]`` after the cloze's text
        before it (no prompt, no source sentence), one per likely first token, each completed greedily up to the
        character after the blank or ``limit`` tokens; kept when it starts with a letter or digit and neither
        contains nor is part of the answer or a kept fill. Plausible in context by construction; a small model writes
        none in the JSON (it repeats the prompt's words). Fewer than ``n`` when the blank opens the cloze or the
        candidates run out (the rest are then generated in the JSON as other strings)."""
        prefix, _, suffix = cloze.partition(BLANK)
        prefix = prefix.rstrip(" ")
        if not prefix.strip():
            return []
        stop = suffix.strip()[:1]
        self._flush()
        saved_cache, saved_logits = self.cache, self.logits
        self._start(self._encode(prefix))
        base, base_logits = self.cache.get_seq_length(), self.logits
        kept: list[str] = []
        for first in self.torch.topk(base_logits, min(24, base_logits.numel())).indices.tolist():
            if len(kept) == n:
                break
            if first in self.stop_ids:
                continue
            try:
                codecs.getincrementaldecoder("utf-8")().decode(self.vocab.token_bytes.get(first, b"\xff"))
            except UnicodeDecodeError:
                continue
            tokens = [first]
            for _ in range(limit - 1):
                text = self.tokenizer.decode(tokens, skip_special_tokens=True)
                if "\n" in text or (stop and stop in text):
                    break
                self._forward([tokens[-1]])
                token = self._utf8_argmax(self.logits, tokens)
                if token is None or token in self.stop_ids:
                    break
                tokens.append(token)
            self._rollback(base)
            self.logits = base_logits
            text = self.tokenizer.decode(tokens, skip_special_tokens=True).split("\n")[0]
            value = (text.split(stop)[0] if stop else text).rstrip("\ufffd").strip()
            folded = value.casefold()
            if (value and value[0].isalnum() and answer.casefold() not in folded
                    and folded not in answer.casefold() and all(folded not in k.casefold() and k.casefold()
                                                                not in folded for k in kept)):
                kept.append(value)
        self.cache, self.logits = saved_cache, saved_logits
        return kept

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
        self.feed(self._lead() + "{")
        first = True
        for name, field in schema.model_fields.items():
            if name in SKIP:
                continue
            self.feed(("" if first else ", ") + f'"{name}":')
            self.lead = " "  # written with the value: '": "' would leave a lone space token no model writes
            first = False
            if field.annotation is int:
                bounds = {type(m).__name__: m for m in field.metadata}
                low, high = bounds["Ge"].ge, bounds["Le"].le
                filled[name] = int(self.choose([str(i) for i in range(low, high + 1)]))
            else:
                filled[name] = self.value(name, field.annotation, filled)
        self.feed("}")
        return filled

    def _lead(self) -> str:
        """The separator still to be written before the next value (taken once)."""
        lead, self.lead = self.lead, ""
        return lead

    def fill(self, prompt_ids: list[int], schema: type[BaseModel], payload: dict[str, Any] | None = None, *,
             temperature: float = 0.0, seed: int = 0) -> str:
        """The JSON answer. At temperature 0 every choice (booleans, labels, scores, the cloze) is the best by mean
        log-probability per token; with ``temperature`` > 0 the choices are sampled from those at a seed mixed from
        ``seed`` and the prompt (:func:`sample_seed`), so several judges of one model differ and each sentence gets its
        own draw: with ``seed`` alone, every sentence's vote would be decided by the same random numbers. Strings are
        greedy."""
        self.payload = payload or {}
        self.lead = ""
        self.temperature = temperature
        self.rng = self.torch.Generator().manual_seed(sample_seed(seed, prompt_ids))
        self.blanked: str | None = None
        self.subject_range: tuple[int, int] | None = None
        with self.torch.no_grad():
            self._start(prompt_ids)
            return json.dumps(self.object(schema), ensure_ascii=False)

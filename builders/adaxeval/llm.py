"""Pluggable LLM clients: any OpenAI-compatible endpoint, a local Hugging Face model, or a scripted responder.

Every client answers a :class:`Request` with text. Failures a build must survive (timeouts, connection errors, an
endpoint's refusal field) raise :class:`CallError` with a short reason, which the pipeline counts as a drop.
:class:`CachedClient` sends each distinct request once per run and stores every usable answer on disk under a hash of
everything that determines it (the model's identity included: :func:`model_identity`), so an interrupted build resumes
where it stopped and a re-run with the same settings makes no new calls, except for the failed ones.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from xlfact.builders.adaxeval import schema
from xlfact.builders.adaxeval.structured import SchemaFiller
from xlfact.core import models
from xlfact.core.atomic import write_json_atomic


@dataclass(frozen=True)
class Request:
    step: str  # fact_check | triple | craft | translate | inlang | crosslang
    messages: tuple[tuple[str, str], ...]  # (role, content)
    payload: dict[str, Any] = field(default_factory=dict, compare=False)  # the input the prompt was built from
    temperature: float = 0.0
    seed: int = 0
    max_tokens: int = 512
    schema: str = ""  # name of the expected answer's model in .schema (schema-guided local generation uses it)

    def chat(self) -> list[dict[str, str]]:
        return [{"role": role, "content": content} for role, content in self.messages]


class CallError(Exception):
    """A call that produced no usable answer; ``reason`` is a short drop reason (timeout, error, refusal)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class LLMClient(Protocol):
    name: str  # identifies the model in the cache key
    concurrency: int

    def complete(self, request: Request) -> str: ...


STRUCTURED_OUTPUT = ("json_schema", "json_object", "none")


class OpenAIClient:
    """An OpenAI-compatible chat endpoint (``vllm serve``, llama.cpp, most providers) via the ``openai`` client.

    ``structured_output`` (``--structured_output``): ``json_schema`` (default) asks the server to decode against the
    answer's JSON schema (``response_format`` type ``json_schema``, strict; :func:`.schema.response_schema`), which
    vLLM, llama.cpp and OpenAI honour, so every answer parses; ``json_object`` asks only for some JSON object (servers
    without JSON-schema support); ``none`` sends no ``response_format`` (servers that reject the field)."""

    def __init__(self, base_url: str, model: str, *, api_key: str | None = None, timeout: float = 120.0,
                 concurrency: int = 8, max_retries: int = 1, structured_output: str = "json_schema") -> None:
        import openai

        if structured_output not in STRUCTURED_OUTPUT:
            raise ValueError(f"structured_output must be one of {STRUCTURED_OUTPUT}, not {structured_output!r}")
        self._openai = openai
        self.client = openai.OpenAI(base_url=base_url, api_key=api_key or "EMPTY", timeout=timeout,
                                    max_retries=max_retries)
        self.model = model
        self.structured_output = structured_output
        # the cache key's model identity: the endpoint and its model name (two servers may serve different weights
        # under one name), and the decoding mode, which changes the answers
        self.name = f"openai:{base_url.rstrip('/')}:{model}:{structured_output}"
        self.concurrency = concurrency

    def response_format(self, request: Request) -> dict[str, Any] | None:
        """The ``response_format`` of a request (None: the field is not sent)."""
        if self.structured_output == "none" or not request.schema:
            return None
        if self.structured_output == "json_object":
            return {"type": "json_object"}
        return {"type": "json_schema", "json_schema": {
            "name": request.schema, "schema": schema.response_schema(schema.ANSWER_MODELS[request.schema],
                                                                     request.payload),
            "strict": True}}

    def complete(self, request: Request) -> str:
        extra: dict[str, Any] = {}
        if (response_format := self.response_format(request)) is not None:
            extra["response_format"] = response_format
        try:
            response = self.client.chat.completions.create(
                model=self.model, messages=request.chat(), temperature=request.temperature, seed=request.seed,
                max_tokens=request.max_tokens, **extra,
            )
        except self._openai.APITimeoutError as err:
            raise CallError("timeout", str(err)) from None
        except self._openai.APIError as err:
            raise CallError("error", f"{type(err).__name__}: {err}"[:200]) from None
        if not response.choices:
            raise CallError("error", "no choices in the response")
        message = response.choices[0].message
        if getattr(message, "refusal", None):
            raise CallError("refusal", str(message.refusal)[:200])
        return message.content or ""


class HFClient:
    """A local Hugging Face causal LM with a chat template. ``structured`` (default): schema-guided generation
    (:mod:`.structured`) fills the expected JSON; otherwise free generation, greedy unless a temperature is asked."""

    concurrency = 1

    def __init__(self, path: str, *, device: str = "cpu", dtype: str = "float32", structured: bool = True) -> None:
        import torch

        self.torch = torch
        self.tokenizer = models.load_tokenizer(path, pad_with_eos=False)
        self.model = models.load_causal_lm(path, dtype=dtype, device=device)
        self.device = device
        self.name = f"hf:{model_identity(path, self.model.config)}:{dtype}" + (":structured" if structured else "")
        self.structured = structured
        self._lock = threading.Lock()

    def complete(self, request: Request) -> str:
        torch = self.torch
        prompt = self.tokenizer.apply_chat_template(request.chat(), add_generation_prompt=True, tokenize=False)
        if self.structured and request.schema:
            ids = self.tokenizer(prompt, add_special_tokens=False)["input_ids"]
            with self._lock:
                return SchemaFiller(self.model, self.tokenizer).fill(
                    ids, schema.ANSWER_MODELS[request.schema], request.payload, temperature=request.temperature,
                    seed=request.seed)
        inputs = self.tokenizer(prompt, return_tensors="pt", add_special_tokens=False).to(self.device)
        sample = request.temperature > 0
        with self._lock, torch.no_grad():
            torch.manual_seed(request.seed)
            out = self.model.generate(
                **inputs, max_new_tokens=request.max_tokens, do_sample=sample,
                temperature=request.temperature if sample else None, top_p=None, top_k=None,
                pad_token_id=self.tokenizer.pad_token_id or self.tokenizer.eos_token_id,
            )
        return self.tokenizer.decode(out[0, inputs["input_ids"].shape[1]:], skip_special_tokens=True)


def model_identity(path: str, config: Any = None) -> str:
    """What the cache key names a local model by: a folder is its resolved absolute path plus a fingerprint of its
    files (name, size, modification time: :func:`xlfact.core.provenance.stat_identity`), so two ``checkpoints/step10``
    folders, or one folder retrained in place, never share answers; a hub id is the id at its resolved commit
    (``config._commit_hash``)."""
    folder = Path(path)
    if folder.is_dir():
        from xlfact.core.provenance import stat_identity

        return f"{folder.resolve()}@{stat_identity(folder)}"
    return f"{path}@{getattr(config, '_commit_hash', None) or 'unknown-revision'}"


class ScriptedClient:
    """A deterministic responder ``fn(request) -> str`` (tests, dry runs); raise :class:`CallError` to fail a call."""

    def __init__(self, fn: Callable[[Request], str], name: str = "scripted", concurrency: int = 1) -> None:
        self.fn = fn
        self.name = name
        self.concurrency = concurrency
        self.calls = 0
        self._lock = threading.Lock()

    def complete(self, request: Request) -> str:
        with self._lock:
            self.calls += 1
        return self.fn(request)


class CachedClient:
    """Wraps a client: one call per distinct request, and every usable answer on disk.

    * Identical requests (same key, :meth:`key`) are merged: the first is sent, the others wait for its outcome, and
      a request seen before in this run gets the same outcome without a call (a failed call or an unusable answer
      too: within one run the same request would fail the same way). ``merged`` counts them.
    * Answers are read from / written to ``cache_dir/<key[:2]>/<key>.json`` (atomic writes), only when ``accept``
      takes them (default :func:`.schema.usable_answer`: the answer parses and validates against the request's answer
      model): a failed call, a malformed or invalid answer is never stored, so a re-run asks it again.
    """

    def __init__(self, client: LLMClient, cache_dir: str | Path | None,
                 accept: Callable[[Request, str], bool] | None = None) -> None:
        self.client = client
        self.name = client.name
        self.concurrency = client.concurrency
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self.accept = accept or _usable
        self.hits = 0  # answered from the disk cache
        self.misses = 0  # answers received from the client (calls sent = misses + failed)
        self.failed = 0  # calls that raised CallError (not stored)
        self.merged = 0  # answered by an identical request of this run (in flight or done)
        self.unstored = 0  # answers not stored: not usable
        self._lock = threading.Lock()
        self._outcomes: dict[str, Future] = {}

    def key(self, request: Request) -> str:
        body = {"client": self.client.name, **{k: v for k, v in asdict(request).items() if k != "payload"}}
        return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()

    def _path(self, key: str) -> Path | None:
        return self.cache_dir / key[:2] / f"{key}.json" if self.cache_dir is not None else None

    def complete(self, request: Request) -> str:
        key = self.key(request)
        with self._lock:
            outcome = self._outcomes.get(key)
            first = outcome is None
            if first:
                outcome = self._outcomes[key] = Future()
            else:
                self.merged += 1
        if not first:
            return outcome.result()  # the first one's answer, or its CallError raised again
        try:
            text = self._complete(request, key)
        except BaseException as err:
            outcome.set_exception(err)
            raise
        outcome.set_result(text)
        return text

    def _complete(self, request: Request, key: str) -> str:
        path = self._path(key)
        if path is not None and path.is_file():
            try:
                text = json.loads(path.read_text(encoding="utf-8"))["answer"]
                if isinstance(text, str):  # an entry without a text answer (null) is damaged too
                    with self._lock:
                        self.hits += 1
                    return text
            except (json.JSONDecodeError, KeyError, TypeError, UnicodeDecodeError):
                pass  # a damaged entry is simply asked again
        try:
            text = self.client.complete(request)
        except CallError:  # propagates, and is not stored: a re-run retries it
            with self._lock:
                self.failed += 1
            raise
        with self._lock:
            self.misses += 1
        if not self.accept(request, text):
            with self._lock:
                self.unstored += 1
        elif path is not None:
            write_json_atomic(path, {"step": request.step, "client": self.client.name, "answer": text})
        return text


def _usable(request: Request, text: str) -> bool:
    return schema.usable_answer(request.schema, text)

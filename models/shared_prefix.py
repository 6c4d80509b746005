"""``--model xlfact-hf``: lm-eval's ``hf`` backend with the context run once per distinct context.

Why: a multiple-choice item sends one log-likelihood request per option, all with the same context. Stock ``hf`` runs
the full ``context + option`` sequence for every option (PolyFact: 400 options of the 100 English facts are 8,109
tokens that way, 3,051 with each context counted once) and projects every position onto the vocabulary, though only
the continuation positions are read.

How, exactly as stock ``hf`` scores (same token sequences, same positions, same log-softmax):

- Tokenisation is untouched: ``loglikelihood`` is HFLM's, so ``_encode_pair`` (which moves trailing context spaces
  into the continuation) gives the (context, continuation) token lists; only ``_loglikelihood_tokens`` changes.
- Requests are grouped by their context tokens. A *context pass* runs each distinct context except its last token,
  right-padded, and keeps the key/value cache; its output projection is skipped (``logits_to_keep=1``).
- A *continuation pass* scores all of a context's continuations in one batch: input ``[last context token] +
  continuation[:-1]`` at positions ``len(context) - 1 ...``, attending to the rows of the cache it needs. Its logits are
  exactly the continuation positions, so the output projection runs only there.
- Sums, greedy flags and ``cache_hook`` entries are computed as in ``HFLM._loglikelihood_tokens``.

Falls back to the stock method (unchanged results) where sharing cannot apply: seq2seq models, ``batch_size=auto``,
``loglikelihood_rolling`` windows (they pass ``override_bs``), contexts of one token, requests lm-eval would truncate
from the left, models whose cache is not a plain ``DynamicCache`` (sliding-window, hybrid, quantised caches) or that
do not take ``past_key_values`` / ``position_ids``, and ``share_prefix=False`` in ``--model_args``. Generation is
HFLM's own ``generate_until``.

float32 results equal stock ``hf`` within 1e-4 (matrix shapes differ, so the last bits do); tests check that and
that the verdicts are identical on the bundled PolyFact sample and the 100 real English facts.
"""

from __future__ import annotations

import inspect
import logging
from typing import Any

import torch
import torch.nn.functional as F
from lm_eval.models.huggingface import HFLM
from tqdm import tqdm

logger = logging.getLogger(__name__)

# (request strings or None, context token ids, continuation token ids), as lm-eval passes them
Request = tuple[Any, list[int], list[int]]


def _returned_cache(output: Any):
    cache = getattr(output, "cache", None)
    return cache if cache is not None else output.past_key_values


class SharedPrefixHFLM(HFLM):
    """HFLM whose log-likelihoods reuse one key/value cache per distinct context (see the module docstring)."""

    def __init__(self, *args: Any, share_prefix: bool | str = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.share_prefix = str(share_prefix).lower() not in {"false", "0", "no"}
        self._sharing_checked: bool | None = None
        self.sharing_stats = {"shared": 0, "fallback": 0, "context_passes": 0, "continuation_passes": 0}

    # ------------------------------------------------------------------ when sharing applies
    def _sharing_supported(self) -> bool:
        """True when this model and configuration can score through a shared cache (checked once, by a probe)."""
        if not self.share_prefix or self.backend != "causal" or not isinstance(self.batch_size, int):
            return False
        if self._sharing_checked is None:
            self._sharing_checked = self._probe_cache()
            if not self._sharing_checked:
                logger.warning("xlfact-hf: this model's cache cannot be shared; scoring as stock hf does")
        return self._sharing_checked

    def _probe_cache(self) -> bool:
        try:
            from transformers.cache_utils import DynamicCache, DynamicLayer
        except ImportError:
            return False
        params = inspect.signature(self.model.forward).parameters
        takes_kwargs = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
        if not takes_kwargs and not {self._cache_arg(), "position_ids", "attention_mask"} <= set(params):
            return False
        ids = torch.tensor([[self.prefix_token_id] * 2], device=self.device)
        try:
            with torch.inference_mode():
                cache = _returned_cache(self.model(input_ids=ids, use_cache=True))
        except Exception as error:  # noqa: BLE001 - any failure means: do what stock hf does
            logger.warning("xlfact-hf: cache probe failed (%s)", error)
            return False
        return isinstance(cache, DynamicCache) and all(type(layer) is DynamicLayer for layer in cache.layers)

    def _shareable(self, request: Request) -> bool:
        _, context, continuation = request
        return len(context) >= 2 and len(continuation) >= 1 and len(context) + len(continuation) <= self.max_length + 1

    # ------------------------------------------------------------------ lm-eval entry point
    def _loglikelihood_tokens(
        self,
        requests: list[Request],
        disable_tqdm: bool = False,
        override_bs: int | None = None,
    ) -> list[tuple[float, bool]]:
        if override_bs is not None or not self._sharing_supported():
            self.sharing_stats["fallback"] += len(requests)
            return super()._loglikelihood_tokens(requests, disable_tqdm=disable_tqdm, override_bs=override_bs)
        results: list[tuple[float, bool] | None] = [None] * len(requests)
        shared = [i for i, request in enumerate(requests) if self._shareable(request)]
        rest = [i for i, request in enumerate(requests) if not self._shareable(request)]
        if rest:
            self.sharing_stats["fallback"] += len(rest)
            answers = super()._loglikelihood_tokens([requests[i] for i in rest], disable_tqdm=disable_tqdm)
            for i, answer in zip(rest, answers):
                results[i] = answer
        if shared:
            self.sharing_stats["shared"] += len(shared)
            self._score_shared(requests, shared, results, disable_tqdm)
        return results  # type: ignore[return-value]

    # ------------------------------------------------------------------ the shared path
    def _chunks(self, groups: dict[tuple[int, ...], list[int]]) -> list[list[tuple[int, ...]]]:
        """Distinct contexts, longest first (as lm-eval orders), packed so a chunk holds at most ``batch_size``
        continuations (a context with more continuations than that forms a chunk of its own)."""
        chunks: list[list[tuple[int, ...]]] = []
        current: list[tuple[int, ...]] = []
        count = 0
        for context in sorted(groups, key=lambda c: (-len(c), c)):
            size = len(groups[context])
            if current and count + size > self.batch_size:
                chunks.append(current)
                current, count = [], 0
            current.append(context)
            count += size
        if current:
            chunks.append(current)
        return chunks

    def _score_shared(
        self, requests: list[Request], indices: list[int], results: list, disable_tqdm: bool
    ) -> None:
        groups: dict[tuple[int, ...], list[int]] = {}
        for i in indices:
            groups.setdefault(tuple(requests[i][1]), []).append(i)
        pbar = tqdm(
            total=len(indices),
            disable=(disable_tqdm or self.rank != 0),
            desc="Running loglikelihood requests (shared contexts)",
        )
        for chunk in self._chunks(groups):
            cache, prefix_lens = self._context_pass([list(context[:-1]) for context in chunk])
            items = [(row, i) for row, context in enumerate(chunk) for i in groups[context]]
            for start in range(0, len(items), self.batch_size):
                part = items[start : start + self.batch_size]
                answers = self._continuation_pass(
                    cache, prefix_lens, [(row, requests[i][1][-1], requests[i][2]) for row, i in part]
                )
                for (_, i), answer in zip(part, answers):
                    results[i] = answer
                    if requests[i][0] is not None:
                        self.cache_hook.add_partial("loglikelihood", requests[i][0], answer)
                    pbar.update(1)
        pbar.close()

    def _forward(self, **kwargs: Any):
        with (
            torch.inference_mode(),
            torch.autocast(
                device_type=self.device.type,
                dtype=self.mixed_precision_dtype,
                enabled=self.mixed_precision_dtype is not None,
            ),
        ):
            return self.model(**kwargs)

    def _pad_id(self) -> int:
        pad = getattr(self.tokenizer, "pad_token_id", None)
        return int(pad if pad is not None else self.prefix_token_id)

    def _context_pass(self, prefixes: list[list[int]]):
        """Run the context prefixes (right-padded) once; return their cache and true lengths."""
        self.sharing_stats["context_passes"] += 1
        width = max(len(p) for p in prefixes)
        ids = torch.full((len(prefixes), width), self._pad_id(), dtype=torch.long)
        mask = torch.zeros((len(prefixes), width), dtype=torch.long)
        for row, prefix in enumerate(prefixes):
            ids[row, : len(prefix)] = torch.tensor(prefix, dtype=torch.long)
            mask[row, : len(prefix)] = 1
        positions = torch.arange(width, dtype=torch.long).expand(len(prefixes), width)
        out = self._forward(
            input_ids=ids.to(self.device),
            attention_mask=mask.to(self.device),
            position_ids=positions.to(self.device),
            use_cache=True,
            **self._logits_to_keep(1),
        )
        lengths = torch.tensor([len(p) for p in prefixes], dtype=torch.long)
        return _returned_cache(out), lengths

    def _logits_to_keep(self, n: int) -> dict[str, int]:
        params = inspect.signature(self.model.forward).parameters
        return {"logits_to_keep": n} if "logits_to_keep" in params else {}

    def _cache_arg(self) -> str:
        """The forward argument that takes a cache: ``cache`` from transformers 5.2x, ``past_key_values`` before."""
        return "cache" if "cache" in inspect.signature(self.model.forward).parameters else "past_key_values"

    def _continuation_pass(
        self, cache, prefix_lens: torch.Tensor, items: list[tuple[int, int, list[int]]]
    ) -> list[tuple[float, bool]]:
        """Score continuations against their context's cache rows: input ``[last context token] + cont[:-1]``."""
        from transformers.cache_utils import DynamicCache

        self.sharing_stats["continuation_passes"] += 1
        rows = torch.tensor([row for row, _, _ in items], dtype=torch.long)
        inputs = [[last, *continuation[:-1]] for _, last, continuation in items]
        width = max(len(x) for x in inputs)
        ids = torch.full((len(items), width), self._pad_id(), dtype=torch.long)
        new_mask = torch.zeros((len(items), width), dtype=torch.long)
        for j, tokens in enumerate(inputs):
            ids[j, : len(tokens)] = torch.tensor(tokens, dtype=torch.long)
            new_mask[j, : len(tokens)] = 1
        lens = prefix_lens[rows]
        past_width = cache.get_seq_length()
        past_mask = (torch.arange(past_width)[None, :] < lens[:, None]).long()
        positions = lens[:, None] + torch.arange(width)[None, :]
        device_rows = rows.to(self.device)
        selected = DynamicCache(
            ddp_cache_data=[(layer.keys[device_rows], layer.values[device_rows]) for layer in cache.layers]
        )
        out = self._forward(
            input_ids=ids.to(self.device),
            attention_mask=torch.cat([past_mask, new_mask], dim=1).to(self.device),
            position_ids=positions.to(self.device),
            use_cache=True,
            **{self._cache_arg(): selected},
        )
        # only the real continuation positions, row after row: [total continuation tokens, vocab]
        logprobs = F.log_softmax(out.logits[new_mask.bool().to(self.device)], dim=-1, dtype=self.softmax_dtype)
        answers = []
        start = 0
        for _, _, continuation in items:
            block = logprobs[start : start + len(continuation)]
            start += len(continuation)
            target = torch.tensor(continuation, dtype=torch.long, device=block.device)
            greedy = bool((block.argmax(dim=-1) == target).all())
            answers.append((float(torch.gather(block, 1, target[:, None]).sum()), greedy))
        return answers

"""``--model xlfact-hf``: lm-eval's ``hf`` backend with the context run once per distinct context.

Why: a multiple-choice item sends one log-likelihood request per option, all with the same context. Stock ``hf`` runs
the full ``context + option`` sequence for every option (PolyFact: 400 options of the 100 English facts are 8,109
tokens that way, 3,051 with each context counted once) and projects every position onto the vocabulary, though only
the continuation positions are read.

How, exactly as stock ``hf`` scores (same token sequences, same positions, same log-softmax):

- Tokenisation is untouched: ``loglikelihood`` is HFLM's, so ``_encode_pair`` (which moves trailing context spaces
  into the continuation) gives the (context, continuation) token lists; only ``_loglikelihood_tokens`` changes.
- Requests are grouped by their context tokens. A *context pass* runs each distinct context once (a batch of
  contexts, left-padded so they all end in the last column) and keeps its key/value cache; its output projection runs
  at that last position only (``logits_to_keep=1``), which scores the first token of every continuation.
- A *continuation pass* scores all of a context's continuations in one batch row against that cache: the row packs
  ``continuation[:-1]`` of every option side by side at positions ``len(context) ...``, and an additive 4D block mask
  lets each option see the context and its own earlier tokens only (padding sees itself, so no row is fully masked).
  Its logits are the continuation positions (and the row's padding) only.
- Sums, greedy flags and ``cache_hook`` entries are computed as in ``HFLM._loglikelihood_tokens``.

Falls back to the stock method (unchanged results) where sharing cannot apply: seq2seq models, ``batch_size=auto``,
attention kernels that take no 4D mask (flash attention; sdpa and eager do),
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
        if getattr(self.model.config, "_attn_implementation", None) not in ("sdpa", "eager"):
            return False  # the block masks are additive 4D masks, which flash-attention kernels do not take
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
            cache, first_logprobs, lengths = self._context_pass([list(context) for context in chunk])
            # parts of at most batch_size continuations (only a context with more than that is split)
            rows = [(row, groups[context][k : k + self.batch_size]) for row, context in enumerate(chunk)
                    for k in range(0, len(groups[context]), self.batch_size)]
            for row_part in rows if len(rows) > len(chunk) else [None]:
                part = [row_part] if row_part is not None else rows
                answers = self._continuation_pass(cache, first_logprobs, lengths, [
                    (row, [requests[i][2] for i in members]) for row, members in part
                ])
                for (_, members), row_answers in zip(part, answers):
                    for i, answer in zip(members, row_answers):
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

    def _blocked(self, rows: int, queries: int, keys: int) -> torch.Tensor:
        """An additive 4D attention mask with every position blocked: ``[rows, 1, queries, keys]``."""
        return torch.full((rows, 1, queries, keys), torch.finfo(self.model.dtype).min, dtype=self.model.dtype)

    def _context_pass(self, contexts: list[list[int]]):
        """Run the distinct contexts once, left-padded so that they all end at the last column.

        Returns the key/value cache, the log-probabilities at each context's last position (they score the first token
        of every continuation) and the true context lengths. Padding positions attend only to themselves (no fully
        blocked row, hence no NaN in the cache)."""
        self.sharing_stats["context_passes"] += 1
        width = max(len(c) for c in contexts)
        ids = torch.full((len(contexts), width), self._pad_id(), dtype=torch.long)
        positions = torch.zeros((len(contexts), width), dtype=torch.long)
        mask = self._blocked(len(contexts), width, width)
        diagonal = torch.arange(width)
        mask[:, 0, diagonal, diagonal] = 0
        for row, context in enumerate(contexts):
            pad = width - len(context)
            ids[row, pad:] = torch.tensor(context, dtype=torch.long)
            positions[row, pad:] = torch.arange(len(context))
            mask[row, 0, pad:, pad:].masked_fill_(torch.ones(len(context), len(context)).tril().bool(), 0.0)
        out = self._forward(
            input_ids=ids.to(self.device),
            attention_mask=mask.to(self.device),
            position_ids=positions.to(self.device),
            use_cache=True,
            **self._logits_to_keep(1),
        )
        first = F.log_softmax(out.logits[:, -1, :], dim=-1, dtype=self.softmax_dtype)
        return _returned_cache(out), first, [len(c) for c in contexts]

    def _logits_to_keep(self, n: int) -> dict[str, int]:
        params = inspect.signature(self.model.forward).parameters
        return {"logits_to_keep": n} if "logits_to_keep" in params else {}

    def _cache_arg(self) -> str:
        """The forward argument that takes a cache: ``cache`` from transformers 5.2x, ``past_key_values`` before."""
        return "cache" if "cache" in inspect.signature(self.model.forward).parameters else "past_key_values"

    def _continuation_pass(
        self, cache, first_logprobs: torch.Tensor, lengths: list[int], rows: list[tuple[int, list[list[int]]]]
    ) -> list[list[tuple[float, bool]]]:
        """Score every continuation of the given contexts in one forward pass over their cache.

        Each row packs one context's continuations side by side (``cont[:-1]`` each, at positions ``len(context) ...``);
        a block mask lets each continuation see the context and its own earlier tokens only, so the logits are
        exactly stock ``hf``'s at the continuation positions. The cache is cropped back afterwards for the next part."""
        self.sharing_stats["continuation_passes"] += 1
        past = cache.get_seq_length()
        width = max(1, max(sum(len(c) - 1 for c in conts) for _, conts in rows))
        ids = torch.full((len(rows), width), self._pad_id(), dtype=torch.long)
        positions = torch.zeros((len(rows), width), dtype=torch.long)
        mask = self._blocked(len(rows), width, past + width)
        diagonal = torch.arange(width)
        mask[:, 0, diagonal, past + diagonal] = 0
        offsets: list[list[int]] = []
        for r, (row, conts) in enumerate(rows):
            offset, row_offsets = 0, []
            for cont in conts:
                n = len(cont) - 1
                row_offsets.append(offset)
                if n:
                    span = slice(offset, offset + n)
                    ids[r, span] = torch.tensor(cont[:-1], dtype=torch.long)
                    positions[r, span] = lengths[row] + torch.arange(n)
                    mask[r, 0, span, past - lengths[row] : past] = 0
                    block = mask[r, 0, span, past + offset : past + offset + n]
                    block.masked_fill_(torch.ones(n, n).tril().bool(), 0.0)
                offset += n
            offsets.append(row_offsets)
        cache_rows = torch.tensor([row for row, _ in rows], dtype=torch.long, device=self.device)
        if len(rows) != cache.layers[0].keys.shape[0] or not torch.equal(
                cache_rows, torch.arange(len(rows), device=self.device)):
            from transformers.cache_utils import DynamicCache

            cache = DynamicCache(
                ddp_cache_data=[(layer.keys[cache_rows], layer.values[cache_rows]) for layer in cache.layers]
            )
        saved = [(layer.keys, layer.values) for layer in cache.layers]  # the update concatenates: these stay intact
        out = self._forward(
            input_ids=ids.to(self.device),
            attention_mask=mask.to(self.device),
            position_ids=positions.to(self.device),
            use_cache=True,
            **{self._cache_arg(): cache},
        )
        for layer, (keys, values) in zip(cache.layers, saved):  # back to the context alone, for the next part
            layer.keys, layer.values = keys, values
        logits = out.logits
        answers: list[list[tuple[float, bool]]] = []
        for r, (row, conts) in enumerate(rows):
            row_answers = []
            for cont, offset in zip(conts, offsets[r]):
                rest = logits[r, offset : offset + len(cont) - 1]
                block = torch.cat([first_logprobs[row][None, :],
                                   F.log_softmax(rest, dim=-1, dtype=self.softmax_dtype)], dim=0)
                target = torch.tensor(cont, dtype=torch.long, device=block.device)
                greedy = bool((block.argmax(dim=-1) == target).all())
                row_answers.append((float(torch.gather(block, 1, target[:, None]).sum()), greedy))
            answers.append(row_answers)
        return answers

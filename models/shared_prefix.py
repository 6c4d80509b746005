"""``--model xlfact-hf``: lm-eval's ``hf`` backend with each distinct context run once for all its continuations.

Why: a multiple-choice item sends one log-likelihood request per option, all with the same context. Stock ``hf`` runs
the full ``context + option`` sequence for every option (PolyFact: the 400 options of the 100 English facts are 7,709
tokens that way, 2,951 with each context counted once) and projects every position onto the vocabulary, though only
the continuation positions are read.

How, exactly as stock ``hf`` scores (same token sequences, same positions, same log-softmax):

- Tokenisation is untouched: ``loglikelihood`` is HFLM's, so ``_encode_pair`` (which moves trailing context spaces
  into the continuation) gives the (context, continuation) token lists; only ``_loglikelihood_tokens`` changes.
- Requests are grouped by their context tokens. One forward pass scores up to ``batch_size`` requests, packed into a
  single row with no padding: ``context, cont_1[:-1], cont_2[:-1], ...`` for each distinct context in turn, with the
  position ids stock ``hf`` gives those tokens (each continuation starts at ``len(context)``). An additive 4D block
  mask lets each context see itself causally and each continuation see its own context and its own earlier tokens
  only, so each needed position computes what it computes in stock ``hf``'s ``context + cont[:-1]`` row. A row holds
  at most ``row_tokens`` tokens (``--model_args row_tokens=N``, default 256) unless one context with its
  continuations is longer: attention over a row costs its length squared, mostly on blocked pairs.
- The output projection runs only where a log-probability is read (``logits_to_keep`` with the positions): each
  context's last position (it scores every continuation's first token) and the continuation positions.
- Sums, greedy flags and ``cache_hook`` entries are computed as in ``HFLM._loglikelihood_tokens``.

Falls back to the stock method (unchanged results) where sharing cannot apply: seq2seq models, ``batch_size=auto``,
attention kernels that take no 4D mask (flash attention; sdpa and eager do), ``loglikelihood_rolling`` windows (they
pass ``override_bs``), contexts of one token, requests lm-eval would truncate from the left, models with
sliding-window, hybrid or quantised cache layers (a packed row is longer than any one sequence), models that take no
``position_ids`` / 4D mask or whose packed probe differs from the stock path, and ``share_prefix=False`` in
``--model_args``. Generation is HFLM's own ``generate_until``.

float32 results equal stock ``hf`` within 1e-4 (matrix shapes differ, so the last bits do); tests check that and that
the verdicts are identical on the bundled PolyFact sample and the 100 real English facts.
"""

from __future__ import annotations

import functools
import inspect
import logging
from typing import Any

import torch
import torch.nn.functional as F
from lm_eval.models.huggingface import HFLM
from tqdm import tqdm

from xlfact.errors import UsageError

logger = logging.getLogger(__name__)

# (request strings or None, context token ids, continuation token ids), as lm-eval passes them
Request = tuple[Any, list[int], list[int]]
# (context token ids, indices of the requests with that context) scored together in one packed row
Unit = tuple[list[int], list[int]]


def _returned_cache(output: Any):
    cache = getattr(output, "cache", None)
    return cache if cache is not None else output.past_key_values


class SharedPrefixHFLM(HFLM):
    """HFLM whose log-likelihoods run each distinct context once, packed with its continuations (module docstring)."""

    def __init__(
        self, *args: Any, share_prefix: bool | str = True, row_tokens: int | str = 256, **kwargs: Any
    ) -> None:
        from xlfact.core.values import check

        if not str(row_tokens).isdigit() or int(row_tokens) < 1:  # before the model loads

            raise UsageError(f"--model_args row_tokens={row_tokens!r}: expected a positive whole number of tokens")
        share_prefix = check(share_prefix, "bool", "--model_args share_prefix")  # 'maybe' is not true
        super().__init__(*args, **kwargs)
        self._check_vocabulary()
        self.share_prefix = share_prefix
        self.row_tokens = int(row_tokens)
        self._sharing_checked: bool | None = None
        self.sharing_stats = {"shared": 0, "fallback": 0, "passes": 0}

    def _check_vocabulary(self) -> None:
        """A tokenizer with more tokens than the model embeds (another model's tokenizer, most often) would index past
        the embedding table mid-run (an IndexError after hours); one line before any request instead."""
        from xlfact.errors import UsageError

        embeddings = self.model.get_input_embeddings() if hasattr(self.model, "get_input_embeddings") else None
        rows = getattr(embeddings, "num_embeddings", None)
        size = len(self.tokenizer) if self.tokenizer is not None else 0
        if isinstance(rows, int) and size > rows:
            raise UsageError(f"--model_args tokenizer: {size} tokens, but the model embeds only {rows}; token ids >= "
                             f"{rows} cannot be scored (use the model's own tokenizer)")

    # ------------------------------------------------------------------ when sharing applies
    def _sharing_supported(self) -> bool:
        """True when this model and configuration score exactly through packed rows (checked once, by a probe)."""
        if not self.share_prefix or self.backend != "causal" or not isinstance(self.batch_size, int):
            return False
        if getattr(self.model.config, "_attn_implementation", None) not in ("sdpa", "eager"):
            return False  # the block masks are additive 4D masks, which flash-attention kernels do not take
        if self._sharing_checked is None:
            self._sharing_checked = self._probe()
            if not self._sharing_checked:
                logger.warning("xlfact-hf: this model cannot score packed rows exactly; scoring as stock hf does")
        return self._sharing_checked

    def _probe(self) -> bool:
        """Whether packing is exact for this model: its layers are plain full-attention ones (a model whose cache
        has sliding-window, hybrid or quantised layers would attend differently over a long packed row), it takes
        position ids and a 4D mask, and a small packed pass equals the stock path on it."""
        try:
            from transformers.cache_utils import DynamicCache, DynamicLayer
        except ImportError:
            return False
        params = inspect.signature(self.model.forward).parameters
        takes_kwargs = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
        if not takes_kwargs and not {"position_ids", "attention_mask"} <= set(params):
            return False
        ids = self.tok_encode("Question: Which one?\nAnswer: this one, not that one")
        if len(ids) < 6:
            ids = (ids + [self.prefix_token_id] * 6)[:6]
        requests = [(None, ids[:3], ids[3:5]), (None, ids[:3], ids[3:4] + ids[5:6]), (None, ids[:4], ids[4:6])]
        try:
            with torch.inference_mode():
                cache = _returned_cache(self.model(input_ids=torch.tensor([ids[:2]], device=self.device),
                                                   use_cache=True))
            if not (isinstance(cache, DynamicCache) and all(type(layer) is DynamicLayer for layer in cache.layers)):
                return False
            packed = dict(pair for units in self._passes(requests, [0, 1, 2])
                          for pair in self._score_units(requests, units))
            stock = super()._loglikelihood_tokens(requests, disable_tqdm=True)
        except Exception as error:  # noqa: BLE001 - any failure means: do what stock hf does
            logger.warning("xlfact-hf: packing probe failed (%s)", error)
            return False
        tolerance = 1e-3 if self.model.dtype == torch.float32 else 5e-2
        return all(abs(packed[i][0] - b) <= tolerance and packed[i][1] == gb for i, (b, gb) in enumerate(stock))

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
    def _passes(self, requests: list[Request], indices: list[int]) -> list[list[Unit]]:
        """Requests grouped by context into units, packed greedily into passes.

        Distinct contexts go longest first (as lm-eval orders); a context with more than ``batch_size``
        continuations is split into units of at most ``batch_size`` (each repeats the context). A pass holds at most
        ``batch_size`` continuations and, once it holds one unit, at most ``row_tokens`` tokens: attention over a
        packed row costs its length squared, most of it on blocked pairs, so long rows are cut."""
        groups: dict[tuple[int, ...], list[int]] = {}
        for i in indices:
            groups.setdefault(tuple(requests[i][1]), []).append(i)
        passes: list[list[Unit]] = []
        count = tokens = 0
        for context in sorted(groups, key=lambda c: (-len(c), c)):
            members = groups[context]
            for k in range(0, len(members), self.batch_size):
                unit = (list(context), members[k : k + self.batch_size])
                size = len(context) + sum(len(requests[i][2]) - 1 for i in unit[1])
                if not passes or count + len(unit[1]) > self.batch_size or tokens + size > self.row_tokens:
                    passes.append([])
                    count = tokens = 0
                passes[-1].append(unit)
                count += len(unit[1])
                tokens += size
        return passes

    def _score_shared(
        self, requests: list[Request], indices: list[int], results: list, disable_tqdm: bool
    ) -> None:
        pbar = tqdm(
            total=len(indices),
            disable=(disable_tqdm or self.rank != 0),
            desc="Running loglikelihood requests (shared contexts)",
        )
        for units in self._passes(requests, indices):
            self.sharing_stats["passes"] += 1
            for i, answer in self._score_units(requests, units):
                results[i] = answer
                if requests[i][0] is not None:
                    self.cache_hook.add_partial("loglikelihood", requests[i][0], answer)
                pbar.update(1)
        pbar.close()

    def _score_units(self, requests: list[Request], units: list[Unit]) -> list[tuple[int, tuple[float, bool]]]:
        """(request index, (log-likelihood, greedy)) for every request of one pass's units, scored in one packed row."""
        answers = self._packed_pass([(context, [requests[i][2] for i in members]) for context, members in units])
        return [(i, answer) for (_, members), unit_answers in zip(units, answers)
                for i, answer in zip(members, unit_answers)]

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

    @functools.cached_property
    def _takes_logits_to_keep(self) -> bool:
        """Whether the model's forward takes ``logits_to_keep`` (read once, not on every pass)."""
        return "logits_to_keep" in inspect.signature(self.model.forward).parameters

    def _packed_pass(self, units: list[tuple[list[int], list[list[int]]]]) -> list[list[tuple[float, bool]]]:
        """Score every continuation of the given contexts in one forward pass over one packed row.

        The row is ``context, cont_1[:-1], cont_2[:-1], ...`` for each unit in turn, with the position ids stock
        ``hf`` gives those tokens (the context from 0, each continuation from ``len(context)``). An additive 4D block
        mask lets the context see itself causally and each continuation see its context and its own earlier tokens
        only, so every needed position computes exactly what it computes in stock ``hf``'s ``context + cont[:-1]``
        row. The output projection runs at the needed positions only: each context's last position (it scores the
        first token of each continuation) and the continuation positions."""
        width = sum(len(context) + sum(len(c) - 1 for c in conts) for context, conts in units)
        ids = torch.empty(width, dtype=torch.long)
        positions = torch.empty(width, dtype=torch.long)
        mask = torch.full((1, 1, width, width), torch.finfo(self.model.dtype).min, dtype=self.model.dtype)
        keep: list[int] = []
        # per unit: index (in ``keep``) of the context's last position, and per continuation its first index there
        layout: list[tuple[int, list[int]]] = []
        offset = 0
        for context, conts in units:
            n = len(context)
            ids[offset : offset + n] = torch.tensor(context, dtype=torch.long)
            positions[offset : offset + n] = torch.arange(n)
            mask[0, 0, offset : offset + n, offset : offset + n].masked_fill_(torch.ones(n, n).tril().bool(), 0.0)
            last = len(keep)
            keep.append(offset + n - 1)
            starts, start = [], offset + n
            for cont in conts:
                m = len(cont) - 1
                starts.append(len(keep))
                if m:
                    span = slice(start, start + m)
                    ids[span] = torch.tensor(cont[:-1], dtype=torch.long)
                    positions[span] = n + torch.arange(m)
                    mask[0, 0, span, offset : offset + n] = 0.0
                    mask[0, 0, span, span].masked_fill_(torch.ones(m, m).tril().bool(), 0.0)
                    keep.extend(range(start, start + m))
                start += m
            layout.append((last, starts))
            offset = start
        kept = torch.tensor(keep, dtype=torch.long, device=self.device)
        extra = {"logits_to_keep": kept} if self._takes_logits_to_keep else {}
        out = self._forward(
            input_ids=ids[None].to(self.device),
            attention_mask=mask.to(self.device),
            position_ids=positions[None].to(self.device),
            use_cache=False,
            **extra,
        )
        logits = out.logits[0] if extra else out.logits[0, kept]
        logprobs = F.log_softmax(logits, dim=-1, dtype=self.softmax_dtype)
        answers: list[list[tuple[float, bool]]] = []
        for (_, conts), (last, starts) in zip(units, layout):
            unit_answers = []
            for cont, first in zip(conts, starts):
                block = torch.cat([logprobs[last][None, :], logprobs[first : first + len(cont) - 1]], dim=0)
                target = torch.tensor(cont, dtype=torch.long, device=block.device)
                greedy = bool((block.argmax(dim=-1) == target).all())
                unit_answers.append((float(torch.gather(block, 1, target[:, None]).sum()), greedy))
            answers.append(unit_answers)
        return answers

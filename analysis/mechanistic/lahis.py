"""LAHIS: language-important attention heads from a learnable head mask (spec §3; paper §5.5, Figs. 7, 8, 11-13).

Per language, a mask ``m`` [L x H] (in the model's dtype, bf16 for the authors) scales each head's attention output
after softmax·V and before ``o_proj`` — here a forward pre-hook on every ``self_attn.o_proj`` that reshapes its input
to ``[B, T, H, d]``, no monkey-patched attention. For each chunk (one per step, <= 512 tokens, default special tokens):
zero_grad, ``loss = model(ids, labels=ids).loss``, backward, ``imp += |g|·m·1000``, ``neg += [g·m < 0]`` with the
**current** mask, then an AdamW step on the mask (lr 1e-2, torch defaults incl. weight decay 0.01). The score is
``(imp / N) · (neg / N)``. So the mask drifts: this is not a one-shot Taylor score at m = 1.

Causal by default. ``noncausal=True`` reproduces the authors' published tensors, whose patched attention ran without a
causal mask under sdpa (spec §0.10): every position sees the future. Outputs carry ``mode`` and are never comparable
across the two.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from xlfact.analysis.mechanistic.common import decoder_layers

BIDIRECTIONAL = "xlfact_bidirectional"
TOP_FRAC = 0.02


def register_bidirectional_attention() -> str:
    """Register an attention implementation that is sdpa without any mask and ``is_causal=False``."""
    from transformers import AttentionInterface
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    def bidirectional(module, query, key, value, attention_mask, **kwargs):
        kwargs.pop("is_causal", None)
        return sdpa_attention_forward(module, query, key, value, None, is_causal=False, **kwargs)

    AttentionInterface.register(BIDIRECTIONAL, bidirectional)
    try:
        from transformers.masking_utils import ALL_MASK_ATTENTION_FUNCTIONS, sdpa_mask

        ALL_MASK_ATTENTION_FUNCTIONS.register(BIDIRECTIONAL, sdpa_mask)
    except ImportError:  # older transformers build masks without this registry
        pass
    return BIDIRECTIONAL


def set_attention(model, noncausal: bool) -> str:
    """Switch the model to bidirectional (authors' parity) or eager causal attention; returns the mode label."""
    if noncausal:
        model.set_attn_implementation(register_bidirectional_attention())
        return "noncausal"
    return "causal"


def attach_head_mask(model, mask):
    """Pre-hooks that scale head h of layer l by ``mask[l, h]`` before o_proj; returns the hook handles."""
    handles = []
    n_heads = mask.shape[1]
    for i, layer in enumerate(decoder_layers(model)):
        def pre_hook(_module, args, i=i):
            x = args[0]
            shape = x.shape
            scaled = x.reshape(*shape[:-1], n_heads, shape[-1] // n_heads) * mask[i].to(x.dtype)[:, None]
            return (scaled.reshape(shape), *args[1:])
        handles.append(layer.self_attn.o_proj.register_forward_pre_hook(pre_hook))
    return handles


def language_scores(model, tokenizer, texts: Sequence[str], *, lr: float = 1e-2, max_length: int = 512,
                    device: str = "cpu", progress=None, mask_dtype=None) -> Any:
    """The LAHIS score [L x H] (float32) of one language over ``texts`` (one optimiser step per text)."""
    import torch

    n_layers, n_heads = model.config.num_hidden_layers, model.config.num_attention_heads
    dtype = mask_dtype or next(model.parameters()).dtype
    mask = torch.nn.Parameter(torch.ones(n_layers, n_heads, dtype=dtype, device=device))
    for p in model.parameters():
        p.requires_grad_(False)
    imp = torch.zeros(n_layers, n_heads, dtype=torch.float32, device=device)
    neg = torch.zeros(n_layers, n_heads, dtype=torch.int64, device=device)
    optimizer = torch.optim.AdamW([mask], lr=lr)
    handles = attach_head_mask(model, mask)
    n = 0
    try:
        for text in (progress or (lambda x: x))(texts):
            ids = tokenizer(text, return_tensors="pt", truncation=True, max_length=max_length)["input_ids"].to(device)
            loss = model(input_ids=ids, labels=ids).loss
            optimizer.zero_grad()
            loss.backward()
            with torch.no_grad():
                g, m = mask.grad.float(), mask.detach().float()
                imp += g.abs() * m * 1000
                neg += (g * m < 0).to(torch.int64)
            optimizer.step()
            n += 1
    finally:
        for h in handles:
            h.remove()
    if n == 0:
        raise ValueError("LAHIS: no texts")
    return ((imp / n) * (neg.float() / n)).cpu()


def sample_texts(texts: Sequence[str], n: int, seed: int = 86) -> list[str]:
    """``datasets.shuffle(seed=86)`` then the first ``n``: ``np.random.default_rng(86).permutation(N)``."""
    import numpy as np

    order = np.random.default_rng(seed).permutation(len(texts))
    return [texts[i] for i in order[:n]]


def n_top(n_layers: int, n_heads: int, frac: float = TOP_FRAC) -> int:
    return max(1, int(n_layers * n_heads * frac))


def top_heads(score, n: int) -> list[int]:
    """Flat indices (layer·H + head) of the n highest scores, in ``torch.topk`` order."""
    import torch

    return torch.topk(score.flatten().float(), n).indices.tolist()


def overlap(a: Sequence[int], b: Sequence[int], n: int) -> float:
    return 100.0 * len(set(a) & set(b)) / n


def layer_profile(flat: Sequence[int], n_heads: int, n_layers: int) -> list[float]:
    """% of a language's top heads in each layer (sums to 100)."""
    counts = [0] * n_layers
    for f in flat:
        counts[f // n_heads] += 1
    return [100.0 * c / len(flat) for c in counts]


def summarise(scores: dict[str, Any], n_layers: int, n_heads: int, mode: str) -> dict[str, Any]:
    """Top heads, pairwise overlap and layer profiles of per-language score matrices."""
    n = n_top(n_layers, n_heads)
    langs = list(scores)
    top = {lang: top_heads(scores[lang], n) for lang in langs}
    return {
        "mode": mode,
        "n_top": n,
        "n_layers": n_layers,
        "n_heads": n_heads,
        "languages": langs,
        "top_heads": {lang: [[f // n_heads, f % n_heads] for f in top[lang]] for lang in langs},
        "overlap": [[overlap(top[a], top[b], n) for b in langs] for a in langs],
        "layer_profile": {lang: layer_profile(top[lang], n_heads, n_layers) for lang in langs},
        "scores": {lang: scores[lang].tolist() for lang in langs},
    }


def stable_changed(top_a: Sequence[Sequence[int]], top_b: Sequence[Sequence[int]]) -> tuple[int, int]:
    """(stable, changed) = (|T_a ∩ T_b|, n - stable) over [layer, head] pairs."""
    a = {tuple(x) for x in top_a}
    stable = len(a & {tuple(x) for x in top_b})
    return stable, len(top_a) - stable

"""LAPE: language-specific MLP neurons by activation-probability entropy (spec §2; paper §5.4, Figs. 5, 6, 14, 15).

Rules (the authors' ``run_lape.py``), each pinned by a test:
- a neuron is one intermediate dimension; it is **active** at a position when ``act_fn(gate_proj(x)) > 0`` — a
  forward hook on ``gate_proj`` sees the gate pre-activation, not ``act*up`` nor the ``down_proj`` input;
- counts cover every position of fixed windows (``seq_len``) of a flat, BOS-less token stream per language;
- ``p = count / n_tokens``; ``q = p / (Σ_lang p + 1e-9)``; ``H = -Σ q ln(q + 1e-9)`` in float64; never-active
  neurons get ``H = +inf``;
- the ``k = max(1, int(L·I·frac))`` lowest entropies **over the whole model** (ties by flat index, a stable sort), each
  assigned to its **argmax** language (first maximum wins); no activation threshold.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from xlfact.analysis.mechanistic.common import AnalysisInputError, decoder_layers

EPS = 1e-9


def token_stream(tokenizer, units: Sequence[str], max_tokens: int) -> list[int]:
    """Each unit tokenised on its own without special tokens, concatenated, stopped once >= max_tokens, cut there."""
    ids: list[int] = []
    for unit in units:
        ids.extend(tokenizer(unit, add_special_tokens=False)["input_ids"])
        if len(ids) >= max_tokens:
            break
    return ids[:max_tokens]


def windows(ids: Sequence[int], seq_len: int):
    """``[n_windows, seq_len]`` of the first ``floor(len/seq_len)*seq_len`` tokens (no BOS, no padding)."""
    import torch

    n = (len(ids) // seq_len) * seq_len
    return torch.tensor(list(ids[:n]), dtype=torch.long).reshape(-1, seq_len)


def gate_modules(model) -> list:
    mods = []
    for i, layer in enumerate(decoder_layers(model)):
        mlp = getattr(layer, "mlp", None)
        if mlp is None or not hasattr(mlp, "gate_proj") or not hasattr(mlp, "act_fn"):
            raise AnalysisInputError(f"layer {i}: no mlp.gate_proj/act_fn; LAPE needs a gated (SwiGLU-style) MLP")
        mods.append(mlp)
    return mods


def count_active(model, window_batches, device: str = "cpu", progress=None):
    """Active counts [L, I] (int64) over all positions of the windows, from hooks on every ``mlp.gate_proj``."""
    import torch

    mlps = gate_modules(model)
    n_inter = mlps[0].gate_proj.out_features
    counts = torch.zeros(len(mlps), n_inter, dtype=torch.int64, device=device)
    handles = []
    for i, mlp in enumerate(mlps):
        def hook(_module, _inputs, output, i=i, act=mlp.act_fn):
            counts[i] += (act(output.float()) > 0).reshape(-1, output.shape[-1]).sum(0)
        handles.append(mlp.gate_proj.register_forward_hook(hook))
    try:
        with torch.no_grad():
            for batch in (progress or (lambda x: x))(window_batches):
                model(input_ids=batch.to(device))
    finally:
        for h in handles:
            h.remove()
    return counts.cpu()


def entropy(counts, n_tokens):
    """Entropy H [L, I] (float64) from counts [K, L, I] and tokens per language [K]; never-active neurons -> +inf."""
    import torch

    c = counts.to(torch.float64)
    p = c / torch.as_tensor(n_tokens, dtype=torch.float64).reshape(-1, *([1] * (c.dim() - 1)))
    q = p / (p.sum(0, keepdim=True) + EPS)
    h = -(q * torch.log(q + EPS)).sum(0)
    h[c.sum(0) == 0] = float("inf")
    return h, q


def n_selected(n_layers: int, n_inter: int, frac: float = 0.01, rounding: str = "int") -> int:
    """``max(1, int(L·I·frac))`` (run_lape.py); ``rounding="round"`` gives the notebook's ``round()``."""
    value = n_layers * n_inter * frac
    return max(1, round(value) if rounding == "round" else int(value))


def select(counts, n_tokens, langs: Sequence[str], frac: float = 0.01, rounding: str = "int") -> dict[str, Any]:
    """The k lowest-entropy neurons of the whole model, each assigned to its argmax language.

    Returns ``{k, k_requested, neurons: {lang: [[layer, index], ...]}, totals, per_layer}`` (layers 0-based, per-layer
    lists zero-filled over every layer). Never-active neurons (H = inf) are never selected, so ``k`` can fall below
    ``k_requested`` only when fewer neurons were ever active."""
    import torch

    n_layers, n_inter = counts.shape[1], counts.shape[2]
    h, q = entropy(counts, n_tokens)
    k_requested = n_selected(n_layers, n_inter, frac, rounding)
    flat = h.flatten()
    order = torch.sort(flat, stable=True).indices
    finite = int(torch.isfinite(flat).sum())
    chosen = order[: min(k_requested, finite)]
    owner = q.reshape(len(langs), -1)[:, chosen].argmax(0)  # torch.argmax returns the first maximum
    neurons: dict[str, list[list[int]]] = {lang: [] for lang in langs}
    per_layer = {lang: [0] * n_layers for lang in langs}
    for flat_index, lang_index in zip(chosen.tolist(), owner.tolist()):
        layer, index = divmod(flat_index, n_inter)
        lang = langs[lang_index]
        neurons[lang].append([layer, index])
        per_layer[lang][layer] += 1
    return {"k": len(chosen), "k_requested": k_requested, "neurons": neurons,
            "totals": {lang: len(v) for lang, v in neurons.items()}, "per_layer": per_layer}


def per_layer_from_authors(data: dict[str, Any], n_layers: int) -> dict[str, list[int]]:
    """Per-layer counts (0-based, zero-filled) from an authors' LAPE file: ``run_lape.py``'s
    ``{"<layer+1>": {lang: [ids]}}`` (empty layers omitted) or the notebook's ``{"<layer+1>": {lang: count}}``."""
    out: dict[str, list[int]] = {}
    for layer_key, by_lang in data.items():
        layer = int(layer_key) - 1
        for lang, value in by_lang.items():
            out.setdefault(lang, [0] * n_layers)[layer] += len(value) if isinstance(value, list) else int(value)
    return out


def d_ks(per_layer_base: dict[str, Sequence[int]], per_layer_model: dict[str, Sequence[int]]) -> float:
    """max over layers of |F_base - F_model|, F = cumulative per-layer count of selected neurons summed over languages
    over its total (VISnb:340-365); both inputs zero-filled over the same layers."""
    def cdf(per_layer: dict[str, Sequence[int]]) -> list[float]:
        n_layers = max(len(v) for v in per_layer.values())
        totals = [sum(v[i] for v in per_layer.values() if i < len(v)) for i in range(n_layers)]
        run, out = 0, []
        for t in totals:
            run += t
            out.append(run)
        return [x / run if run else 0.0 for x in out]

    a, b = cdf(per_layer_base), cdf(per_layer_model)
    if len(a) != len(b):
        raise ValueError(f"D_KS: the models have {len(a)} and {len(b)} layers")
    return max(abs(x - y) for x, y in zip(a, b))

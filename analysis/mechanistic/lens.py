"""Layer-wise logit-lens ranks of the native answer, the English answer and a decoy (spec §1; paper Fig. 3, Fig. 9).

One forward pass per batch with ``output_hidden_states``; at the last prompt position every point (embeddings + each
layer) goes through the final norm and the unembedding, and a target's rank is the number of vocabulary entries
with a **strictly** higher logit (0-based; the authors' argsort position except on exact ties). The comparison is one
tensor operation over the vocabulary, never a Python loop.

Two rules are reported side by side because they give very different curves:
- ``*_rank_last``: the authors' target, the **last** sub-token of ``encode(" " + text.strip())`` without specials;
- ``*_rank_first``: its first sub-token.

``final_norm="model"`` (default) uses the model's own logits at the last point (HF's last hidden state is already
normed); ``"authors"`` re-applies the norm there too, as the notebook did (spec §0.3), so its last point is not the
model's output distribution.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from xlfact.analysis.mechanistic.common import final_norm

TARGETS = ("answer", "answer_en", "decoy")
RULES = ("last", "first")


def target_token_ids(tokenizer, text: str) -> tuple[int, int]:
    """(last, first) sub-token id of ``" " + text.strip()``, encoded without special tokens."""
    ids = tokenizer.encode(" " + text.strip(), add_special_tokens=False)
    if not ids:
        raise ValueError(f"answer {text!r} encodes to no token")
    return ids[-1], ids[0]


def token_text(tokenizer, token_id: int) -> str:
    """One token as a reader sees it: its decoded text (``" L"``, ``"res"``, ``" French"``), not the byte-level piece
    (``"ĠL"``). A token that holds only part of a character's UTF-8 bytes decodes alone to "\ufffd"; it is shown as
    those bytes instead (``" \\xe6"`` for the first piece of 法语 in SmolLM2's vocabulary)."""
    text = tokenizer.decode([token_id])
    if "\ufffd" not in text:
        return text
    from transformers.convert_slow_tokenizer import bytes_to_unicode

    byte_of = {char: byte for byte, char in bytes_to_unicode().items()}
    piece = tokenizer.convert_ids_to_tokens(token_id)
    if piece and all(char in byte_of for char in piece):  # a byte-level BPE piece (GPT-2 style vocabularies)
        return bytes(byte_of[char] for char in piece).decode("utf-8", errors="backslashreplace")
    return text


def ranks_of(logits, target_ids):
    """Strict-greater ranks: ``logits`` [P, V], ``target_ids`` [T] or [P, T] -> [P, T] int64."""
    import torch

    ids = target_ids if target_ids.dim() == 2 else target_ids.expand(logits.shape[0], -1)
    chosen = logits.gather(1, ids)
    return (logits.unsqueeze(1) > chosen.unsqueeze(2)).sum(-1).to(torch.int64)


def point_logits(model, hidden_states, last_index, final_norm_mode: str = "model", model_logits=None):
    """Logits [points, batch, vocab] at each sequence's last prompt position, in float32."""
    import torch

    norm = final_norm(model)
    head = model.get_output_embeddings()
    batch = torch.arange(last_index.shape[0], device=last_index.device)
    out = []
    n_points = len(hidden_states)
    for p, h in enumerate(hidden_states):
        x = h[batch, last_index]
        if p == n_points - 1 and final_norm_mode == "model":
            out.append(model_logits.float() if model_logits is not None else head(x).float())
        else:
            out.append(head(norm(x)).float())
    return torch.stack(out)


def lens_batch(model, tokenizer, items: Sequence[dict[str, Any]], final_norm_mode: str = "model",
               device: str = "cpu") -> list[dict[str, Any]]:
    """Lens results of a batch of items (left-padded prompts, position ids from the attention mask)."""
    import torch

    tokenizer.padding_side = "left"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    enc = tokenizer([it["prompt"] for it in items], return_tensors="pt", padding=True)  # default special tokens
    input_ids, mask = enc["input_ids"].to(device), enc["attention_mask"].to(device)
    position_ids = (mask.cumsum(-1) - 1).clamp(min=0)
    with torch.no_grad():
        out = model(input_ids=input_ids, attention_mask=mask, position_ids=position_ids, output_hidden_states=True,
                    logits_to_keep=1)
        last = torch.full((len(items),), input_ids.shape[1] - 1, device=device)
        own = out.logits[:, -1, :]
        logits = point_logits(model, out.hidden_states, last, final_norm_mode, own)  # [P, B, V]
        results = []
        for b, item in enumerate(items):
            ids = {t: target_token_ids(tokenizer, item[t]) for t in TARGETS if item.get(t)}
            names = [(t, r) for t in ids for r in RULES]
            tid = torch.tensor([ids[t][RULES.index(r)] for t, r in names], device=device)
            ranks = ranks_of(logits[:, b, :], tid).cpu()
            own_ranks = ranks_of(own[b:b + 1].float(), tid).cpu()[0]
            res: dict[str, Any] = {k: item[k] for k in item if k != "prompt"}
            for j, (t, r) in enumerate(names):
                res[f"{t}_rank_{r}"] = ranks[:, j].tolist()
                res[f"{t}_token_{r}"] = tokenizer.convert_ids_to_tokens(ids[t][RULES.index(r)])  # vocabulary piece
                res[f"{t}_text_{r}"] = token_text(tokenizer, ids[t][RULES.index(r)])  # what figures and tables show
                res[f"{t}_model_rank_{r}"] = int(own_ranks[j])
            res["final_top1"] = tokenizer.decode([int(own[b].argmax())])
            last_ids = {t: ids[t][0] for t in ids}
            res["collisions"] = {
                "answer_en": last_ids["answer"] == last_ids["answer_en"],
                "answer_decoy": "decoy" in last_ids and last_ids["answer"] == last_ids["decoy"],
                "en_decoy": "decoy" in last_ids and last_ids["answer_en"] == last_ids["decoy"],
                "answer_en_first": ids["answer"][1] == ids["answer_en"][1],
            }
            results.append(res)
    return results


def aggregate(results: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Per language and rule, the mean over items of ``log1p(rank)`` per point for the answer and the English answer.

    Items whose native and English target ids collide under a rule are left out of that rule's means (counted in
    ``n_collided``): their two curves are the same token."""
    out: dict[str, Any] = {}
    for lang in sorted({r["lang"] for r in results}):
        rows = [r for r in results if r["lang"] == lang]
        entry: dict[str, Any] = {}
        for rule in RULES:
            flag = "answer_en" if rule == "last" else "answer_en_first"
            kept = [r for r in rows if not r["collisions"][flag]]
            entry[rule] = {"n": len(kept), "n_collided": len(rows) - len(kept)}
            for target in ("answer", "answer_en"):
                curves = [[math.log1p(v) for v in r[f"{target}_rank_{rule}"]] for r in kept]
                entry[rule][f"{target}_mean_log1p_rank"] = (
                    [sum(c[p] for c in curves) / len(curves) for p in range(len(curves[0]))] if curves else []
                )
        out[lang] = entry
    return out

"""Representation similarity across checkpoints (spec §7; MFT ``embed_extractor.py`` + ``fact_similarity_compute.py``).

Per checkpoint and layer (every hidden state, layer 0 = the embedding output): the last-token hidden state of each
parallel fact sentence (MFT's demo line ``input + " " + object``, template 0), paired cosine of language l with
English, **clipped to [0, 1]**, averaged over the facts of a class — fn / tp / tn / fp (from the classifier of the
**final** checkpoint, reused at every checkpoint) and all — with identical-object facts removed from every class.
Each class mean is written with the number of facts it averages (``{"n": .., "by_layer": {layer: mean}}``); an empty
class is null at every layer, not a 0.0 that reads as "no similarity" (MFT writes 0.0, SIM:240-243). Right padding,
``pad = eos``, position ids from the mask.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from xlfact.analysis.tracing.frequencies import FrequencyTable
from xlfact.evaluators.consistency import ENGLISH
from xlfact.tasks.klar.data import read_relation_file
from xlfact.tasks.klar_trace.data import TEMPLATE_INDEX, format_query

CLASSES = {"fn": "false_negative", "tp": "true_positive", "tn": "true_negative", "fp": "false_positive"}


def fact_lines(table: FrequencyTable, lang: str, klar_dir: str | Path) -> dict[int, str]:
    """``{index: MFT line}`` for the facts of ``lang`` in the frequency file (template 0 of the KLAR file)."""
    facts = table.languages[lang]
    templates = {rel: read_relation_file(Path(klar_dir), lang, rel).templates[TEMPLATE_INDEX]
                 for rel in dict.fromkeys(facts.relations)}
    return {int(i): f"{format_query(templates[r], s)} {o}"
            for i, r, s, o in zip(facts.indices, facts.relations, facts.subjects, facts.objects)}


def last_token_states(model: Any, tokenizer: Any, lines: Sequence[str], batch_size: int = 64) -> np.ndarray:
    """``[layers, n, hidden]`` float32: every hidden state at each line's last non-pad token."""
    import torch

    chunks = []
    with torch.no_grad():
        for start in range(0, len(lines), batch_size):
            batch = tokenizer([line or "None" for line in lines[start:start + batch_size]], return_tensors="pt",
                              padding=True, truncation=True)
            mask = batch["attention_mask"]
            positions = (mask.cumsum(-1) - 1).clamp(min=0)
            out = model(**batch, position_ids=positions, output_hidden_states=True)
            last = mask.sum(-1) - 1
            rows = torch.arange(len(last))
            chunks.append(torch.stack([h[rows, last] for h in out.hidden_states]).float().numpy())
    return np.concatenate(chunks, axis=1)


def clipped_cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise cosine of paired vectors ``[..., n, d]``, clipped to [0, 1]."""
    num = (a * b).sum(-1)
    den = np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1)
    return np.clip(np.divide(num, den, out=np.zeros_like(num), where=den > 0), 0.0, 1.0)


def class_members(classifier: Mapping[str, Any], identical: Sequence[int]) -> dict[str, list[int]]:
    same = set(identical)
    out = {c: [i for i in classifier[f"{name}_indices"] if i not in same] for c, name in CLASSES.items()}
    out["all"] = [i for i in classifier["all_indices"] if i not in same]
    fn = set(classifier["false_negative_indices"])
    out["other"] = [i for i in classifier["all_indices"] if i not in fn and i not in same]  # SIM: all but fn
    return out


def similarity_by_class(states: Mapping[str, np.ndarray], position: Mapping[str, Mapping[int, int]],
                        members: Mapping[str, Mapping[str, list[int]]]) -> dict[str, dict[str, dict[str, Any]]]:
    """``{lang: {class: {"n": facts averaged, "by_layer": {layer: mean clipped cosine with English, or None}}}}`` for
    one checkpoint (None: the class has no fact with both sentences)."""
    en, en_pos = states[ENGLISH], position[ENGLISH]
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for lang in sorted(members):
        if lang == ENGLISH or lang not in states:
            continue
        out[lang] = {}
        for cls, facts in members[lang].items():
            facts = [i for i in facts if i in position[lang] and i in en_pos]
            if not facts:
                out[lang][cls] = {"n": 0, "by_layer": {str(k): None for k in range(en.shape[0])}}
                continue
            mine = states[lang][:, [position[lang][i] for i in facts]]
            sims = clipped_cosine(mine, en[:, [en_pos[i] for i in facts]])
            out[lang][cls] = {"n": len(facts), "by_layer": {str(k): float(v) for k, v in enumerate(sims.mean(axis=1))}}
    return out

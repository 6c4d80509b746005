"""Tied input/output embeddings: does a checkpoint's ``config.json`` say what its weights are?

A model whose config says ``tie_word_embeddings: true`` is re-tied by loaders that call ``tie_weights()`` after
loading (lm-eval's ``hf`` backend does): the output head becomes the input embeddings, whatever the file holds. A
checkpoint trained with its embeddings and head apart (LoRA with ``modules_to_save: [embed_tokens, lm_head]`` on a
tied model) but saved with the tied config is therefore a different model under lm-eval than under plain transformers
or vLLM. The writer (:func:`xlfact.training.checkpoints.write_model_folder`) decides tying from the weights, and
``xlfact trace`` refuses a folder whose config contradicts them (:func:`config_contradiction`).

The pairs come from the model class itself (``_tied_weights_keys``, ``{target: source}`` in transformers 5), so no
architecture's key names are spelled out here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def ties_embeddings(config: Any) -> bool:
    """Whether a transformers config asks for tied input/output embeddings."""
    text = config.get_text_config() if hasattr(config, "get_text_config") else config
    return bool(getattr(text, "tie_word_embeddings", False))


def tied_pairs(config: Any) -> dict[str, str]:
    """``{tied weight: weight it is tied to}`` of the causal-LM class of ``config`` (empty when unknown)."""
    from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING

    try:
        cls = MODEL_FOR_CAUSAL_LM_MAPPING[type(config)]
    except (KeyError, ValueError):
        return {}
    keys = getattr(cls, "_tied_weights_keys", None)
    return dict(keys) if isinstance(keys, dict) else {}


def pairs_apart(config: Any, state: dict[str, Any]) -> list[str]:
    """The tied weights of ``config``'s class whose tensor in ``state`` differs from the one it is tied to."""
    import torch

    return [target for target, source in tied_pairs(config).items()
            if target in state and source in state and not torch.equal(state[target], state[source])]


def _weights_file_keys(folder: Path) -> dict[str, Path]:
    """``{key: safetensors file}`` of a checkpoint folder (single file or sharded index); empty without safetensors."""
    single = folder / "model.safetensors"
    if single.is_file():
        from safetensors import safe_open

        with safe_open(str(single), framework="pt") as handle:
            return {key: single for key in handle.keys()}
    index = folder / "model.safetensors.index.json"
    if index.is_file():
        weight_map = json.loads(index.read_text(encoding="utf-8")).get("weight_map", {})
        return {key: folder / name for key, name in weight_map.items()}
    return {}


def config_contradiction(folder: str | Path) -> str | None:
    """One line saying how ``folder``'s config contradicts its weights, or None when it does not.

    Contradiction: the config ties the embeddings but the saved output head differs from the input embeddings (a
    loader that re-ties would score another model). Only the two tensors of each tied pair are read."""
    from safetensors import safe_open
    from transformers import AutoConfig

    folder = Path(folder)
    config = AutoConfig.from_pretrained(folder)
    if not ties_embeddings(config):
        return None
    files = _weights_file_keys(folder)
    for target, source in tied_pairs(config).items():
        if target not in files or source not in files:
            continue
        tensors = []
        for key in (target, source):
            with safe_open(str(files[key]), framework="pt") as handle:
                tensors.append(handle.get_tensor(key))
        import torch

        if not torch.equal(*tensors):
            return (f"{folder}/config.json: tie_word_embeddings is true but the saved {target} differs from {source}; "
                    "lm-eval's hf backend re-ties them and would score another model than the one saved. Re-save it "
                    "with tie_word_embeddings: false (xlfact train writes checkpoints that way)")
    return None

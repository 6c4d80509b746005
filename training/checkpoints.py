"""``training.save_every: N`` — a merged checkpoint every N optimizer steps, for tracing what a model learns when.

Every recipe (SFT, GRPO, CPT, fictional) takes the same option and the same callback. While training, the run's
``output_dir/checkpoints/`` receives one folder per saved step::

    OUTPUT/checkpoints/step0/      the starting model (the baseline of every acquisition curve)
    OUTPUT/checkpoints/step50/     after 50 optimizer steps
    OUTPUT/checkpoints/step100/    ...
    OUTPUT/checkpoints/step<last>/ the trained model (the same weights as OUTPUT/ itself)

Each folder is a complete checkpoint that ``lm_eval --model hf --model_args pretrained=DIR`` loads, written by the
same function as the final model (:func:`write_model_folder`): the weights with the LoRA update folded in, tied or
untied as trained (so every loader, lm-eval's re-tying ``hf`` backend included, scores the model that was trained),
in ``model.save_dtype`` (default ``model.dtype``), the tokenizer, and ``xlfact_checkpoint.json`` (step, epoch,
recipe, base model). Folder names match ``step(\\d+)``, the rule ``xlfact trace --checkpoints DIR`` sorts by.

The merge does not touch the weights being trained: for each LoRA layer the merged weight is computed as
``W + delta`` (PEFT's own ``get_delta_weight``) into a copy on the CPU, one layer at a time, so training continues
from exactly the weights it had (``merge_adapter``/``unmerge_adapter`` would round the bf16 base weights each time).
Each folder is written under a temporary name and renamed into place; a folder that already exists (a resumed run) is
left as it is. Saving runs on the main process only and needs unsharded weights (not DeepSpeed ZeRO-3 / FSDP
sharded states).
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

CHECKPOINTS_DIR = "checkpoints"
STEP_PATTERN = re.compile(r"step(\d+)")
INFO_FILE = "xlfact_checkpoint.json"


def checkpoint_dir(output_dir: str | os.PathLike, step: int) -> Path:
    return Path(str(output_dir)).expanduser().resolve() / CHECKPOINTS_DIR / f"step{int(step)}"


def list_checkpoints(folder: str | os.PathLike) -> list[tuple[int, Path]]:
    """``(step, path)`` of the checkpoint folders under ``folder`` (or ``folder/checkpoints``), in step order."""
    root = Path(folder)
    if (root / CHECKPOINTS_DIR).is_dir():
        root = root / CHECKPOINTS_DIR
    found = []
    for child in root.iterdir() if root.is_dir() else []:
        match = STEP_PATTERN.fullmatch(child.name)
        if match and child.is_dir():
            found.append((int(match.group(1)), child))
    return sorted(found)


def merged_state_dict(model) -> dict[str, Any]:
    """The state dict of ``model`` with any LoRA update folded in, keyed as the plain base model, on the CPU.

    ``model`` is a ``PeftModel`` (LoRA, optional ``modules_to_save``) or a plain ``PreTrainedModel``; its own
    parameters are not modified.
    """
    import torch

    if not hasattr(model, "get_base_model"):
        return {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}
    base = model.get_base_model()
    adapter = getattr(model, "active_adapter", "default")
    adapter = adapter[0] if isinstance(adapter, (list, tuple)) else adapter
    deltas: dict[str, Any] = {}
    with torch.no_grad():
        for name, module in base.named_modules():
            if hasattr(module, "get_delta_weight") and hasattr(module, "base_layer") and adapter in getattr(
                    module, "lora_A", {}):
                deltas[f"{name}.weight"] = module
        out: dict[str, Any] = {}
        for key, value in base.state_dict().items():
            if "lora_" in key or ".original_module." in key:
                continue
            clean = key.replace(".base_layer.", ".").replace(f".modules_to_save.{adapter}.", ".")
            if clean in deltas and key.endswith(".base_layer.weight"):
                delta = deltas[clean].get_delta_weight(adapter)
                value = (value.float() + delta.float()).to(value.dtype)
            out[clean] = value.detach().to("cpu", copy=True)
    return out


def write_model_folder(model, folder: str | os.PathLike, dtype: str | None = None) -> None:
    """Write ``model`` merged (see :func:`merged_state_dict`) into ``folder`` as a plain checkpoint, tied as trained.

    The one writer of every saved model (``save_every`` checkpoints and the final run folder), so a checkpoint of
    step N and the final model of a run that stopped at step N are the same files. Tying is decided by the weights,
    not by the base model's config: when the config ties the embeddings but the trained output head differs from the
    input embeddings (``modules_to_save: [embed_tokens, lm_head]`` on a tied model), the folder is saved untied
    (``tie_word_embeddings: false``); when they are equal the head is not written twice. ``dtype`` (``bfloat16``,
    ...; None or ``auto``: as trained) casts the floating-point weights and is recorded in ``config.json``."""
    import copy

    import torch

    from xlfact.models.tied_weights import pairs_apart, tied_pairs, ties_embeddings

    state = merged_state_dict(model)
    if dtype and dtype != "auto":
        target = getattr(torch, dtype)
        state = {k: v.to(target) if v.is_floating_point() else v for k, v in state.items()}
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    config = copy.deepcopy(base.config)
    if dtype and dtype != "auto":
        config.dtype = getattr(torch, dtype)
    if ties_embeddings(config):
        if pairs_apart(config, state):
            config.tie_word_embeddings = False
            if config.get_text_config() is not config:
                config.get_text_config().tie_word_embeddings = False
        else:
            state = {k: v for k, v in state.items() if k not in tied_pairs(config)}
    trained_config = base.config
    base.config = config
    try:
        base.save_pretrained(folder, state_dict=state)
    finally:
        base.config = trained_config


def save_merged_checkpoint(model, tokenizer, folder: str | os.PathLike, info: dict[str, Any],
                           dtype: str | None = None) -> Path | None:
    """Write ``model`` (:func:`write_model_folder`) with ``tokenizer`` and ``info`` into ``folder``, atomically.

    Returns the folder, or None when it already existed (left untouched)."""
    folder = Path(folder)
    if folder.exists():
        log.info("save_every: %s exists (resumed run); left as it is", folder)
        return None
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = folder.with_name(f".{folder.name}.partial")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        write_model_folder(model, staging, dtype)
        tokenizer.save_pretrained(staging)
        (staging / INFO_FILE).write_text(json.dumps(info, indent=2, default=str) + "\n", encoding="utf-8")
        os.replace(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    log.info("save_every: wrote %s", folder)
    return folder


def save_dtype(config: dict[str, Any]) -> str | None:
    """The dtype checkpoints and the final model are written in: ``model.save_dtype``, else ``model.dtype``."""
    model = config.get("model") or {}
    return model.get("save_dtype") or model.get("dtype")


def save_every_callback(config: dict[str, Any], tokenizer):
    """The ``TrainerCallback`` for ``training.save_every`` (None when the recipe does not set it)."""
    every = (config.get("training") or {}).get("save_every")
    if not every:
        return None
    from transformers import TrainerCallback

    every = int(every)
    output_dir = config["output_dir"]
    dtype = save_dtype(config)
    base_info = {"recipe": config.get("recipe"), "base_model": (config.get("model") or {}).get("name_or_path"),
                 "save_every": every}

    class SaveMergedEvery(TrainerCallback):
        """Merged checkpoint at step 0, every ``save_every`` optimizer steps and at the last step (main process
        only), so ``--checkpoints OUTPUT/checkpoints`` traces the trained model too."""

        def _save(self, state, model) -> None:
            if not state.is_world_process_zero or model is None:
                return
            info = {**base_info, "step": int(state.global_step), "epoch": state.epoch}
            save_merged_checkpoint(model, tokenizer, checkpoint_dir(output_dir, state.global_step), info, dtype)

        def on_train_begin(self, args, state, control, model=None, **kwargs):
            if state.global_step == 0:
                self._save(state, model)

        def on_step_end(self, args, state, control, model=None, **kwargs):
            if state.global_step % every == 0:
                self._save(state, model)

        def on_train_end(self, args, state, control, model=None, **kwargs):
            self._save(state, model)  # the last step (left as it is when it was a multiple of save_every)

    return SaveMergedEvery()


def callbacks(config: dict[str, Any], tokenizer) -> list:
    """The callbacks every recipe hands its trainer (today: ``training.save_every``)."""
    callback = save_every_callback(config, tokenizer)
    return [callback] if callback is not None else []

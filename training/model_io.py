"""Loading the base model, wrapping it in LoRA (PEFT), and writing what a run produces.

A finished run's ``output_dir`` is itself a checkpoint folder, so ``lm_eval --model hf|vllm --model_args
pretrained=OUTPUT_DIR`` loads it directly:

* the merged model (``model.safetensors``, ``config.json``) and the tokenizer — LoRA weights folded in, tied or
  untied as trained, in ``model.save_dtype`` (default ``model.dtype``);
* ``adapter/`` — the LoRA adapter alone (``pretrained=BASE,peft=OUTPUT_DIR/adapter`` gives the same scores);
* ``README.md`` — the model card: recipe, data, hyperparameters, base model, library versions, final metrics;
* ``recipe.yaml`` — the resolved recipe (file plus overrides), to re-run it.

Everything is written into a temporary sibling folder and renamed into place at the end, so a crashed run never
leaves a half-written checkpoint where an evaluation would pick it up.
"""

from __future__ import annotations

import importlib.metadata
import logging
import math
import os
import platform
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from xlfact.core import models
from xlfact.training.arguments import checkpointing
from xlfact.training.checkpoints import CHECKPOINTS_DIR, save_dtype, write_model_folder
from xlfact.training.config import DEFAULT_LORA, RecipeError, public_view

log = logging.getLogger(__name__)

LIBRARIES = ("xlfact", "torch", "transformers", "trl", "peft", "accelerate", "datasets", "lm_eval")


def torch_dtype(name: str | None):
    return models.torch_dtype(name, flag="model.dtype", error=RecipeError)


def check_model_path(name: str, what: str = "model.name_or_path") -> None:
    """A local model folder must exist and hold ``config.json``; a name that cannot be a hub id must be a folder."""
    models.check_model_source(name, what, RecipeError, tokenizer_only=what == "model.tokenizer")


def check_local_paths(config: dict[str, Any]) -> None:
    """Every local path the recipe names exists (model, tokenizer, data), checked before anything is loaded."""
    model = config.get("model") or {}
    check_model_path(model["name_or_path"])
    if model.get("tokenizer"):
        check_model_path(model["tokenizer"], "model.tokenizer")
    data = config.get("data") or {}
    for key in ("data_dir", "clika_dir"):
        if data.get(key) and not Path(str(data[key])).expanduser().is_dir():
            raise RecipeError(f"{config.get('_source', 'recipe')}: data.{key}: folder {data[key]} not found")
    files = [data["corpus"]] if data.get("corpus") else []
    files += [s["path"] for s in data.get("sources") or [] if isinstance(s, dict) and s.get("path")]
    for file in files:
        if not Path(str(file)).expanduser().is_file():
            raise RecipeError(f"{config.get('_source', 'recipe')}: corpus file {file} not found")


def load_tokenizer(model_cfg: dict[str, Any]):
    """The recipe's tokenizer (``model.tokenizer``, else the model's), padding with EOS where it has no pad token
    (padding positions are masked out of every loss)."""
    return models.load_tokenizer(model_cfg.get("tokenizer") or model_cfg["name_or_path"],
                                 revision=model_cfg.get("revision"),
                                 flag="model.tokenizer" if model_cfg.get("tokenizer") else "model.name_or_path",
                                 error=RecipeError)


def load_model(model_cfg: dict[str, Any]):
    """The base causal LM in the recipe's dtype (``model.name_or_path``: hub id or local folder)."""
    return models.load_causal_lm(model_cfg["name_or_path"], revision=model_cfg.get("revision"),
                                 dtype=model_cfg.get("dtype") or "auto",
                                 attn_implementation=model_cfg.get("attn_implementation"), flag="model.name_or_path",
                                 dtype_flag="model.dtype", error=RecipeError, eval_mode=False)


def lora_config(lora: dict[str, Any] | None):
    """A PEFT ``LoraConfig`` from the recipe's ``lora`` section (None: train all weights)."""
    if lora is None:
        return None
    from peft import LoraConfig

    settings = {**DEFAULT_LORA, **lora}
    try:
        return LoraConfig(task_type="CAUSAL_LM", **settings)
    except TypeError as err:
        raise RecipeError(f"lora: {err}; expected LoraConfig arguments (r, lora_alpha, lora_dropout, ...)") from err


def effective_lora(lora: dict[str, Any] | None) -> dict[str, Any]:
    """Every field of the ``peft.LoraConfig`` a recipe builds (after PEFT's defaults); empty without LoRA."""
    config = lora_config(lora)
    if config is None:
        return {"lora": None}
    import enum

    out = {}
    for key, value in sorted(config.to_dict().items()):
        if isinstance(value, enum.Enum):
            value = value.value
        if isinstance(value, set):
            value = sorted(value)
        if not isinstance(value, (str, int, float, bool, type(None), list, dict)):
            value = str(value)
        out[key] = value
    return out


def file_sha256(path: str | os.PathLike) -> str:
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def apply_lora(model, lora: dict[str, Any] | None):
    config = lora_config(lora)
    if config is None:
        return model
    import warnings

    from peft import get_peft_model

    with warnings.catch_warnings():
        # PEFT 0.21 reads model.is_gradient_checkpointing, which transformers 5.25 deprecates (is_activation_...)
        warnings.filterwarnings("ignore", message="`is_gradient_checkpointing` is deprecated", category=FutureWarning)
        return get_peft_model(model, config)


def prepare_for_training(model, args) -> None:
    """Make gradient checkpointing take effect on a (PEFT-wrapped) model before the ``Trainer`` sees it.

    No key/value cache in training (``use_cache`` would keep every layer's keys and values), and, with checkpointing,
    inputs that require grad: with frozen embeddings (LoRA) a reentrant checkpoint would otherwise see no input that
    needs a gradient. SFT passes ``activation_checkpointing_kwargs={"use_reentrant": True}``: with non-reentrant
    checkpointing the batch-10 SmolLM2 forward kept every layer's activations (10.7 GB against 2.7 GB reentrant)."""
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    if getattr(base, "config", None) is not None:
        base.config.use_cache = False
    if checkpointing(args) and hasattr(base, "enable_input_require_grads"):
        base.enable_input_require_grads()


def preflight(module, config: dict[str, Any]):
    """Every check of a recipe that needs no model or data: the trainer arguments (``module.training_arguments``,
    returned), the LoRA config, the local paths. ``xlfact train`` and ``xlfact train conductivity`` run it first."""
    trainer_args = module.training_arguments(config)
    lora_config(config.get("lora"))
    check_local_paths(config)
    return trainer_args


def library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in LIBRARIES:
        dist = {"lm_eval": "lm-eval"}.get(name, name)
        try:
            versions[name] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def effective_trainer_arguments(args) -> dict[str, Any]:
    """Every argument of the trainer's config object after its defaults (YAML-safe values)."""
    import enum

    out = {}
    for key, value in sorted(args.to_dict().items()):
        if isinstance(value, enum.Enum):
            value = value.value
        if not isinstance(value, (str, int, float, bool, type(None), list, dict)):
            value = str(value)
        out[key] = value
    return out


def process_layout(trainer_args=None) -> dict[str, Any]:
    """How many processes trained the model and how they talked (``accelerate launch`` / ``torchrun``): the world
    size, the trainer's parallel mode and the ``torch.distributed`` backend (gloo on CPU, nccl on CUDA)."""
    import torch.distributed as dist

    world = int(getattr(trainer_args, "world_size", 0) or os.environ.get("WORLD_SIZE", "1") or 1)
    mode = getattr(trainer_args, "parallel_mode", None)
    backend = dist.get_backend() if dist.is_available() and dist.is_initialized() else None
    return {"world_size": world, "parallel_mode": getattr(mode, "value", str(mode) if mode is not None else None),
            "backend": backend}


def model_card(config: dict[str, Any], data: dict[str, Any], metrics: dict[str, Any], has_adapter: bool,
               trainer_args=None) -> str:
    """The model card (Hugging Face README with YAML front matter) of a finished run.

    A reproducibility record: the effective recipe (defaults filled in), every argument of the trainer's config
    object after its defaults, the effective LoRA config, the data with the SHA-256 of every local file read, and the
    library versions — so that two runs can be diffed section by section."""
    recipe = public_view(config)
    base = config["model"]["name_or_path"]
    front = {"base_model": base, "library_name": "transformers", "tags": ["xlfact", f"xlfact-{config['recipe']}"]}
    if has_adapter:
        front["tags"].append("lora")
    lines = [
        "---", yaml.safe_dump(front, sort_keys=False).rstrip(), "---", "",
        f"# {Path(str(config['output_dir'])).name}: `xlfact train {config['recipe']}` on {base}", "",
        f"Trained with the xlfact `{config['recipe']}` recipe from `{config['_source']}`"
        + (f" with overrides `{' '.join(config['_overrides'])}`." if config.get("_overrides") else "."), "",
        "This folder is the merged checkpoint (`lm_eval --model hf --model_args pretrained=THIS_FOLDER`)"
        + (", and `adapter/` holds the LoRA adapter alone (`pretrained=BASE,peft=THIS_FOLDER/adapter`)."
           if has_adapter else "; all weights were trained (no adapter)."), "",
        "## Base model", "", f"- `{base}`" + (f" (revision `{config['model']['revision']}`)"
                                              if config["model"].get("revision") else ""), "",
        "## Data", "", "```yaml", yaml.safe_dump(data, sort_keys=False, allow_unicode=True).rstrip(), "```", "",
        "## Recipe and hyperparameters", "", "```yaml",
        yaml.safe_dump(recipe, sort_keys=False, allow_unicode=True).rstrip(), "```", "",
        "## Effective trainer arguments" + (f" ({type(trainer_args).__name__})" if trainer_args is not None else ""),
        "", "```yaml", yaml.safe_dump(effective_trainer_arguments(trainer_args) if trainer_args is not None else {},
                                      sort_keys=True, allow_unicode=True).rstrip(), "```", "",
        "## Processes", "", "```yaml", yaml.safe_dump(process_layout(trainer_args), sort_keys=False).rstrip(), "```",
        "",
        "## Effective LoRA config", "", "```yaml", yaml.safe_dump(effective_lora(config.get("lora")),
                                                                  sort_keys=True).rstrip(), "```", "",
        "## Training result", "", "```yaml", yaml.safe_dump(metrics, sort_keys=False).rstrip(), "```", "",
        "## Library versions", "", "```yaml", yaml.safe_dump(library_versions(), sort_keys=False).rstrip(), "```", "",
    ]
    return "\n".join(lines)


def train_and_save(trainer, tokenizer, config: dict[str, Any], described: dict[str, Any],
                   recipe_metrics: Callable[[], dict[str, Any]] = dict) -> dict[str, Any]:
    """The one run skeleton every recipe ends with: train, the common metrics (loss, steps, runtime) followed by the
    recipe's own (``recipe_metrics()``, called after training: losses, rewards, after-scores), then the run folder,
    written by the main process only (:func:`save_run`). Returns the metrics."""
    result = trainer.train()
    metrics = {
        "train_loss": float(result.training_loss), "global_step": int(result.global_step),
        "train_runtime_s": float(result.metrics.get("train_runtime", math.nan)), **recipe_metrics(),
    }
    if trainer.is_world_process_zero():
        save_run(trainer.model, tokenizer, config, described, metrics, trainer_args=trainer.args)
    return metrics


def logged_losses(trainer) -> dict[str, float | None]:
    """The first and last training loss the trainer logged (None when it logged none)."""
    losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    return {"first_logged_loss": losses[0] if losses else None, "last_logged_loss": losses[-1] if losses else None}


def save_run(model, tokenizer, config: dict[str, Any], data: dict[str, Any], metrics: dict[str, Any],
             trainer_args=None) -> Path:
    """Write adapter, merged checkpoint, tokenizer, model card and recipe into ``config['output_dir']`` atomically.

    ``model`` is the trained model (a ``PeftModel`` when LoRA was used); the merged weights are written by
    :func:`xlfact.training.checkpoints.write_model_folder`, the writer of every ``save_every`` checkpoint, so the
    last checkpoint and this folder hold the same model.
    """
    out = Path(str(config["output_dir"])).expanduser().resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent))
    try:
        has_adapter = hasattr(model, "merge_and_unload")
        if has_adapter:
            model.save_pretrained(staging / "adapter")
            tokenizer.save_pretrained(staging / "adapter")
        write_model_folder(model, staging, save_dtype(config))
        tokenizer.save_pretrained(staging)
        (staging / "README.md").write_text(model_card(config, data, metrics, has_adapter, trainer_args),
                                           encoding="utf-8")
        (staging / "recipe.yaml").write_text(
            yaml.safe_dump(public_view(config), sort_keys=False, allow_unicode=True), encoding="utf-8")
        if (out / CHECKPOINTS_DIR).is_dir():  # training.save_every's checkpoints, written during training
            os.replace(out / CHECKPOINTS_DIR, staging / CHECKPOINTS_DIR)
        if out.exists():
            old = out.with_name(f".{out.name}.old")
            if old.exists():
                shutil.rmtree(old)
            os.replace(out, old)
            os.replace(staging, out)
            shutil.rmtree(old)
        else:
            os.replace(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    log.info("xlfact train: wrote %s (merged checkpoint%s, model card)", out, " + adapter/" if has_adapter else "")
    return out

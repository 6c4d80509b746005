"""The trainer's config object (``TrainingArguments`` / ``trl.SFTConfig`` / ``trl.GRPOConfig``) built from a recipe.

Every recipe builds its arguments here, before any model or dataset is loaded, so that a recipe the installed
libraries cannot honour stops at once with one line naming the key (not a ``TypeError`` after a 7B model has
loaded). The recipe's ``training`` section holds keyword arguments of the trainer's config class plus xlfact's own
keys (:data:`XLFACT_TRAINING_KEYS`, e.g. ``save_every``), which are taken out before the class is called.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
from typing import Any

from xlfact.training.config import RecipeError, recipe_seed, section

# Keys of the `training` section that xlfact reads itself; they are never passed to the trainer's config class.
XLFACT_TRAINING_KEYS = ("save_every",)
# Arguments the installed libraries dropped, with what replaces them (shown in the error).
RENAMED = {
    "warmup_ratio": "use warmup_steps with the same value: transformers >= 5 reads a float below 1 as a ratio of "
                    "the total steps (warmup_ratio was removed in transformers 5.2)",
}
BASE_DEFAULTS = {"report_to": "none", "save_strategy": "no", "logging_steps": 10}
# Same argument, two names: transformers 5.25 renamed gradient_checkpointing* to activation_checkpointing* (the old
# names warn, removal in v6); earlier 5.x know only the old names. A recipe may use either; the name the installed
# class accepts is passed (the new one when it has both), so no deprecation warning and no "not accepted" error.
CHECKPOINTING_NAMES = (("gradient_checkpointing", "activation_checkpointing"),
                       ("gradient_checkpointing_kwargs", "activation_checkpointing_kwargs"))



def trainer_output_dir(config: dict[str, Any]) -> str:
    """Where the trainer keeps its own checkpoints and logs (beside the final folder, not inside it)."""
    return str(config.get("training", {}).get("output_dir") or f"{config['output_dir']}.trainer")

def current_names(kwargs: dict[str, Any], accepted: set[str]) -> dict[str, Any]:
    """``kwargs`` with each checkpointing argument under the name the installed trainer config class takes."""
    out = dict(kwargs)
    for old, new in CHECKPOINTING_NAMES:
        name, other = (new, old) if new in accepted else (old, new)
        if other in out:
            if name in out and out[name] != out[other]:
                raise RecipeError(f"training.{old} and training.{new} are one argument (transformers renamed it); "
                                  f"give one")
            out[name] = out.pop(other)
    return out


def checkpointing(args) -> bool:
    """Whether the built trainer arguments switch activation (gradient) checkpointing on, under either name."""
    return bool(getattr(args, "activation_checkpointing", None) or getattr(args, "gradient_checkpointing", None))


def _library_of(cls: type) -> str:
    top = cls.__module__.split(".")[0]
    try:
        return f"{top} {importlib.metadata.version(top)}"
    except importlib.metadata.PackageNotFoundError:
        return top


def trainer_kwargs(config: dict[str, Any], defaults: dict[str, Any] | None = None,
                   forced: dict[str, Any] | None = None, accepted: set[str] | None = None) -> dict[str, Any]:
    """The keyword arguments for the trainer's config class: xlfact's defaults < the recipe's ``training`` < forced
    (checkpointing arguments under the names in ``accepted``, see :func:`current_names`)."""
    training = {k: v for k, v in section(config, "training").items()
                if k != "output_dir" and k not in XLFACT_TRAINING_KEYS}
    named = (lambda d: current_names(d or {}, accepted)) if accepted is not None else (lambda d: d or {})
    return {**BASE_DEFAULTS, **named(defaults), "output_dir": trainer_output_dir(config),
            "seed": recipe_seed(config), **named(training), **named(forced)}


# Ranges the trainer's config classes do not check themselves (``learning_rate: -1`` or NaN would train).
RANGES = {"learning_rate": "positive_number", "num_train_epochs": "positive_number",
          "per_device_train_batch_size": "size", "per_device_eval_batch_size": "size",
          "gradient_accumulation_steps": "size", "save_every": "size", "max_grad_norm": "number",
          "weight_decay": "number", "warmup_steps": "number", "logging_steps": "positive_number"}
# The device checks a config class makes in __post_init__ that only the target machine can pass.
DEVICE_ONLY = {"bf16": "doesn't support bf16", "fp16": "requires a GPU"}


def check_training_values(cls: type, config: dict[str, Any]) -> None:
    """Every value of the recipe's ``training`` section has the type ``cls`` declares for it (``learning_rate:
    fast`` is not a number; NaN is refused) and is in range (:data:`RANGES`); ``save_every`` is a whole number >= 1.
    A RecipeError names the recipe file and the key."""
    import typing

    from xlfact.training import schema

    where = config.get("_source", "recipe")
    try:
        hints = typing.get_type_hints(cls)
    except Exception:  # noqa: BLE001 - a class whose hints do not resolve is checked by itself only
        hints = {}
    simple = {int, float, bool, str, int | None, float | None, bool | None, str | None}
    for key, value in section(config, "training").items():
        try:
            if hints.get(key) in simple:
                value = schema.check_value(hints[key], value, f"training.{key}")
            if key in RANGES and value is not None:
                schema.check_range(value, RANGES[key], f"training.{key}")
        except schema.SchemaError as err:
            raise RecipeError(f"{where}: section 'training' is refused by {cls.__name__} ({_library_of(cls)}): "
                              f"{err}") from None


def build(cls: type, config: dict[str, Any], defaults: dict[str, Any] | None = None,
          forced: dict[str, Any] | None = None):
    """``cls(**trainer_kwargs(...))``; an argument ``cls`` does not take, or a value it refuses, is a RecipeError.

    With ``config["_dry_run"]`` on a machine that cannot pass the class's device check (a bf16 recipe for a GPU
    cluster, checked on a laptop), the arguments are built as the target would with that check skipped, and what
    could not be checked here is listed in ``config["_not_checked"]`` (the dry-run prints it)."""
    check_training_values(cls, config)
    where = config.get("_source", "recipe")
    accepted = {f.name for f in dataclasses.fields(cls)}
    kwargs = trainer_kwargs(config, defaults, forced, accepted)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for old, new in CHECKPOINTING_NAMES:  # a class default under the old name (TRL's SFTConfig) moves to the new one
        if new in fields and new not in kwargs and fields[old].default not in (None, dataclasses.MISSING):
            kwargs[new] = fields[old].default
    for key in sorted(set(kwargs) - accepted):
        hint = RENAMED.get(key, f"not an argument of {cls.__name__}")
        raise RecipeError(f"{where}: training.{key} is not accepted by {cls.__name__} in the installed "
                          f"{_library_of(cls)}: {hint}")
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as err:
        device_keys = [k for k, text in DEVICE_ONLY.items() if kwargs.get(k) and text in str(err)]
        if config.get("_dry_run") and device_keys:
            args = build(cls, {**config, "_dry_run": False}, defaults, {**(forced or {}), **dict.fromkeys(
                device_keys, False)})
            for key in device_keys:
                setattr(args, key, True)  # shown as the target will run it
            config["_not_checked"] = [f"training.{k}: this machine has no device that supports it (the target's "
                                      f"check: {str(err).splitlines()[0]})" for k in device_keys]
            return args
        raise RecipeError(f"{where}: section 'training' is refused by {cls.__name__} ({_library_of(cls)}): "
                          f"{str(err).splitlines()[0]}") from err

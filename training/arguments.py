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

from xlfact.training.config import RecipeError, section

# Keys of the `training` section that xlfact reads itself; they are never passed to the trainer's config class.
XLFACT_TRAINING_KEYS = ("save_every",)
# Arguments the installed libraries dropped, with what replaces them (shown in the error).
RENAMED = {
    "warmup_ratio": "use warmup_steps with the same value: transformers >= 5 reads a float below 1 as a ratio of "
                    "the total steps (warmup_ratio was removed in transformers 5.2)",
}
BASE_DEFAULTS = {"report_to": "none", "save_strategy": "no", "logging_steps": 10}


def _library_of(cls: type) -> str:
    top = cls.__module__.split(".")[0]
    try:
        return f"{top} {importlib.metadata.version(top)}"
    except importlib.metadata.PackageNotFoundError:
        return top


def trainer_kwargs(config: dict[str, Any], defaults: dict[str, Any] | None = None,
                   forced: dict[str, Any] | None = None) -> dict[str, Any]:
    """The keyword arguments for the trainer's config class: xlfact's defaults < the recipe's ``training`` < forced."""
    from xlfact.training.model_io import trainer_output_dir

    training = {k: v for k, v in section(config, "training").items()
                if k != "output_dir" and k not in XLFACT_TRAINING_KEYS}
    return {**BASE_DEFAULTS, **(defaults or {}), "output_dir": trainer_output_dir(config),
            "seed": int(config.get("seed", 0)), **training, **(forced or {})}


def build(cls: type, config: dict[str, Any], defaults: dict[str, Any] | None = None,
          forced: dict[str, Any] | None = None):
    """``cls(**trainer_kwargs(...))``; an argument ``cls`` does not take, or a value it refuses, is a RecipeError."""
    kwargs = trainer_kwargs(config, defaults, forced)
    where = config.get("_source", "recipe")
    accepted = {f.name for f in dataclasses.fields(cls)}
    for key in sorted(set(kwargs) - accepted):
        hint = RENAMED.get(key, f"not an argument of {cls.__name__}")
        raise RecipeError(f"{where}: training.{key} is not accepted by {cls.__name__} in the installed "
                          f"{_library_of(cls)}: {hint}")
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as err:
        raise RecipeError(f"{where}: section 'training' is refused by {cls.__name__} ({_library_of(cls)}): "
                          f"{str(err).splitlines()[0]}") from err

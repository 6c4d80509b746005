"""Every shipped recipe builds its trainer arguments against the installed libraries (transformers / TRL / PEFT), and
the overrides its comments advertise are accepted. No model or dataset is loaded."""

from __future__ import annotations

import importlib

import pytest

from xlfact.training.config import CONFIGS_DIR, RecipeError, load_recipe
from xlfact.training.model_io import lora_config

SHIPPED = sorted(p.stem for p in CONFIGS_DIR.glob("*.yaml") if not p.stem.startswith("accelerate_"))
CLASSES = {"sft": "TrainingArguments", "cpt": "TrainingArguments", "grpo": "GRPOConfig", "fictional": "SFTConfig"}


def cpu_overrides(name: str) -> list[str]:
    """What a CPU machine needs to build a recipe's arguments: bf16 is refused without an accelerator unless
    ``use_cpu`` is set, and the tiny recipes leave the model and output folder to the command line."""
    import torch

    raw = load_recipe(name, ["output_dir=/tmp/o", "model.name_or_path=/tmp/m"])
    extra = ["output_dir=/tmp/o", "model.name_or_path=/tmp/m"]
    if raw["training"].get("bf16") and not torch.cuda.is_available():
        extra.append("training.use_cpu=true")
    return extra


def test_every_recipe_is_covered():
    assert {"sft_olmo2-7b", "sft_qwen2.5-7b", "grpo_olmo2-7b", "grpo_qwen2.5-7b", "cpt_olmo2-7b", "cpt_qwen2.5-7b",
            "fictional_clika", "sft_tiny_cpu", "grpo_tiny_cpu", "cpt_tiny_cpu", "fictional_tiny_cpu"} <= set(SHIPPED)


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_recipe_builds_its_trainer_arguments(name):
    config = load_recipe(name, cpu_overrides(name))
    module = importlib.import_module(f"xlfact.training.{config['recipe']}")
    args = module.training_arguments(config)
    assert type(args).__name__ == CLASSES[config["recipe"]]
    for key, value in config["training"].items():
        if key in ("output_dir", "save_every"):
            continue
        assert getattr(args, key) == value or str(getattr(args, key)).endswith(str(value)), key
    if config.get("lora") is not None:
        lora = lora_config(config["lora"])
        assert (lora.r, lora.lora_alpha, lora.lora_dropout) == (config["lora"]["r"], config["lora"]["lora_alpha"],
                                                                 config["lora"]["lora_dropout"])


def test_a_ratio_warmup_reaches_the_scheduler():
    """warmup_steps < 1 is a ratio of the total steps in transformers >= 5 (what replaced warmup_ratio)."""
    config = load_recipe("sft_olmo2-7b", cpu_overrides("sft_olmo2-7b"))
    args = importlib.import_module("xlfact.training.sft").training_arguments(config)
    assert args.get_warmup_steps(1000) == 50  # 5% (App. B Table 5)


def test_removed_argument_is_one_clear_error():
    with pytest.raises(RecipeError, match=r"training.warmup_ratio is not accepted by TrainingArguments .*warmup_steps"):
        config = load_recipe("cpt_tiny_cpu", ["output_dir=/o", "model.name_or_path=/m", "training.warmup_ratio=0.1"])
        importlib.import_module("xlfact.training.cpt").training_arguments(config)


@pytest.mark.parametrize("name", ["sft_olmo2-7b", "sft_qwen2.5-7b", "grpo_olmo2-7b", "grpo_qwen2.5-7b"])
def test_local_data_dir_override_is_accepted(name):
    config = load_recipe(name, ["data.data_dir=/data/polyfact", "output_dir=/o"])
    assert config["data"]["data_dir"] == "/data/polyfact"

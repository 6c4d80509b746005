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


@pytest.mark.parametrize("name", ["sft_smollm2_cpu", "grpo_smollm2_cpu", "cpt_smollm2_cpu", "sft_qwen2.5-7b",
                                  "fictional_clika"])
def test_checkpointing_under_either_name_builds_without_deprecation_warning(name):
    """transformers 5.25 renamed ``gradient_checkpointing*`` to ``activation_checkpointing*``: a recipe may use either
    name, the installed class gets the one it takes, and no FutureWarning is raised (TRL's own defaults included)."""
    import warnings

    from xlfact.training.arguments import checkpointing

    for spelling in ("activation_checkpointing", "gradient_checkpointing"):
        config = load_recipe(name, [*cpu_overrides(name), f"training.{spelling}=true"])
        config["training"].pop("activation_checkpointing" if spelling == "gradient_checkpointing"
                               else "gradient_checkpointing", None)
        module = importlib.import_module(f"xlfact.training.{config['recipe']}")
        with warnings.catch_warnings():
            warnings.filterwarnings("error", message=".*checkpointing.*deprecated", category=FutureWarning)
            args = module.training_arguments(config)
        assert checkpointing(args)


def test_the_two_checkpointing_names_cannot_disagree():
    config = load_recipe("sft_smollm2_cpu", [*cpu_overrides("sft_smollm2_cpu"),
                                             "training.gradient_checkpointing=false"])
    with pytest.raises(RecipeError, match="one argument"):
        importlib.import_module("xlfact.training.sft").training_arguments(config)


def test_real_model_recipes_freeze_embeddings_and_checkpoint_activations():
    """The SmolLM2 CPU recipes are for real models: no trained embeddings, checkpointing on, bf16 checkpoints; every
    tiny recipe says in its first line that it is for random tiny models."""
    for name in ("sft_smollm2_cpu", "grpo_smollm2_cpu", "cpt_smollm2_cpu"):
        config = load_recipe(name, cpu_overrides(name))
        assert not (config["lora"] or {}).get("modules_to_save"), name
        assert config["training"]["activation_checkpointing"] is True and config["model"]["save_dtype"] == "bfloat16"
    assert load_recipe("cpt_smollm2_cpu", cpu_overrides("cpt_smollm2_cpu"))["training"]["learning_rate"] <= 5e-4
    for name in (n for n in SHIPPED if n.endswith("_tiny_cpu")):
        first = (CONFIGS_DIR / f"{name}.yaml").read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("# FOR RANDOM TINY MODELS ONLY"), name

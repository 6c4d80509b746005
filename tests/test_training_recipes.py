"""Typed recipes and the papers' settings: a typo at any depth (file or override) stops ``xlfact train`` before any
model or dataset loads; ``--dry-run`` prints the effective recipe and loads nothing; a missing model folder says so;
and each PolyFact App. B / CLiKA setting of the shipped 7B recipes reaches the trainer that is actually built (its
arguments, its generation config, its LoRA modules, its evaluation set) — checked on a tiny model and local data."""

from __future__ import annotations

import re
import shutil

import pytest
import yaml

from xlfact.training import model_io
from xlfact.training.cli import main as train
from xlfact.training.config import CONFIGS_DIR, load_recipe
from xlfact.training.synthetic import build_untied_tiny_llama, tokenizer_texts, write_synthetic_facts


@pytest.fixture()
def nothing_loads(monkeypatch):
    """Any attempt to load a model, a tokenizer or PolyFact data fails the test."""
    def forbidden(*args, **kwargs):
        raise AssertionError("a model, tokenizer or dataset was loaded")

    monkeypatch.setattr(model_io, "load_model", forbidden)
    monkeypatch.setattr(model_io, "load_tokenizer", forbidden)
    import xlfact.training.data

    monkeypatch.setattr(xlfact.training.data, "load_polyfact", forbidden)


def write_recipe(tmp_path, name: str, edit) -> str:
    config = yaml.safe_load((CONFIGS_DIR / f"{name}.yaml").read_text(encoding="utf-8"))
    edit(config)
    path = tmp_path / f"{name}-edited.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return str(path)


TYPOS_IN_FILES = [
    ("sft_tiny_cpu", lambda c: c["consistency"].update({"lamda": 2.0}), "consistency.lamda: unknown key"),
    ("sft_tiny_cpu", lambda c: c["model"].update({"dtyp": "float32"}), "model.dtyp: unknown key"),
    ("sft_tiny_cpu", lambda c: c.update({"trainig": {}}), r"unknown section\(s\) trainig"),
    ("grpo_tiny_cpu", lambda c: c["reward"].update({"prompt_styl": "cloze"}), "reward.prompt_styl: unknown key"),
    ("cpt_mix_tiny_cpu", lambda c: c["data"]["sources"][1].update({"wieght": 2}),
     r"data.sources\[1\].wieght: unknown key"),
    ("cpt_tiny_cpu", lambda c: c["lora"].update({"lora_alhpa": 8}), "lora.lora_alhpa is not a peft.LoraConfig"),
    ("sft_tiny_cpu", lambda c: c["training"].update({"lerning_rate": 1e-3}),
     "training.lerning_rate is not accepted by TrainingArguments"),
    ("fictional_tiny_cpu", lambda c: c["training"].update({"max_lenght": 64}),
     "training.max_lenght is not accepted by SFTConfig"),
    ("sft_tiny_cpu", lambda c: c["consistency"].update({"lambda": "high"}), r"consistency.lambda: 'high' is not a num"),
    ("sft_tiny_cpu", lambda c: c["data"].update({"languages": "en"}), r"data.languages: 'en' is not a list of text"),
    ("grpo_tiny_cpu", lambda c: c["training"].update({"num_generations": "four"}), "refused by GRPOConfig"),
]


@pytest.mark.parametrize("name, edit, message", TYPOS_IN_FILES)
def test_a_typo_at_any_depth_in_a_file_stops_before_anything_loads(tmp_path, capsys, nothing_loads, name, edit,
                                                                     message):
    recipe = name.split("_")[0]
    path = write_recipe(tmp_path, name, edit)
    code = train([recipe, "--config", path, "model.name_or_path=/m", "output_dir=/o", "data.data_dir=/d"]
                 if recipe in ("sft", "grpo") else [recipe, "--config", path, "model.name_or_path=/m", "output_dir=/o"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and path in err
    assert re.search(message, err), err


@pytest.mark.parametrize("override, message", [
    ("consistency.lamda=2", "override 'consistency.lamda=2': consistency.lamda: unknown key"),
    ("data.shuffle_sed=1", "data.shuffle_sed: unknown key"),
    ("model.revison=main", "model.revison: unknown key"),
    ("training.warmup_ratio=0.1", "training.warmup_ratio is not accepted by TrainingArguments .* use warmup_steps"),
    ("consistency.kl_direction=forward", r"consistency.kl_direction: 'forward' is not one of 'p_to_mean'"),
    ("data.max_facts=ten", "data.max_facts: 'ten' is not an integer"),
])
def test_a_typo_in_an_override_stops_before_anything_loads(capsys, nothing_loads, override, message):
    code = train(["sft", "--config", "sft_tiny_cpu", "model.name_or_path=/m", "output_dir=/o", override])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert re.search(message, err), err


def test_missing_model_folder_says_so(tmp_path, capsys, nothing_loads):
    data = write_synthetic_facts(tmp_path / "facts", n_facts=4)
    code = train(["sft", "--config", "sft_tiny_cpu", f"model.name_or_path={tmp_path}/no-such-model",
                  f"data.data_dir={data}", "output_dir=/o"])
    err = capsys.readouterr().err
    assert code == 2 and f"model folder {tmp_path}/no-such-model not found" in err
    assert "Repo id" not in err


def test_dry_run_prints_the_effective_recipe_and_loads_nothing(tmp_path, capsys, nothing_loads):
    data = write_synthetic_facts(tmp_path / "facts", n_facts=4)
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "config.json").write_text("{}", encoding="utf-8")
    code = train(["sft", "--config", "sft_tiny_cpu", "--dry-run", f"model.name_or_path={tmp_path / 'model'}",
                  f"data.data_dir={data}", f"output_dir={tmp_path / 'out'}", "consistency.lambda=2"])
    out = capsys.readouterr().out
    assert code == 0 and "nothing was loaded" in out
    report = yaml.safe_load(out.split("\n", 1)[1])
    recipe = report["effective_recipe"]
    assert recipe["consistency"] == {"lambda": 2.0, "kl_direction": "p_to_mean", "prompt_format": "cloze"}
    assert recipe["data"]["on_invalid"] == "error"  # a default filled in
    args = report["trainer_arguments (TrainingArguments)"]
    assert args["learning_rate"] == 0.005 and args["remove_unused_columns"] is False
    assert args["prediction_loss_only"] is True
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------------------------------- paper settings, built
@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A tiny model and synthetic facts with train / validation splits in the hub layout."""
    root = tmp_path_factory.mktemp("paper")
    data = write_synthetic_facts(root / "facts", n_facts=8)
    for lang_dir in data.iterdir():
        for split in ("train", "validation"):
            shutil.copy(lang_dir / "test.jsonl", lang_dir / f"{split}.jsonl")
    return {"root": root, "data": data, "model": build_untied_tiny_llama(root / "model", tokenizer_texts(data))}


def paper_overrides(tiny, out: str) -> list[str]:
    """What turns a 7B recipe into a CPU run on the tiny model; nothing the paper specifies is changed."""
    return [f"model.name_or_path={tiny['model']}", "model.dtype=float32", f"data.data_dir={tiny['data']}",
            "data.languages=[en,de,ru]", "training.bf16=false", "training.use_cpu=true",
            "training.gradient_checkpointing=false", f"output_dir={tiny['root'] / out}"]


def test_grpo_paper_settings_reach_the_trainer_and_its_generation_config(tiny):
    from xlfact.training import grpo

    config = load_recipe("grpo_olmo2-7b", paper_overrides(tiny, "grpo"), expect="grpo")
    trainer, facts = grpo.build_trainer(config)
    args, gen = trainer.args, trainer.generation_config
    assert (args.lr_scheduler_type.value, args.warmup_steps, args.weight_decay, args.seed) == ("cosine", 0.03, 0.01, 42)
    assert (args.eval_strategy.value, args.eval_steps, args.learning_rate, args.beta, args.loss_type) == (
        "steps", 500, 1e-5, 0.0, "grpo")
    assert (gen.repetition_penalty, gen.no_repeat_ngram_size, gen.max_new_tokens, gen.temperature, gen.top_p) == (
        1.5, 3, 48, 0.7, 0.95)
    assert config["data"]["max_facts"] == 40000 and config["data"]["max_prompt_length"] == 512
    assert trainer.eval_dataset is not None and len(trainer.eval_dataset) == 8 * 3
    prompt = trainer.train_dataset[0]["prompt"]
    assert prompt.startswith("You will be given one factual multiple-choice question in English.\n")
    assert prompt.endswith("\n\nAnswer text:") and "\nA. " in prompt
    no_vllm = grpo.training_arguments(load_recipe("grpo_olmo2-7b", ["output_dir=/o", "training.use_cpu=true",
                                                                    "training.use_vllm=true"]))
    assert "no_repeat_ngram_size" not in (no_vllm.generation_kwargs or {})


def test_grpo_authors_answer_extraction():
    from xlfact.training.rewards import extract_answer

    assert extract_answer("  Answer text: Rome.\nQuestion: next") == "Rome."
    assert extract_answer("answer:\nRom") == "Rom"


def test_sft_paper_settings_reach_the_trainer(tiny):
    from xlfact.training import sft

    config = load_recipe("sft_qwen2.5-7b", paper_overrides(tiny, "sft") + ["consistency.prompt_format=cloze"],
                         expect="sft")
    trainer, ctx = sft.build_trainer(config)
    args = trainer.args
    assert (args.lr_scheduler_type.value, args.warmup_steps, args.weight_decay) == ("cosine", 0.05, 0.01)
    assert (args.eval_strategy.value, args.eval_steps, args.save_strategy.value, args.save_steps) == (
        "steps", 200, "steps", 200)
    assert args.prediction_loss_only is True  # evaluation never gathers logits
    lora = trainer.model.peft_config["default"]
    assert sorted(lora.target_modules) == ["k_proj", "o_proj", "q_proj", "v_proj"] and lora.r == 64
    lora_layers = {name.split(".")[-1] for name, _ in trainer.model.named_modules() if name.endswith(
        ("_proj",)) and hasattr(_, "lora_A")}
    assert lora_layers == {"q_proj", "k_proj", "v_proj", "o_proj"}
    assert trainer.eval_dataset is ctx["eval_dataset"] and ctx["eval_dataset"] is not trainer.train_dataset
    assert len(trainer.eval_dataset) == 8 and ctx["facts"].describe()["source"].endswith("(split train)")


def test_cpt_and_clika_paper_settings_reach_the_arguments():
    from xlfact.training import cpt, fictional

    cpt_config = load_recipe("cpt_olmo2-7b", ["output_dir=/o", "training.use_cpu=true"])
    args = cpt.training_arguments(cpt_config)
    assert (args.per_device_train_batch_size, args.gradient_accumulation_steps, args.warmup_steps,
            args.weight_decay) == (6, 8, 200, 0.01)
    assert cpt_config["packing"] == {"target_tokens": 512, "max_tokens": 1024}
    assert (cpt_config["data"]["min_languages"], cpt_config["data"]["validation_ratio"]) == (2, 0.005)
    for name, targets in (("fictional_clika", ["k_proj", "o_proj", "q_proj", "v_proj"]),
                          ("fictional_clika_lora_all", "all-linear")):
        config = load_recipe(name, ["output_dir=/o", "training.use_cpu=true"])
        args = fictional.training_arguments(config)
        assert (args.per_device_train_batch_size, args.gradient_accumulation_steps) == (32, 4)
        lora = model_io.lora_config(config["lora"])
        assert (sorted(lora.target_modules) if targets != "all-linear" else lora.target_modules) == targets
    full = load_recipe("fictional_clika_full", ["output_dir=/o", "training.use_cpu=true"])
    assert full["lora"] is None and model_io.lora_config(full["lora"]) is None

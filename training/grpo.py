"""Multilingual GRPO (PolyFact paper, Section 3 / Appendix B) with TRL's ``GRPOTrainer`` — no subclass.

What is ours is the data order and the reward (:mod:`xlfact.training.rewards`):

* one dataset row per (fact, language) prompt, rows fact-major (a fact's languages next to each other), facts
  shuffled once when the data is read (``data.shuffle_seed``) and ``shuffle_dataset=False`` in the trainer, so TRL's
  ``RepeatSampler`` hands each process whole facts;
* the per-process generation batch (``per_device_train_batch_size x steps_per_generation``) a multiple of
  languages x ``num_generations``, so all L x G completions of a fact land in one reward call (checked here before
  training, and again by the reward on every call);
* ``loss_type="grpo"`` (TRL's default is ``"dapo"``), ``beta=0`` (no KL to a reference model), as in the paper.

Generation runs through ``model.generate`` by default, or through vLLM with ``training.use_vllm=true`` and
``training.vllm_mode=colocate|server`` (see ``training/README.md``).
"""

from __future__ import annotations

import logging
import os
from typing import Any

from xlfact.training import arguments, checkpoints, model_io
from xlfact.training.config import RecipeError, recipe_seed, section, typed_section
from xlfact.training.data import (
    PROMPT_STYLES,
    ParallelFacts,
    evaluates_during_training,
    generation_prompt,
    recipe_facts,
)
from xlfact.training.rewards import AllLanguagesReward
from xlfact.training.schema import RewardSection

log = logging.getLogger(__name__)

# The paper's settings; a recipe's `training` section overrides any of them except the ones in FORCED.
DEFAULTS = {"loss_type": "grpo", "beta": 0.0, "num_generations": 8, "temperature": 0.7, "top_p": 0.95,
            "max_completion_length": 48, "learning_rate": 1e-5}
FORCED = {"shuffle_dataset": False}


def build_dataset(facts: ParallelFacts, style: str, tokenizer=None, max_prompt_length: int | None = None):
    """Fact-major rows ``{prompt, fact_id, language, options, gold}``: fact 0 in every language, then fact 1, ...

    ``max_prompt_length`` (the paper: 512 tokens) keeps a longer prompt's first tokens, as the authors' tokenizer call
    (``truncation=True, max_length=512``) does; the number of truncated prompts is logged."""
    import datasets

    if style not in PROMPT_STYLES:
        raise RecipeError(f"reward.prompt_style {style!r}: expected one of {PROMPT_STYLES}")
    rows, truncated = [], 0
    for fact in facts.facts:
        for lang in facts.languages:
            row = fact[lang]
            prompt = generation_prompt(row, lang, style)
            if max_prompt_length and tokenizer is not None:
                ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
                if len(ids) > max_prompt_length:
                    prompt = tokenizer.decode(ids[:max_prompt_length])
                    truncated += 1
            rows.append({"prompt": prompt, "fact_id": row["fact_id"], "language": lang,
                         "options": list(row["options"]), "gold": int(row["gold"])})
    if truncated:
        log.warning("%d of %d prompts exceed data.max_prompt_length=%d tokens and were cut", truncated, len(rows),
                    max_prompt_length)
    return datasets.Dataset.from_list(rows)


def world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1") or 1)


def check_eval_batch(args, n_languages: int) -> None:
    """Evaluation generates ``per_device_eval_batch_size`` completions per process and call: whole facts too."""
    unit = n_languages * (args.num_generations_eval or args.num_generations)
    if args.per_device_eval_batch_size % unit:
        raise RecipeError(f"training.per_device_eval_batch_size={args.per_device_eval_batch_size} must be a multiple "
                          f"of languages x num_generations = {unit} when the recipe evaluates during training")


def check_generation_batch(args, n_languages: int, n_rows: int) -> int:
    """The per-process generation batch; an error unless it holds whole facts (a multiple of L x G)."""
    per_process = args.generation_batch_size // world_size()
    unit = n_languages * args.num_generations
    if per_process % unit:
        raise RecipeError(
            f"the per-process generation batch is {per_process} completions (per_device_train_batch_size x "
            f"steps_per_generation); it must be a multiple of languages x num_generations = {n_languages} x "
            f"{args.num_generations} = {unit}, so that a fact's rollouts land in one reward call")
    if n_rows * args.num_generations < args.generation_batch_size:
        raise RecipeError(f"only {n_rows} prompts: fewer than one generation batch "
                          f"({args.generation_batch_size // args.num_generations} prompts); lower the batch size")
    return per_process


def training_arguments(config: dict[str, Any]):
    """The ``trl.GRPOConfig`` of a GRPO recipe (built before anything is loaded)."""
    from trl import GRPOConfig

    training = section(config, "training")
    for key, value in FORCED.items():
        if key in training and training[key] != value:
            raise RecipeError(f"training.{key}={training[key]!r} breaks the fact-major order; it must be {value!r}")
    training = dict(training)
    kwargs = dict(training.get("generation_kwargs") or {})
    if training.get("use_vllm") and "no_repeat_ngram_size" in kwargs:
        # vLLM's SamplingParams has no n-gram blocking: the paper's "no repeated 3-grams" cannot be honoured there.
        log.warning("training.generation_kwargs.no_repeat_ngram_size=%s dropped: vLLM has no n-gram blocking",
                    kwargs.pop("no_repeat_ngram_size"))
        config = {**config, "training": {**training, "generation_kwargs": kwargs or None}}
    return arguments.build(GRPOConfig, config, DEFAULTS, FORCED)


def build_trainer(config: dict[str, Any]):
    """``(trainer, facts)``: the ``GRPOTrainer`` of a recipe, ready to train (what :func:`run` trains)."""
    from transformers import set_seed
    from trl import GRPOTrainer

    seed = recipe_seed(config)
    set_seed(seed)
    reward_cfg = typed_section(config, "reward", RewardSection)
    args = training_arguments(config)
    data = section(config, "data")
    evaluates = evaluates_during_training(args.eval_strategy)
    model_io.check_local_paths(config)
    facts, eval_facts = recipe_facts(config, data, args.eval_strategy)
    eval_facts = eval_facts if evaluates else None
    tokenizer = model_io.load_tokenizer(config["model"])
    tokenizer.padding_side = "left"
    style, max_prompt = reward_cfg.prompt_style, data.get("max_prompt_length")
    dataset = build_dataset(facts, style, tokenizer, max_prompt)
    eval_dataset = build_dataset(eval_facts, style, tokenizer, max_prompt) if eval_facts else None
    check_generation_batch(args, len(facts.languages), len(dataset))
    if eval_dataset is not None:
        check_eval_batch(args, len(facts.languages))
    reward = AllLanguagesReward(facts.languages, reward_cfg.log_path)
    trainer = GRPOTrainer(
        model=model_io.load_model(config["model"]), reward_funcs=[reward], args=args, train_dataset=dataset,
        eval_dataset=eval_dataset,
        processing_class=tokenizer, peft_config=model_io.lora_config(config.get("lora")),
        callbacks=checkpoints.callbacks(config, tokenizer),
    )
    return trainer, facts


def run(config: dict[str, Any]) -> dict[str, Any]:
    """Train with multilingual GRPO and write the run folder; returns the final metrics."""
    trainer, facts = build_trainer(config)
    args, tokenizer = trainer.args, trainer.processing_class

    def rewards() -> dict[str, Any]:
        history = [h for h in trainer.state.log_history if "reward" in h]
        return {"reward_first_log": history[0]["reward"] if history else None,
                "reward_last_log": history[-1]["reward"] if history else None,
                "generation_batch_per_process": args.generation_batch_size // world_size()}

    return model_io.train_and_save(trainer, tokenizer, config, facts.describe(), rewards)

"""Continued pretraining (PolyFact paper, Section 3 / Appendix B) on a stock ``transformers.Trainer``.

The corpus side — sources (plain text, monolingual or bilingual JSON lines, parallel rows), the paper's packing rule,
the language-balanced validation split and the weighted data mix — is :mod:`xlfact.training.corpus`. The training
loop is the stock ``Trainer`` with the causal-LM collator; the loss before and after training is measured on the
validation split (on the training chunks when ``data.validation_ratio`` is 0).
"""

from __future__ import annotations

import logging
from typing import Any

from xlfact.training import arguments, checkpoints, corpus, model_io
from xlfact.training.config import recipe_seed, section

log = logging.getLogger(__name__)


def training_arguments(config: dict[str, Any]):
    """The ``TrainingArguments`` of a CPT recipe (built before anything is loaded)."""
    from transformers import TrainingArguments

    return arguments.build(TrainingArguments, config)


def run(config: dict[str, Any]) -> dict[str, Any]:
    """Continued pretraining on the recipe's data mix; writes the run folder, returns the final metrics."""
    import datasets
    from transformers import DataCollatorForLanguageModeling, Trainer, set_seed

    seed = recipe_seed(config)
    set_seed(seed)
    args = training_arguments(config)
    data = section(config, "data")
    where = f"{config['_source']} data"
    corpus.source_specs(data, where)
    model_io.check_local_paths(config)
    tokenizer = model_io.load_tokenizer(config["model"])
    mix = corpus.build_mix(data, section(config, "packing"), tokenizer, seed, where)
    train_set = datasets.Dataset.from_dict({"input_ids": [c["input_ids"] for c in mix.train]})
    measured_on = "validation" if mix.validation else "train"
    eval_set = (datasets.Dataset.from_dict({"input_ids": [c["input_ids"] for c in mix.validation]})
                if mix.validation else train_set)
    model = model_io.apply_lora(model_io.load_model(config["model"]), config.get("lora"))
    model_io.prepare_for_training(model, args)
    trainer = Trainer(model=model, args=args, train_dataset=train_set, eval_dataset=eval_set,
                      data_collator=DataCollatorForLanguageModeling(tokenizer, mlm=False),
                      callbacks=checkpoints.callbacks(config, tokenizer))
    before = trainer.evaluate()["eval_loss"]
    described = {**mix.describe(), "languages": data.get("languages") or "all in the corpus"}
    return model_io.train_and_save(trainer, tokenizer, config, described, lambda: {
        "loss_measured_on": measured_on, "loss_before": float(before),
        "loss_after": float(trainer.evaluate()["eval_loss"]), **model_io.logged_losses(trainer),
        "train_chunks": len(mix.train), "validation_chunks": len(mix.validation),
    })

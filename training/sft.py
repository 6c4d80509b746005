"""SFT with a cross-lingual consistency loss (PolyFact paper, Section 3 / Appendix B), on ``transformers.Trainer``.

One training row is one fact with all its languages. For each language l the model gives p_l, a distribution over the
fact's four answer options, and the loss is

    mean_l CE_l  +  lambda * mean_l KL(p_l || stopgrad(mean_l' p_l'))

so that the model is pulled towards the same answer distribution in every language, not only towards the gold
answer. ``lambda = 0`` is plain SFT (the KL is still computed and logged, but not added).

``consistency.kl_direction``: ``p_to_mean`` = KL(p_l || mean p), the direction written in the paper (default);
``mean_to_p`` = KL(mean p || p_l), the direction the authors' code computed. Both stop the gradient through the mean.

``consistency.prompt_format``:

* ``mcq`` (the paper): the question with lettered options, answer ``" " + letter``; p_l is the softmax over the four
  option-letter tokens at the answer position; CE is on the letter.
* ``cloze``: PolyFact's evaluation form ``Question: {q}\\nAnswer:`` + ``" " + option`` (split into tokens exactly as
  lm-eval does); p_l is the softmax over the options' mean log-probability per option token (the score PolyFact's
  ``acc`` ranks by); CE is the gold option's mean token NLL. Four sequences per language, so it costs more.
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from typing import Any

import torch

from xlfact.evaluators.multiple_choice import split_like_lm_eval
from xlfact.training import arguments, checkpoints, model_io
from xlfact.training.config import RecipeError, recipe_seed, section, typed_section
from xlfact.training.data import (
    OPTION_LETTERS,
    ParallelFacts,
    cloze_prompt,
    evaluates_during_training,
    mcq_prompt,
    recipe_facts,
)
from xlfact.training.schema import ConsistencySection

log = logging.getLogger(__name__)

PROMPT_FORMATS = ("mcq", "cloze")
KL_DIRECTIONS = ("p_to_mean", "mean_to_p")
N_OPTIONS = len(OPTION_LETTERS)


# ------------------------------------------------------------------------------------------------ tokenisation
def encode_pair(tokenizer, context: str, continuation: str) -> tuple[list[int], list[int]]:
    """Context and continuation token ids, split the way lm-eval's ``_encode_pair`` splits them."""
    context, whole = split_like_lm_eval(context, continuation)
    ctx_ids = tokenizer(context, add_special_tokens=False)["input_ids"]
    whole_ids = tokenizer(whole, add_special_tokens=False)["input_ids"]
    cont_ids = whole_ids[len(ctx_ids):]
    if not cont_ids:
        raise RecipeError(f"continuation {continuation!r} adds no tokens after {context[-40:]!r}")
    return ctx_ids, cont_ids


def letter_token_ids(tokenizer) -> list[int]:
    """The token of ``" A"`` .. ``" D"`` after ``"Answer:"``; each must be a single token for p_l to be defined."""
    ids = []
    for letter in OPTION_LETTERS:
        _, cont = encode_pair(tokenizer, "Answer:", f" {letter}")
        if len(cont) != 1:
            raise RecipeError(f"consistency.prompt_format=mcq needs ' {letter}' to be one token after 'Answer:'; "
                              f"this tokenizer gives {len(cont)} ({cont}). Use prompt_format=cloze.")
        ids.append(cont[0])
    return ids


def fact_sequences(fact: dict[str, dict[str, Any]], languages: list[str], tokenizer, prompt_format: str,
                   max_length: int | None = None) -> dict[str, list]:
    """The training sequences of one fact: per language one (mcq) or four (cloze) sequences, prompt masked."""
    out: dict[str, list] = defaultdict(list)
    for li, lang in enumerate(languages):
        row = fact[lang]
        if prompt_format == "mcq":
            pairs = [(mcq_prompt(row["question"], row["options"]), f" {OPTION_LETTERS[row['gold']]}", row["gold"])]
        else:
            pairs = [(cloze_prompt(row["question"]), f" {option}", slot) for slot, option in enumerate(row["options"])]
        for context, continuation, slot in pairs:
            ctx, cont = encode_pair(tokenizer, context, continuation)
            ids = ctx + cont
            if max_length and len(ids) > max_length:
                raise RecipeError(f"fact {row['fact_id']} ({lang}): {len(ids)} tokens exceed "
                                  f"data.max_length={max_length}; raise it")
            out["input_ids"].append(ids)
            out["labels"].append([-100] * len(ctx) + cont)
            out["lang_index"].append(li)
            out["slot"].append(slot)
            out["gold"].append(row["gold"])
    return dict(out)


def build_dataset(facts: ParallelFacts, tokenizer, prompt_format: str, max_length: int | None = None):
    """A ``datasets.Dataset`` with one row per fact (its languages' sequences as list columns)."""
    import datasets

    if prompt_format not in PROMPT_FORMATS:
        raise RecipeError(f"consistency.prompt_format {prompt_format!r}: expected one of {PROMPT_FORMATS}")
    raw = datasets.Dataset.from_dict({"fact_index": list(range(len(facts.facts)))})
    return raw.map(
        lambda row: fact_sequences(facts.facts[row["fact_index"]], facts.languages, tokenizer, prompt_format,
                                   max_length),
        remove_columns=[],
        desc="tokenising facts",
    )


class FactCollator:
    """Flattens a batch of facts into sequences, keeping which fact/language/slot each sequence is.

    Sequences are padded on the left with explicit position ids, so every continuation ends in the last column and the
    model computes vocabulary logits only for the last ``K + 1`` positions (``logits_to_keep``; K = the longest
    continuation): memory grows with the batch, not with prompt length x vocabulary."""

    def __init__(self, pad_token_id: int):
        self.pad_token_id = pad_token_id

    def __call__(self, features: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        seqs, labels, fact, lang, slot, gold = [], [], [], [], [], []
        for f_index, feature in enumerate(features):
            for i, ids in enumerate(feature["input_ids"]):
                seqs.append(ids)
                labels.append(feature["labels"][i])
                fact.append(f_index)
                lang.append(feature["lang_index"][i])
                slot.append(feature["slot"][i])
                gold.append(feature["gold"][i])
        width = max(len(s) for s in seqs)
        input_ids = torch.full((len(seqs), width), self.pad_token_id, dtype=torch.long)
        label_t = torch.full((len(seqs), width), -100, dtype=torch.long)
        mask = torch.zeros((len(seqs), width), dtype=torch.long)
        for i, (ids, lab) in enumerate(zip(seqs, labels)):
            input_ids[i, width - len(ids):] = torch.tensor(ids)
            label_t[i, width - len(lab):] = torch.tensor(lab)
            mask[i, width - len(ids):] = 1
        return {
            "input_ids": input_ids, "attention_mask": mask, "labels": label_t,
            "position_ids": (mask.cumsum(-1) - 1).clamp(min=0),
            "fact_index": torch.tensor(fact), "lang_index": torch.tensor(lang), "slot": torch.tensor(slot),
            "gold": torch.tensor(gold),
        }


def _decoder_and_head(model):
    """``(decoder, head)`` when the model's logits are exactly ``head(decoder(...).last_hidden_state)``, else None.

    Not for a model wrapped for distributed training (DDP, DeepSpeed, FSDP: calling the inner modules would bypass
    the wrapper's gradient hooks) nor for architectures that scale or soft-cap their logits."""
    if hasattr(model, "module") or not hasattr(model, "get_decoder") or not hasattr(model, "get_output_embeddings"):
        return None
    config = getattr(model, "config", None)
    if any(getattr(config, key, None) for key in ("final_logit_softcapping", "logit_scale", "logits_scaling")):
        return None
    decoder, head = model.get_decoder(), model.get_output_embeddings()
    return (decoder, head) if decoder is not None and isinstance(head, torch.nn.Linear) else None


def forward_options(model, batch: dict[str, torch.Tensor], prompt_format: str, letter_ids: list[int] | None):
    """``(log p, CE, outputs)`` of a :class:`FactCollator` batch, computing logits only where they are needed.

    Scoring (no grad): the model's own forward with ``logits_to_keep`` = the last K + 1 positions. Training (grad on,
    a plain or PEFT model): the decoder's hidden states, and the output head applied only to the continuation
    tokens' rows (and, mcq, the answer position): at batch 10 x 3 languages x 4 options that is ~530 rows of the
    49k-word vocabulary instead of 120 x 25, and the float32 logits block with its gradients (~2 GB on SmolLM2) is
    never built. Both give the same log-probabilities (``tests/test_training_scoring.py``)."""
    keep = int((batch["labels"] != -100).sum(1).max()) + 1
    lean = _decoder_and_head(model) if torch.is_grad_enabled() else None
    if lean is None:
        outputs = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                        position_ids=batch["position_ids"], logits_to_keep=keep)
        log_p, ce = option_log_probs(outputs.logits, batch, prompt_format, letter_ids)
        return log_p, ce, outputs
    decoder, head = lean
    outputs = decoder(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                      position_ids=batch["position_ids"], use_cache=False)
    hidden = outputs.last_hidden_state[:, -keep:]
    targets = batch["labels"][:, -keep:][:, 1:]
    mask = targets != -100
    first_logits = None
    if prompt_format == "mcq":
        first = mask.float().argmax(dim=1)
        first_logits = head(hidden[torch.arange(hidden.shape[0], device=hidden.device), first])
    log_p, ce = _option_scores(head(hidden[:, :-1][mask]), first_logits, targets, mask, batch, prompt_format,
                               letter_ids)
    return log_p, ce, outputs


# --------------------------------------------------------------------------------------------------- the loss
def option_log_probs(logits: torch.Tensor, batch: dict[str, torch.Tensor], prompt_format: str,
                     letter_ids: list[int] | None) -> tuple[torch.Tensor, torch.Tensor]:
    """``(log p [facts, langs, 4], CE [facts, langs])`` from the model's logits over a :class:`FactCollator` batch.

    ``logits`` may cover only the last positions of the (left-padded) sequences; labels are aligned to them."""
    labels = batch["labels"][:, -logits.shape[1]:]
    targets = labels[:, 1:]
    mask = targets != -100
    first_logits = None
    if prompt_format == "mcq":  # the letter logits at the position that predicts the first completion token
        first = mask.float().argmax(dim=1)  # index into targets == position in logits that predicts it
        first_logits = logits[torch.arange(logits.shape[0], device=logits.device), first]
    return _option_scores(logits[:, :-1][mask], first_logits, targets, mask, batch, prompt_format, letter_ids)


def _option_scores(picked: torch.Tensor, first_logits: torch.Tensor | None, targets: torch.Tensor,
                   mask: torch.Tensor, batch: dict[str, torch.Tensor], prompt_format: str,
                   letter_ids: list[int] | None) -> tuple[torch.Tensor, torch.Tensor]:
    """The option log-probabilities and CE from the vocabulary logits of the continuation tokens only (``picked``:
    one row per ``mask`` position of ``targets``) and, mcq, of the answer position of each sequence."""
    device = picked.device
    # Only the continuation tokens' rows of the vocabulary logits are normalised (log-sum-exp, no float copy of the
    # whole [sequences, K, vocab] block and no saved log-softmax of it): memory for the loss is one [tokens, vocab].
    picked = picked if picked.dtype == torch.float32 else picked.float()
    picked_lp = picked.gather(-1, targets[mask].unsqueeze(-1)).squeeze(-1) - torch.logsumexp(picked, dim=-1)
    token_lp = torch.zeros(targets.shape, dtype=picked_lp.dtype, device=device).masked_scatter(mask, picked_lp)
    mean_lp = token_lp.sum(1) / mask.sum(1).clamp(min=1)  # mean log-prob per continuation token, per sequence
    n_facts = int(batch["fact_index"].max()) + 1
    n_langs = int(batch["lang_index"].max()) + 1
    fi, li = batch["fact_index"], batch["lang_index"]
    if prompt_format == "cloze":
        scores = torch.full((n_facts, n_langs, N_OPTIONS), -math.inf, device=device)
        scores[fi, li, batch["slot"]] = mean_lp
        log_p = torch.log_softmax(scores, dim=-1)
        gold = torch.zeros((n_facts, n_langs), dtype=torch.long, device=device)
        gold[fi, li] = batch["gold"]
        ce = -scores.gather(-1, gold.unsqueeze(-1)).squeeze(-1)
        return log_p, ce
    letter_logits = first_logits[:, letter_ids].float()
    log_p = torch.zeros((n_facts, n_langs, N_OPTIONS), device=device)
    log_p[fi, li] = torch.log_softmax(letter_logits, dim=-1)
    ce = torch.zeros((n_facts, n_langs), device=device)
    ce[fi, li] = -mean_lp
    return log_p, ce


def consistency_kl(log_p: torch.Tensor, direction: str = "p_to_mean") -> torch.Tensor:
    """Per (fact, language) KL between p_l and the fact's mean over languages (mean detached): ``[facts, langs]``."""
    log_mean = (torch.logsumexp(log_p, dim=1, keepdim=True) - math.log(log_p.shape[1])).detach()
    if direction == "p_to_mean":
        return (log_p.exp() * (log_p - log_mean)).sum(-1)
    if direction == "mean_to_p":
        return (log_mean.exp() * (log_mean - log_p)).sum(-1)
    raise RecipeError(f"consistency.kl_direction {direction!r}: expected one of {KL_DIRECTIONS}")


def _trainer_class():
    from transformers import Trainer

    class ConsistencySFTTrainer(Trainer):
        """``Trainer`` whose loss is mean CE + lambda * mean KL(p_l || stopgrad(mean p)) over a fact's languages."""

        def __init__(self, *args, consistency_lambda: float, kl_direction: str, prompt_format: str,
                     letter_ids: list[int] | None, **kwargs):
            super().__init__(*args, **kwargs)
            self.consistency_lambda = float(consistency_lambda)
            self.kl_direction = kl_direction
            self.prompt_format = prompt_format
            self.letter_ids = letter_ids
            # The loss is already a mean over the batch; let the Trainer divide it by the accumulation steps.
            self.model_accepts_loss_kwargs = False
            self._parts: dict[str, list[float]] = defaultdict(list)

        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            log_p, ce, outputs = forward_options(model, inputs, self.prompt_format, self.letter_ids)
            kl = consistency_kl(log_p, self.kl_direction)
            ce_mean, kl_mean = ce.mean(), kl.mean()
            loss = ce_mean + self.consistency_lambda * kl_mean if self.consistency_lambda else ce_mean
            self._parts["ce"].append(float(ce_mean.detach()))
            self._parts["consistency_kl"].append(float(kl_mean.detach()))
            return (loss, outputs) if return_outputs else loss

        def log(self, logs: dict[str, float], start_time: float | None = None) -> None:
            for name, values in self._parts.items():
                if values:
                    logs[name] = sum(values) / len(values)
            self._parts.clear()
            super().log(logs, start_time)

    return ConsistencySFTTrainer


@torch.no_grad()
def measure(model, dataset, collator, prompt_format: str, letter_ids: list[int] | None, direction: str = "p_to_mean",
            batch_facts: int = 16) -> dict[str, float]:
    """Mean CE, mean cross-language KL and option accuracy of ``model`` over ``dataset`` (eval mode, no grad).

    Streams ``batch_facts`` facts at a time and keeps only their option log-probabilities."""
    was_training = model.training
    model.eval()
    ce_sum = kl_sum = correct = count = 0.0
    for start in range(0, len(dataset), batch_facts):
        batch = collator([dataset[i] for i in range(start, min(start + batch_facts, len(dataset)))])
        batch = {k: v.to(model.device) for k, v in batch.items()}
        log_p, ce, _ = forward_options(model, batch, prompt_format, letter_ids)
        kl = consistency_kl(log_p, direction)
        gold = torch.zeros(ce.shape, dtype=torch.long, device=ce.device)
        gold[batch["fact_index"], batch["lang_index"]] = batch["gold"]
        ce_sum += float(ce.sum())
        kl_sum += float(kl.sum())
        correct += float((log_p.argmax(-1) == gold).sum())
        count += ce.numel()
    model.train(was_training)
    return {"ce": ce_sum / count, "consistency_kl": kl_sum / count, "option_accuracy": correct / count}


def training_arguments(config: dict[str, Any]):
    """The ``TrainingArguments`` of an SFT recipe (built before anything is loaded)."""
    from transformers import TrainingArguments

    # the collator needs the fact/language/slot columns; evaluation keeps the loss only, never the logits
    return arguments.build(TrainingArguments, config,
                           defaults={"activation_checkpointing_kwargs": {"use_reentrant": True}},
                           forced={"remove_unused_columns": False, "prediction_loss_only": True})


def build_trainer(config: dict[str, Any]):
    """``(trainer, context)``: the consistency trainer of a recipe, ready to train, and what :func:`run` needs to
    measure and save (facts, evaluation set, collator, prompt format, letter ids)."""
    from transformers import set_seed

    seed = recipe_seed(config)
    set_seed(seed)
    cons = typed_section(config, "consistency", ConsistencySection)
    lam, direction, prompt_format = cons.lambda_, cons.kl_direction, cons.prompt_format  # checked by the schema
    args = training_arguments(config)
    data_cfg = section(config, "data")
    evaluates = evaluates_during_training(args.eval_strategy)
    model_io.check_local_paths(config)
    facts, eval_facts = recipe_facts(config, data_cfg, args.eval_strategy)
    eval_facts = facts if eval_facts is None else eval_facts
    tokenizer = model_io.load_tokenizer(config["model"])
    letter_ids = letter_token_ids(tokenizer) if prompt_format == "mcq" else None
    dataset = build_dataset(facts, tokenizer, prompt_format, data_cfg.get("max_length"))
    eval_dataset = (build_dataset(eval_facts, tokenizer, prompt_format, data_cfg.get("max_length"))
                    if eval_facts is not facts else dataset)
    collator = FactCollator(tokenizer.pad_token_id)
    model = model_io.apply_lora(model_io.load_model(config["model"]), config.get("lora"))
    model_io.prepare_for_training(model, args)
    trainer = _trainer_class()(
        model=model, args=args, train_dataset=dataset, eval_dataset=eval_dataset if evaluates else None,
        data_collator=collator, consistency_lambda=lam,
        kl_direction=direction, prompt_format=prompt_format, letter_ids=letter_ids,
        callbacks=checkpoints.callbacks(config, tokenizer),
    )
    context = {"facts": facts, "eval_dataset": eval_dataset, "collator": collator, "prompt_format": prompt_format,
               "letter_ids": letter_ids, "direction": direction, "tokenizer": tokenizer}
    return trainer, context


def run(config: dict[str, Any]) -> dict[str, Any]:
    """Train with the SFT-with-consistency recipe and write the run folder; returns the final metrics."""
    trainer, ctx = build_trainer(config)
    data_cfg, facts, tokenizer = section(config, "data"), ctx["facts"], ctx["tokenizer"]

    def scores(model) -> dict[str, float]:
        return measure(model, ctx["eval_dataset"], ctx["collator"], ctx["prompt_format"], ctx["letter_ids"],
                       ctx["direction"], trainer.args.per_device_eval_batch_size)

    before = scores(trainer.model)
    return model_io.train_and_save(trainer, tokenizer, config, facts.describe(), lambda: {
        "measured_on": f"split {data_cfg['eval_split']}" if data_cfg.get("eval_split") else "the training facts",
        "before": before, "after": scores(trainer.model),
    })

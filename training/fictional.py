"""CLiKA fictional-knowledge tuning (Gao et al., "conductivity"): TRL ``SFTTrainer`` on prompt/completion pairs.

The authors tune a model per target language X on ``fictional/train/<X>.json`` (LLaMA-Factory alpaca rows
``{prompt, input, answer}``, JSON lines): English QA about 400 invented places (all relations), X-language QA for the
200 type-0 relations, and name translations; then ``clika_fictional_<x>`` asks the type-1 relations, trained only in
English, in X (XRR: does knowledge learnt in English conduct to X?).

Translation direction (``fictional.translation_direction``): the paper describes English -> X pairs
(``en_to_target``, the default); the shipped files hold X -> English rows (``target_to_en`` uses them as shipped);
``both`` trains every pair in both directions (the paper's Table 20 ablation).
``en_to_target`` swaps each row's input and answer and swaps the two language names in its instruction
("...the following German expression into English" -> "...the following English expression into German"), keeping
the authors' paraphrases.

Prompts are rendered with :func:`xlfact.tasks.clika.prompts.render_fictional_prompt`, the function the
``clika_fictional_<x>`` task prompts with, so tuning and testing use the same template (``fictional.template``:
``alpaca``, the authors', or ``plain``). The authors' hyperparameters: LoRA r=128, alpha=16, dropout 0.1, lr 2e-4,
3 epochs (``training/configs/fictional_clika.yaml``).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from xlfact.core.jsonl import read_jsonl
from xlfact.tasks.clika.prompts import FICTIONAL_TEMPLATES, render_fictional_prompt
from xlfact.tasks.clika.spec import CLIKA_DIR_ENV, LANGUAGE_NAMES
from xlfact.training import arguments, checkpoints, model_io
from xlfact.training.config import RecipeError, recipe_seed, typed_section
from xlfact.training.schema import FictionalData, FictionalSection

log = logging.getLogger(__name__)

DIRECTIONS = ("en_to_target", "target_to_en", "both")


def train_file(clika_dir: str | os.PathLike | None, lang: str) -> Path:
    """``<clika_dir>/fictional/train/<LANG>.json`` (the repository's upper-case file names)."""
    chosen = clika_dir or os.environ.get(CLIKA_DIR_ENV)
    if not chosen:
        raise RecipeError(f"CLiKA fictional data: set data.clika_dir (a clone of github.com/RiverGao/CLiKA) "
                          f"or {CLIKA_DIR_ENV}")
    path = Path(chosen) / "fictional" / "train" / f"{lang.upper()}.json"
    if not path.is_file():
        raise RecipeError(f"CLiKA fictional training file {path} not found (fictional.lang={lang!r})")
    return path


def swap_language_names(instruction: str, target: str, where: str) -> str:
    """Swap ``target`` and ``English`` in a translation instruction (X->EN wording becomes EN->X)."""
    if target not in instruction or "English" not in instruction:
        raise RecipeError(f"{where}: translation instruction {instruction!r} does not name both {target} and "
                          "English; cannot reverse its direction (use fictional.translation_direction=target_to_en)")
    marker = "\x00"
    return instruction.replace(target, marker).replace("English", target).replace(marker, "English")


def read_pairs(path: Path, lang: str, direction: str, template: str) -> tuple[list[dict[str, str]], dict[str, int]]:
    """Prompt/completion pairs of one CLiKA training file, and counts per kind of row."""
    if direction not in DIRECTIONS:
        raise RecipeError(f"fictional.translation_direction {direction!r}: expected one of {DIRECTIONS}")
    if template not in FICTIONAL_TEMPLATES:
        raise RecipeError(f"fictional.template {template!r}: expected one of {FICTIONAL_TEMPLATES}")
    target = LANGUAGE_NAMES.get(lang)
    if target is None:
        raise RecipeError(f"fictional.lang {lang!r}: CLiKA targets are {sorted(LANGUAGE_NAMES)}")
    pairs: list[dict[str, str]] = []
    counts = {"qa": 0, "translation": 0}
    for row_no, raw in read_jsonl(path, error=RecipeError):
        where = f"{path} row {row_no}"
        for field in ("prompt", "answer"):
            if not isinstance(raw.get(field), str) or not raw[field].strip():
                raise RecipeError(f"{where}: field {field!r} is missing or empty; expected text")
        instruction, extra, answer = raw["prompt"], raw.get("input") or "", raw["answer"]
        if extra:
            counts["translation"] += 1
            if direction == "both":  # CLiKA Table 20: each translation pair in both directions
                pairs.append({"prompt": render_fictional_prompt(instruction, extra, template), "completion": answer})
            if direction in ("en_to_target", "both"):
                instruction, extra, answer = swap_language_names(instruction, target, where), answer, extra
        else:
            counts["qa"] += 1
        pairs.append({"prompt": render_fictional_prompt(instruction, extra, template), "completion": answer})
    if not pairs:
        raise RecipeError(f"{path}: no training rows")
    return pairs, counts


def training_arguments(config: dict[str, Any]):
    """The ``trl.SFTConfig`` of a fictional-tuning recipe (built before anything is loaded)."""
    from trl import SFTConfig

    return arguments.build(SFTConfig, config, {"completion_only_loss": True})


def run(config: dict[str, Any]) -> dict[str, Any]:
    """Tune on one target language's fictional data with TRL's SFTTrainer; writes the run folder."""
    import datasets
    from transformers import set_seed
    from trl import SFTTrainer

    seed = recipe_seed(config)
    set_seed(seed)
    args = training_arguments(config)
    model_io.check_local_paths(config)
    fict = typed_section(config, "fictional", FictionalSection)
    data = typed_section(config, "data", FictionalData)
    lang = fict.lang
    if not lang:
        raise RecipeError("fictional.lang is required (xlfact train fictional --lang de ...)")
    path = train_file(data.clika_dir, lang)
    direction = fict.translation_direction
    pairs, counts = read_pairs(path, lang, direction, fict.template)
    if data.max_rows and data.max_rows < len(pairs):
        # An evenly spaced subset keeps every kind of row (the file is ordered English QA, target QA, translations).
        step = len(pairs) / data.max_rows
        pairs = [pairs[int(i * step)] for i in range(data.max_rows)]
    dataset = datasets.Dataset.from_list(pairs)
    tokenizer = model_io.load_tokenizer(config["model"])
    trainer = SFTTrainer(model=model_io.load_model(config["model"]), args=args, train_dataset=dataset,
                         processing_class=tokenizer, peft_config=model_io.lora_config(config.get("lora")),
                         callbacks=checkpoints.callbacks(config, tokenizer))
    described = {"file": str(path), "sha256": model_io.file_sha256(path), "lang": lang,
                 "translation_direction": direction, "rows": counts,
                 "pairs_used": len(pairs), "template": fict.template}
    return model_io.train_and_save(trainer, tokenizer, config, described, lambda: model_io.logged_losses(trainer))

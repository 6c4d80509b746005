"""``xlfact train {sft,grpo,cpt,fictional} --config recipe.yaml [key=value ...]``.

Reads a recipe (a file, or the name of a shipped config in ``training/configs/``), applies the overrides, trains, and
writes the run folder (merged checkpoint + ``adapter/`` + model card + ``recipe.yaml``; see
:mod:`xlfact.training.model_io`). Under ``accelerate launch`` or ``torchrun`` every process runs this same command.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import sys

from xlfact.core.values import ArgumentParser
from xlfact.training.config import RECIPES, RecipeError, load_recipe
from xlfact.training.host_memory import return_freed_blocks_on_cpu
from xlfact.training.model_io import preflight

MODULES = {name: f"xlfact.training.{name}" for name in RECIPES}
HELP = {
    "sft": "SFT with the cross-lingual consistency KL (transformers.Trainer subclass)",
    "grpo": "multilingual GRPO with the all-languages rollout reward (trl.GRPOTrainer)",
    "cpt": "continued pretraining on packed multilingual parallel text (transformers.Trainer)",
    "fictional": "CLiKA fictional-knowledge tuning, prompt/completion pairs (trl.SFTTrainer)",
}


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(
        prog="xlfact train",
        description="Train a checkpoint with one of xlfact's recipes. Reads the recipe YAML (and the data it names); "
                    "writes output_dir: the merged checkpoint (loadable by lm_eval pretrained=DIR), adapter/ "
                    "(LoRA), README.md (model card) and recipe.yaml.",
    )
    sub = parser.add_subparsers(dest="recipe", required=True,
                                metavar="{" + ",".join(RECIPES) + ",conductivity,build-corpus}")
    sub.add_parser("build-corpus", help="the PolyFact paper's CPT sources (TED2025, Samanantar en-bn, Rogendo en-sw) "
                                        "as one parallel JSONL (xlfact train build-corpus --help)", add_help=False)
    sub.add_parser("conductivity", help="CLiKA conductivity sweep: tune + evaluate per language, XRR table "
                                        "(xlfact train conductivity --help)", add_help=False)
    for name in RECIPES:
        p = sub.add_parser(name, help=HELP[name], description=HELP[name])
        p.add_argument("--config", required=True, help="recipe YAML, or the name of a shipped config")
        if name == "fictional":
            p.add_argument("--lang", help="target language (shortcut for fictional.lang=LANG)")
        p.add_argument("--dry_run", action="store_true",
                       help="check the recipe (every key and type, the local paths), build the trainer arguments and "
                            "the LoRA config, print the effective recipe, and load no model or data")
        p.add_argument("--dry-run", dest="dry_run", action="store_true", help=argparse.SUPPRESS)  # old spelling
        p.add_argument("overrides", nargs="*", help="dotted key=value overrides, e.g. training.learning_rate=1e-4")
    return parser


def dry_run_report(config: dict, trainer_args) -> str:
    """The effective recipe and the trainer's arguments as YAML (what ``--dry-run`` prints)."""
    import yaml

    from xlfact.training.config import public_view
    from xlfact.training.model_io import effective_trainer_arguments

    body = {"recipe_file": config["_source"], "overrides": config["_overrides"],
            "effective_recipe": public_view(config),
            f"trainer_arguments ({type(trainer_args).__name__})": effective_trainer_arguments(trainer_args)}
    not_checked = "".join(f"# not checked here: {line}\n" for line in config.get("_not_checked", []))
    return "# xlfact train --dry-run: all checks passed; nothing was loaded\n" + not_checked + yaml.safe_dump(
        body, sort_keys=False, allow_unicode=True)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["conductivity"]:
        from xlfact.training.conductivity import main as conductivity

        return conductivity(argv[1:])
    if argv[:1] == ["build-corpus"]:
        from xlfact.training.parallel_sources import main as build_corpus

        return build_corpus(argv[1:])
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    overrides = list(args.overrides)
    if getattr(args, "lang", None):
        overrides.append(f"fictional.lang={args.lang}")
    try:
        config = load_recipe(args.config, overrides, expect=args.recipe)
        module = importlib.import_module(MODULES[args.recipe])
        config["_dry_run"] = args.dry_run  # device checks only the target can pass are skipped (and listed)
        trainer_args = preflight(module, config)
        if args.dry_run:
            print(dry_run_report(config, trainer_args))
            return 0
        return_freed_blocks_on_cpu(trainer_args)
        metrics = module.run(config)
    except RecipeError as err:
        print(f"xlfact train {args.recipe}: {err}", file=sys.stderr)
        return 2
    print(json.dumps({"output_dir": str(config["output_dir"]), **metrics}, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""CLiKA conductivity, the whole per-language sweep behind the paper's Tables 4/8 in one command.

``xlfact train conductivity --config fictional_clika --langs de,ja,... --out DIR [key=value ...]``, for each target
language X in turn:

1. tune the base model on CLiKA's ``fictional/train/<X>.json`` with the recipe (``xlfact train fictional --lang X``;
   the merged checkpoint goes to ``DIR/<X>/model``);
2. evaluate it with lm-eval on ``clika_fictional_en``, ``clika_fictional_<x>`` and ``clika_translate_<x>``
   (in-process, ``--log_samples``; written to ``DIR/<X>/eval/``);
3. check the paper's convergence rule — above 90% on the translation checks and on the question types that were
   trained (English: every relation; X: the type-0 relations) — and record XRR(X) = max(n_enX / n_en - 0.05, 0)
   over the type-1 relations (trained in English only).

The XRR table (``DIR/conductivity.json`` and ``conductivity.md``) has one row per language with XRR, the four
accuracies and whether the run converged; a language whose folder is complete is not trained or evaluated again, so
an interrupted sweep resumes. Numbers of a run that did not converge are reported but marked, as the paper only reads
XRR once the tuning has taken.
"""

from __future__ import annotations

import argparse
import logging
import math
import sys
from pathlib import Path
from typing import Any

from xlfact.core.atomic import write_json_atomic, write_text_atomic
from xlfact.core.jsonl import read_json
from xlfact.core.values import ArgumentParser
from xlfact.training.config import RecipeError, load_recipe
from xlfact.training.host_memory import return_freed_blocks_on_cpu
from xlfact.training.model_io import preflight

log = logging.getLogger(__name__)

CONVERGED_ABOVE = 0.9
RESULT_FILE = "conductivity_eval.json"


def evaluate(model_dir: Path, lang: str, clika_dir: str | None, out_dir: Path, *, batch_size: int = 32,
             device: str = "cpu", limit: int | None = None) -> dict[str, float]:
    """The four figures of one tuned model (lm-eval in-process) and XRR; writes them and the samples to ``out_dir``."""
    import lm_eval.evaluator
    from lm_eval.tasks import TaskManager

    import xlfact.tasks

    metadata = {"clika_dir": clika_dir} if clika_dir else {}
    manager = TaskManager(include_path=str(xlfact.tasks.tasks_dir()), include_defaults=False, metadata=metadata)
    tasks = ["clika_fictional_en", f"clika_fictional_{lang}", f"clika_translate_{lang}"]
    out = lm_eval.evaluator.simple_evaluate(model="hf", model_args=f"pretrained={model_dir}", tasks=tasks,
                                            task_manager=manager, batch_size=batch_size, device=device, limit=limit,
                                            log_samples=True)
    results = out["results"]
    figures = {
        "en_acc": results["clika_fictional_en"]["acc,none"],
        "x_acc_type0": results[f"clika_fictional_{lang}"]["acc_type0,none"],
        "x_acc_type1": results[f"clika_fictional_{lang}"]["acc_type1,none"],
        "translate_acc": results[f"clika_translate_{lang}"]["acc,none"],
        "xrr": results[f"clika_fictional_{lang}"]["xrr,none"],
    }
    figures = {k: (None if isinstance(v, float) and math.isnan(v) else float(v)) for k, v in figures.items()}
    figures["converged"] = converged(figures)
    samples = {task: [{"doc_id": s.get("doc_id"), "resps": s.get("filtered_resps"), "acc": s.get("acc")}
                      for s in out["samples"][task]] for task in tasks}
    out_dir.mkdir(parents=True, exist_ok=True)
    write_json_atomic(out_dir / "samples.json", samples)
    write_json_atomic(out_dir / RESULT_FILE, figures)
    return figures


def converged(figures: dict[str, Any]) -> bool:
    """The paper's rule: above 90% on the translation checks and on every trained question type."""
    trained = (figures.get("translate_acc"), figures.get("en_acc"), figures.get("x_acc_type0"))
    return all(value is not None and value > CONVERGED_ABOVE for value in trained)


def xrr_table(rows: dict[str, dict[str, Any]]) -> str:
    """Markdown table of a sweep (one row per language)."""
    def cell(value: Any) -> str:
        if isinstance(value, bool):
            return "yes" if value else "**no**"
        return "n/a" if value is None else f"{100 * value:.1f}"

    lines = ["| lang | XRR | en acc | X acc type 0 | X acc type 1 | translation acc | converged (> 90%) |",
             "|---|---|---|---|---|---|---|"]
    for lang, r in rows.items():
        lines.append(f"| {lang} | {cell(r['xrr'])} | {cell(r['en_acc'])} | {cell(r['x_acc_type0'])} | "
                     f"{cell(r['x_acc_type1'])} | {cell(r['translate_acc'])} | {cell(r['converged'])} |")
    return "\n".join(lines) + "\n"


def sweep(config: str, langs: list[str], out: Path, overrides: list[str], *, batch_size: int = 32,
          device: str = "cpu", limit: int | None = None) -> dict[str, dict[str, Any]]:
    """Tune, evaluate and check each language; returns ``{lang: figures}`` and writes the XRR table."""
    from xlfact.training import fictional  # imports TRL (seconds): only a sweep that runs pays for it

    configs = {}
    for lang in langs:  # every recipe is checked before the first model loads
        recipe = load_recipe(config, [*overrides, f"fictional.lang={lang}", f"output_dir={out / lang / 'model'}"],
                             expect="fictional")
        trainer_args = preflight(fictional, recipe)
        configs[lang] = recipe
    if configs:
        return_freed_blocks_on_cpu(trainer_args)  # the tuning runs of this process, as `xlfact train` does
    rows: dict[str, dict[str, Any]] = {}
    for lang, recipe in configs.items():
        model_dir, eval_dir = out / lang / "model", out / lang / "eval"
        if (eval_dir / RESULT_FILE).is_file():
            rows[lang] = read_json(eval_dir / RESULT_FILE, error=RecipeError,
                                   hint="delete it to evaluate this language again")
            log.info("conductivity %s: already evaluated (%s)", lang, eval_dir)
            continue
        if not (model_dir / "README.md").is_file():
            fictional.run(recipe)
        rows[lang] = evaluate(model_dir, lang, recipe["data"].get("clika_dir"), eval_dir, batch_size=batch_size,
                              device=device, limit=limit)
        log.info("conductivity %s: %s", lang, rows[lang])
    write_json_atomic(out / "conductivity.json", {"config": config, "overrides": overrides, "languages": rows})
    write_text_atomic(out / "conductivity.md", xrr_table(rows))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = ArgumentParser(
        prog="xlfact train conductivity",
        description="CLiKA conductivity sweep: per target language, tune on the fictional data, evaluate "
                    "clika_fictional_en / _<x> and clika_translate_<x>, check convergence (> 90%), write the XRR "
                    "table. Reads the recipe and CLiKA's fictional/ folder; writes OUT/<lang>/{model,eval}/ and "
                    "OUT/conductivity.{json,md}. Resumes per language.")
    parser.add_argument("--config", default="fictional_clika", help="a fictional recipe (default fictional_clika)")
    parser.add_argument("--langs", required=True, help="comma-separated CLiKA targets, e.g. de,fr,it,pl,ru,ar,he,ja,zh")
    parser.add_argument("--output_path", "--out", dest="out", required=True, type=Path, help="sweep folder")
    parser.add_argument("--batch_size", type=int, default=32, help="lm-eval batch size")
    parser.add_argument("--batch-size", dest="batch_size", type=int, help=argparse.SUPPRESS)  # old spelling
    parser.add_argument("--device", default="cpu", help="lm-eval device (cuda, cpu)")
    parser.add_argument("--limit", type=int, help="evaluate only the first N items per task (smoke runs)")
    parser.add_argument("overrides", nargs="*", help="dotted key=value overrides for every language's recipe")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    langs = [x.strip() for x in args.langs.split(",") if x.strip()]
    try:
        rows = sweep(args.config, langs, args.out, args.overrides, batch_size=args.batch_size, device=args.device,
                     limit=args.limit)
    except RecipeError as err:
        print(f"xlfact train conductivity: {err}", file=sys.stderr)
        return 2
    print(xrr_table(rows))
    return 0

"""The ``xlfact`` command: one entry point, one subcommand per job.

Each subcommand lives in the module that owns the work and exposes ``main(argv) -> int``; this file only dispatches,
importing a module when its subcommand runs, so ``xlfact tasks-dir`` never pays for torch or lm-eval.
"""

from __future__ import annotations

import importlib
import sys

# name -> (module, one-line help). The module's ``main(argv)`` parses its own flags and has its own ``--help``.
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "eval": ("xlfact.harness_cli", "run lm_eval's own CLI with xlfact's tasks folder included (takes lm_eval's flags)"),
    "tasks-dir": ("xlfact.harness_cli", "print the installed tasks folder, for lm_eval --include_path"),
    "report": ("xlfact.evaluators.report", "recompute per-language and cross-lingual metrics from --log_samples files"),
    "demo": ("xlfact.demo", "offline demo: SmolLM2-135M-Instruct on the bundled PolyFact sample, then the report"),
    "train": ("xlfact.training.cli", "train a checkpoint: sft | grpo | cpt | fictional --config recipe.yaml"),
    "leaderboard": ("xlfact.leaderboard.cli", "build a static leaderboard site from lm-eval result folders"),
    "compare": ("xlfact.leaderboard.compare", "release gate: significance-tested comparison against a baseline run"),
    "trace": ("xlfact.leaderboard.trace", "evaluate a series of checkpoints and plot knowledge over training"),
    "frequency": ("xlfact.analysis.tracing.counting", "count fact frequencies in a corpus with infini-gram"),
    "build": ("xlfact.builders.cli", "build a benchmark from your own corpus: adaxeval (LLM-made MCQ, four steps)"),
    "make-task": ("xlfact.builders.make_task", "turn a multiple-choice JSONL into an lm-eval task folder"),
}

ENTRY_POINTS = {"eval": "eval_main", "tasks-dir": "tasks_dir_main"}


def _usage() -> str:
    width = max(len(name) for name in SUBCOMMANDS)
    lines = ["usage: xlfact <command> [options]", "", "commands:"]
    lines += [f"  {name.ljust(width)}  {help_}" for name, (_, help_) in SUBCOMMANDS.items()]
    lines += ["", "Run 'xlfact <command> --help' for a command's options."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in {"-h", "--help", "help"}:
        print(_usage())
        return 0
    if argv[0] == "--version":
        from xlfact import __version__

        print(__version__)
        return 0
    name, rest = argv[0], argv[1:]
    if name not in SUBCOMMANDS:
        print(f"xlfact: unknown command {name!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    module = importlib.import_module(SUBCOMMANDS[name][0])
    entry = getattr(module, ENTRY_POINTS.get(name, "main"))
    result = entry(rest)
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())

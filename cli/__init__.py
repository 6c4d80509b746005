"""The ``xlfact`` command: one entry point, one subcommand per job.

Each subcommand lives in the module that owns the work and exposes ``main(argv) -> int``; this file only dispatches,
importing a module when its subcommand runs, so ``xlfact tasks-dir`` never pays for torch or lm-eval.

Bad input ends the same way in every command: the :class:`xlfact.errors.XlfactError` (or missing file) behind the
failure is printed as one line, ``xlfact <command>: <file> row <n>: <field> ...``, and the exit status is 2. With
``--debug`` (anywhere on the command line) or ``XLFACT_DEBUG=1`` the traceback is shown instead.
"""

from __future__ import annotations

import importlib
import os
import sys

from xlfact.core.metadata import parse_metadata  # noqa: F401 - xlfact.cli.parse_metadata, the old home
from xlfact.errors import EXIT_BAD_INPUT, find_xlfact_error, one_line

# name -> (module, one-line help). The module's ``main(argv)`` parses its own flags and has its own ``--help``.
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "eval": ("xlfact.cli.eval", "run lm_eval's own CLI with xlfact's tasks folder included (takes lm_eval's flags)"),
    "tasks-dir": ("xlfact.cli.eval", "print the installed tasks folder, for lm_eval --include_path"),
    "report": ("xlfact.cli.report", "recompute per-language and cross-lingual metrics from --log_samples files"),
    "demo": ("xlfact.cli.demo", "offline demo: SmolLM2-135M-Instruct on the bundled PolyFact sample, then the report"),
    "train": ("xlfact.training.cli", "train a checkpoint: sft | grpo | cpt | fictional --config recipe.yaml"),
    "leaderboard": ("xlfact.leaderboard.cli", "build a static leaderboard site from lm-eval result folders"),
    "compare": ("xlfact.gate.compare", "release gate: significance-tested comparison against a baseline run"),
    "trace": ("xlfact.analysis.tracing.command", "evaluate a series of checkpoints and plot knowledge over training"),
    "frequency": ("xlfact.analysis.tracing.counting", "count fact frequencies in a corpus with infini-gram"),
    "analyze": ("xlfact.analysis.mechanistic.cli",
                "mechanistic analyses: logit-lens | lape | lahis | failures | compare (PolyFact paper)"),
    "build": ("xlfact.builders.cli", "build a benchmark from your own corpus: adaxeval (LLM-made MCQ, four steps)"),
    "make-task": ("xlfact.builders.make_task", "turn a multiple-choice JSONL into an lm-eval task folder"),
}

ENTRY_POINTS = {"eval": "eval_main", "tasks-dir": "tasks_dir_main"}


def _usage() -> str:
    width = max(len(name) for name in SUBCOMMANDS)
    lines = ["usage: xlfact <command> [options]", "", "commands:"]
    lines += [f"  {name.ljust(width)}  {help_}" for name, (_, help_) in SUBCOMMANDS.items()]
    lines += ["", "Run 'xlfact <command> --help' for a command's options. Bad input: one line naming file, row and",
              "field, exit status 2 (--debug: show the traceback)."]
    return "\n".join(lines)


def bad_input(err: BaseException) -> BaseException | None:
    """The user-fixable error behind ``err`` (an XlfactError, or a file that is missing or unreadable), or None."""
    found = find_xlfact_error(err)
    if found is not None:
        return found
    seen: set[int] = set()
    while err is not None and id(err) not in seen:
        if isinstance(err, (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError)):
            return err
        seen.add(id(err))
        err = err.__cause__ or err.__context__
    return None


def run_command(name: str, entry, argv: list[str], *, debug: bool = False) -> int:
    """Run one subcommand; bad input becomes one line on stderr and exit status 2 (the traceback with ``debug``)."""
    try:
        return int(entry(argv) or 0)
    except Exception as err:  # noqa: BLE001 - sorted into bad input (exit 2) or re-raised
        found = bad_input(err)
        if found is None or debug:
            raise
        print(f"xlfact {name}: {one_line(found)}", file=sys.stderr)
        return EXIT_BAD_INPUT


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv or os.environ.get("XLFACT_DEBUG", "") not in {"", "0"}
    argv = [a for a in argv if a != "--debug"]
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
    return run_command(name, entry, rest, debug=debug)


if __name__ == "__main__":
    sys.exit(main())

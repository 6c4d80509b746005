"""``xlfact eval`` and ``xlfact tasks-dir``: lm-eval's own CLI with xlfact's tasks folder included.

lm-eval 0.4.13 discovers tasks only in its own folder and in ``--include_path``; there is no plugin entry point. So
``xlfact eval`` parses exactly lm_eval's flags with lm_eval's own parser, adds this package's tasks folder to the
include path (keeping a user's own ``--include_path`` too) and hands the parsed arguments back to lm_eval. Nothing of
lm_eval's CLI is re-implemented, so every lm_eval flag and its ``--help`` work unchanged. It also imports
:mod:`xlfact.models`, which registers ``--model xlfact-hf``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from xlfact.tasks import tasks_dir

LM_EVAL_COMMANDS = {"run", "ls", "validate"}


def tasks_dir_main(argv: list[str] | None = None) -> int:
    """Print the tasks folder, for ``lm_eval --include_path "$(xlfact tasks-dir)"``."""
    if argv and argv[0] in {"-h", "--help"}:
        print("usage: xlfact tasks-dir\n\nPrint the installed xlfact tasks folder (pass it to lm_eval --include_path).")
        return 0
    print(tasks_dir())
    return 0


def with_xlfact_tasks(include_path: str | list | None) -> list[str]:
    """The include path lm_eval should scan: xlfact's tasks first, then whatever the user asked for."""
    paths = [str(tasks_dir())]
    if include_path:
        extra = include_path if isinstance(include_path, (list, tuple)) else [include_path]
        paths += [str(p) for p in extra if str(p) != paths[0]]
    return paths


def requested_names(tasks: str | list | None) -> list[str]:
    """``--tasks`` as lm_eval splits it: one string or several, each comma-separated."""
    if not tasks:
        return []
    return [name for task in ([tasks] if isinstance(tasks, str) else tasks) for name in str(task).split(",") if name]


def resolves_without_builtins(names: list[str], include_path: list[str]) -> bool:
    """Whether every name (and, for a group, every member, recursively) is indexed from ``include_path`` alone."""
    from lm_eval.tasks import TaskManager

    index = TaskManager(include_path=include_path, include_defaults=False).task_index

    def resolves(name: str, seen: frozenset[str]) -> bool:
        entry = index.get(name)
        if entry is None or name in seen:
            return entry is not None
        members = entry.cfg.get("task", []) if entry.kind.name == "GROUP" else []
        return all(isinstance(m, dict) or resolves(str(m), seen | {name}) for m in members)

    return bool(names) and all(resolves(name, frozenset()) for name in names)


@contextmanager
def without_builtin_tasks() -> Iterator[None]:
    """Within this block, lm_eval's task managers index the include path only (see the module docstring)."""
    import lm_eval.tasks as lm_eval_tasks

    original = lm_eval_tasks.TaskManager

    class IncludePathTaskManager(original):  # type: ignore[misc, valid-type]
        def __init__(self, *args, **kwargs):
            kwargs["include_defaults"] = False
            super().__init__(*args, **kwargs)

    lm_eval_tasks.TaskManager = IncludePathTaskManager
    try:
        yield
    finally:
        lm_eval_tasks.TaskManager = original


def eval_main(argv: list[str] | None = None) -> int:
    """Run ``lm_eval run`` (or ``ls`` / ``validate``) with xlfact's tasks on the include path."""
    from lm_eval._cli import HarnessCLI
    from lm_eval.utils import setup_logging

    import xlfact.models  # noqa: F401 - registers --model xlfact-hf (lm-eval 0.4.13 reads no entry points)

    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in LM_EVAL_COMMANDS:
        argv = ["run", *argv]
    setup_logging()
    cli = HarnessCLI()
    args = cli._parser.parse_args(argv)  # lm_eval's own parser and flags
    if hasattr(args, "include_path"):
        args.include_path = with_xlfact_tasks(args.include_path)
    if argv[0] == "run" and resolves_without_builtins(requested_names(getattr(args, "tasks", None)),
                                                      args.include_path):
        with without_builtin_tasks():
            cli.execute(args)
    else:
        cli.execute(args)
    return 0

"""The commands users type: ``xlfact tasks-dir``, ``lm_eval --include_path``, ``xlfact eval``, and the help texts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from xlfact.cli import SUBCOMMANDS, main

BIN = Path(sys.executable).parent


def run(args, **kwargs):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.run(args, capture_output=True, text=True, env=env, timeout=600, **kwargs)


def test_tasks_dir_prints_the_installed_folder():
    out = run([str(BIN / "xlfact"), "tasks-dir"])
    assert out.returncode == 0
    folder = Path(out.stdout.strip())
    assert (folder / "polyfact" / "_polyfact_template_yaml").exists()


def test_every_subcommand_has_help(capsys):
    assert main(["--help"]) == 0
    listing = capsys.readouterr().out
    for name in SUBCOMMANDS:
        assert name in listing
    with pytest.raises(SystemExit) as exit_:
        main(["report", "--help"])
    assert exit_.value.code == 0
    assert "samples_<task>_<date>.jsonl" in capsys.readouterr().out


def test_unknown_command_fails_with_usage(capsys):
    assert main(["evaluate"]) == 2
    assert "unknown command" in capsys.readouterr().err


def test_task_names_do_not_collide_with_lm_eval_builtins():
    from lm_eval.tasks import TaskManager

    from xlfact.tasks import tasks_dir

    ours = TaskManager(include_path=str(tasks_dir()), include_defaults=False).all_tasks
    builtin = set(TaskManager().all_tasks)
    assert ours and not set(ours) & builtin


@pytest.mark.slow
@pytest.mark.parametrize("how", ["lm_eval", "xlfact"])
def test_both_entry_points_print_per_language_accuracy_and_consistency(how, tiny_model_dir, polyfact_fixture_dir,
                                                                        tmp_path):
    tasks_dir = run([str(BIN / "xlfact"), "tasks-dir"]).stdout.strip()
    common = [
        "--model", "hf", "--model_args", f"pretrained={tiny_model_dir},dtype=float32", "--tasks",
        "polyfact_en,polyfact_de", "--device", "cpu", "--batch_size", "8",
        "--metadata", json.dumps({"data_dir": str(polyfact_fixture_dir)}), "--output_path", str(tmp_path),
        "--log_samples",
    ]
    if how == "lm_eval":
        out = run([str(BIN / "lm_eval"), "--include_path", tasks_dir, *common])
    else:
        out = run([str(BIN / "xlfact"), "eval", *common])
    assert out.returncode == 0, out.stderr[-3000:]
    for text in ("polyfact_de", "acc", "total_consistency", "rankc", "en_co"):
        assert text in out.stdout, text
    assert list(tmp_path.rglob("samples_polyfact_de_*.jsonl"))


def test_user_include_path_is_kept_beside_ours(tmp_path):
    from xlfact.cli.eval import with_xlfact_tasks
    from xlfact.tasks import tasks_dir

    assert with_xlfact_tasks(None) == [str(tasks_dir())]
    assert with_xlfact_tasks(str(tmp_path)) == [str(tasks_dir()), str(tmp_path)]
    assert with_xlfact_tasks([str(tasks_dir())]) == [str(tasks_dir())]


def test_eval_skips_lm_eval_builtin_index_only_when_every_name_is_ours(tmp_path, monkeypatch):
    """``xlfact eval`` indexes the include path alone when every task and group member is there; not otherwise."""
    import lm_eval.tasks as lm_eval_tasks
    from lm_eval import _cli

    from xlfact.cli.eval import eval_main, requested_names, resolves_without_builtins, with_xlfact_tasks

    assert requested_names(["polyfact_en,polyfact_de", "klar_en"]) == ["polyfact_en", "polyfact_de", "klar_en"]
    ours = with_xlfact_tasks(None)
    assert resolves_without_builtins(["polyfact_all", "klar_en"], ours)
    assert not resolves_without_builtins(["polyfact_all", "hellaswag"], ours)
    assert not resolves_without_builtins([], ours)
    group = tmp_path / "my_mix.yaml"
    group.write_text("group: my_mix\ntask:\n  - polyfact_en\n  - hellaswag\n")  # a member is lm-eval's own
    assert not resolves_without_builtins(["my_mix"], with_xlfact_tasks(str(tmp_path)))
    group.write_text("group: my_mix\ntask:\n  - polyfact_en\n")
    assert resolves_without_builtins(["my_mix"], with_xlfact_tasks(str(tmp_path)))

    original, indexed = lm_eval_tasks.TaskManager, []

    def execute(self, args):  # what lm_eval's run would index, without running anything
        indexed.append(set(lm_eval_tasks.TaskManager(include_path=args.include_path).all_tasks))

    monkeypatch.setattr(_cli.HarnessCLI, "execute", execute)
    eval_main(["--model", "hf", "--tasks", "polyfact_en"])
    eval_main(["--model", "hf", "--tasks", "polyfact_en,arc_easy"])
    assert "polyfact_en" in indexed[0] and "arc_easy" not in indexed[0]
    assert {"polyfact_en", "arc_easy"} <= indexed[1]
    assert lm_eval_tasks.TaskManager is original

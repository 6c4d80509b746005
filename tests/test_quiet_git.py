"""lm-eval records the git hash of the working folder at every evaluation; outside a repository its own call left
"fatal: not a git repository" on the terminal once per checkpoint of ``xlfact trace``. Ours is silent, same value."""

from __future__ import annotations

import shutil

import pytest

from xlfact.tasks.evaluate import git_commit_hash, quiet_git


def test_outside_a_repository_nothing_is_printed(tmp_path, monkeypatch, capfd):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    assert git_commit_hash() is None
    assert capfd.readouterr().err == ""


def test_inside_a_repository_the_value_is_lm_evals(monkeypatch):
    from pathlib import Path

    from lm_eval.loggers.utils import get_git_commit_hash

    monkeypatch.chdir(Path(__file__).resolve().parent)
    assert git_commit_hash() == get_git_commit_hash()


def test_quiet_git_swaps_lm_evals_lookup_only_inside_the_block():
    import lm_eval.evaluator as evaluator

    original = evaluator.get_git_commit_hash
    with quiet_git():
        assert evaluator.get_git_commit_hash is git_commit_hash
    assert evaluator.get_git_commit_hash is original

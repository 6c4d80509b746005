"""``xlfact demo``'s options, checked without a model: a fresh folder per run, a named folder that is not empty
refused before any work, and the user's thread count kept."""

from __future__ import annotations

import pytest

from xlfact.cli.demo import checked_output_path, demo_threads, new_run_dir
from xlfact.errors import UsageError


def test_each_run_gets_a_new_folder(tmp_path):
    first, second = new_run_dir(tmp_path), new_run_dir(tmp_path)
    assert first != second and first.is_dir() and second.is_dir()
    assert list(first.iterdir()) == [] and first.parent == tmp_path


def test_named_output_path_must_be_new_or_empty(tmp_path):
    assert checked_output_path(str(tmp_path / "new")).is_dir()
    assert checked_output_path(str(tmp_path / "new")) == tmp_path / "new"  # empty: fine
    (tmp_path / "new" / "results_2026.json").write_text("{}")
    with pytest.raises(UsageError, match="not an empty folder"):
        checked_output_path(str(tmp_path / "new"))
    assert (tmp_path / "new" / "results_2026.json").read_text() == "{}"


def test_user_thread_count_is_kept():
    assert demo_threads({"OMP_NUM_THREADS": "3", "XLFACT_DEMO_THREADS": "5"}) == "3"
    assert demo_threads({"XLFACT_DEMO_THREADS": "5"}) == "5"
    assert demo_threads({}).isdigit()

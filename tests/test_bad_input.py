"""Bad input ends the same way in every command: one line naming file, row and field, exit status 2, nothing lost;
``--debug`` shows the traceback. Also the shared flag vocabulary (``--metadata`` as JSON or key=value)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from xlfact.cli import main as xlfact
from xlfact.cli import parse_metadata
from xlfact.cli.demo import offline_environment
from xlfact.errors import DataError, RunError, UsageError, XlfactError, find_xlfact_error
from xlfact.tasks.clika.data import ClikaDataError, load_items


def test_error_family():
    from xlfact.core.runs import RunError as ReaderError
    from xlfact.tasks.clika.data import ClikaDataError
    from xlfact.tasks.global_mmlu.data import GlobalMMLUDataError
    from xlfact.tasks.klar.data import KlarDataError
    from xlfact.tasks.polyfact.data import PolyFactDataError
    from xlfact.training.config import RecipeError

    assert ReaderError is RunError
    for cls in (PolyFactDataError, ClikaDataError, KlarDataError, GlobalMMLUDataError):
        assert issubclass(cls, DataError) and issubclass(cls, ValueError)
    assert issubclass(RecipeError, XlfactError) and issubclass(UsageError, XlfactError)
    try:
        try:
            raise PolyFactDataError("f.jsonl row 3: option_c is empty")
        except PolyFactDataError as inner:
            raise RuntimeError("wrapped by a harness") from inner
    except RuntimeError as outer:
        assert str(find_xlfact_error(outer)) == "f.jsonl row 3: option_c is empty"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("data_dir=/data/pf", {"data_dir": "/data/pf"}),
        ('{"data_dir": "/data/pf", "on_invalid": "skip"}', {"data_dir": "/data/pf", "on_invalid": "skip"}),
        ("data_dir=/d,limit=3,clean=True,ratio=0.5", {"data_dir": "/d", "limit": 3, "clean": True, "ratio": 0.5}),
        ("", {}),
    ],
)
def test_metadata_takes_json_or_key_value(text, expected):
    """Before: `xlfact trace --metadata data_dir=DIR` failed with "not valid JSON" while `xlfact eval` took it."""
    assert parse_metadata(text) == expected


@pytest.mark.parametrize("text", ["{not json", "data_dir", "=x", "[1, 2]"])
def test_bad_metadata_is_a_usage_error(text):
    with pytest.raises(UsageError, match="--metadata"):
        parse_metadata(text)


def test_trace_reads_key_value_metadata(tmp_path, capsys):
    """The trace parses --metadata before it evaluates anything: key=value is accepted (a missing checkpoint folder
    is then the first error), and a malformed value is one line, exit 2."""
    code = xlfact(["trace", "--model", "hf", "--model_args", "dtype=float32", "--checkpoints", str(tmp_path / "nope"),
                   "--tasks", "polyfact_en", "--output_path", str(tmp_path / "t"), "--metadata", "data_dir=/x"])
    err = capsys.readouterr().err
    assert code == 2 and "not valid JSON" not in err and "nope" in err
    code = xlfact(["trace", "--model", "hf", "--model_args", "dtype=float32", "--checkpoints", str(tmp_path),
                   "--tasks", "polyfact_en", "--output_path", str(tmp_path / "t"), "--metadata", "data_dir"])
    err = capsys.readouterr().err
    assert code == 2 and "--metadata: 'data_dir' is not key=value" in err and err.count("\n") == 1


def test_clika_non_utf8_names_file_and_row(tmp_path):
    """Before: a bare UnicodeDecodeError naming no file or line."""
    path = tmp_path / "x_copa" / "en" / "test.jsonl"
    path.parent.mkdir(parents=True)
    good = {"label": 0, "id": 501, "premise": "P.", "question": "cause", "choice1": "x", "choice2": "y"}
    bad = json.dumps({**good, "id": 502}).encode().replace(b"P.", b"P\xc3.")
    path.write_bytes(json.dumps(good).encode() + b"\n" + bad + b"\n")
    with pytest.raises(ClikaDataError, match=rf"{path} row 2: not UTF-8"):
        load_items(tmp_path, "xcopa", "en")


@pytest.mark.slow
def test_eval_with_a_bad_data_row_is_one_line_and_exit_2(tmp_path, bundled_polyfact_dir):
    """Before: every data error in `xlfact eval` ended in a ~45-line traceback. lm-eval's dummy model: no weights."""
    data = tmp_path / "data" / "en"
    data.mkdir(parents=True)
    rows = [json.loads(x) for x in (bundled_polyfact_dir / "en" / "test.jsonl").read_text().splitlines()]
    rows[2]["answer_index"] = 1.7
    (data / "test.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    cmd = [sys.executable, "-m", "xlfact.cli", "eval", "--model", "dummy", "--tasks", "polyfact_en", "--limit", "2",
           "--metadata", f"data_dir={tmp_path / 'data'}"]
    env = {**os.environ, **offline_environment(), **_pythonpath()}
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode == 2, done.stderr[-2000:]
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("xlfact eval: ") and f"{data / 'test.jsonl'} row 3" in last and "answer_index 1.7" in last
    assert "Traceback" not in done.stderr


def _pythonpath() -> dict[str, str]:
    import xlfact

    parent = str(Path(xlfact.__file__).resolve().parent.parent)
    return {"PYTHONPATH": os.pathsep.join(filter(None, [parent, os.environ.get("PYTHONPATH", "")]))}

"""Every benchmark reads the hub through :func:`xlfact.core.hub.load_hub_dataset`, and every read states a revision."""

from __future__ import annotations

import ast
import logging
import os
from pathlib import Path

import datasets
import pytest

from xlfact.core.hub import HubLoadError, load_hub_dataset
from xlfact.errors import XlfactError

PACKAGE = Path(__file__).resolve().parents[1]


class _Called(Exception):
    """Raised by the fake ``datasets.load_dataset`` once it has recorded its call."""


@pytest.fixture
def calls(monkeypatch):
    seen: list[tuple[tuple, dict]] = []

    def fake_load_dataset(*args, **kwargs):
        seen.append((args, kwargs))
        raise _Called

    monkeypatch.setattr(datasets, "load_dataset", fake_load_dataset)
    for var in ("XLFACT_DATA_DIR", "XLFACT_POLYFACT_REVISION", "XLFACT_GLOBAL_MMLU_LITE_DIR", "XLFACT_MKQA_FILE",
                "XLFACT_ECLEKTIC_FILE", "XLFACT_MULTILOKO_DIR"):
        monkeypatch.delenv(var, raising=False)
    return seen


def _hub_reads():
    """(benchmark, call that reads its hub data, the revision its spec pins)."""
    from xlfact.tasks.eclektic import data as eclektic
    from xlfact.tasks.global_mmlu import data as global_mmlu
    from xlfact.tasks.global_mmlu.builtin import builtin_dataset
    from xlfact.tasks.mkqa import data as mkqa
    from xlfact.tasks.multiloko import data as multiloko
    from xlfact.tasks.polyfact import data as polyfact
    from xlfact.tasks.polyfact.spec import HUB_REVISIONS

    def global_mmlu_read():
        global_mmlu._load.cache_clear()
        global_mmlu.load_global_mmlu("lite", "sw", hub=builtin_dataset("lite", "sw"))

    return [
        ("polyfact", lambda: polyfact.load_polyfact("de"), HUB_REVISIONS["polyfact"]),
        ("global_mmlu", global_mmlu_read, global_mmlu.HUB_REVISION),
        ("mkqa", lambda: mkqa.load_documents("de"), mkqa.HUB_REVISION),
        ("eclektic", lambda: eclektic.load_documents("de"), eclektic.HUB_REVISION),
        ("multiloko", lambda: multiloko.load_documents("german"), multiloko.HUB_REVISION),
    ]


@pytest.mark.parametrize("index", range(5), ids=["polyfact", "global_mmlu", "mkqa", "eclektic", "multiloko"])
def test_every_benchmark_passes_its_spec_revision(calls, index):
    _, read, pinned = _hub_reads()[index]
    with pytest.raises(HubLoadError):
        read()
    assert calls, "the benchmark did not reach datasets.load_dataset"
    for _, kwargs in calls:
        assert "revision" in kwargs and kwargs["revision"] == pinned


def test_a_revision_given_by_the_user_reaches_the_hub(calls):
    from xlfact.tasks.mkqa import data as mkqa
    from xlfact.tasks.polyfact import data as polyfact

    with pytest.raises(HubLoadError):
        polyfact.load_polyfact("de", revision="v1.0")
    with pytest.raises(HubLoadError):
        mkqa.load_documents("de", revision="abc123")
    assert [kwargs["revision"] for _, kwargs in calls] == ["v1.0", "abc123"]


def test_failure_is_one_line_bad_input_with_the_way_out(monkeypatch, caplog):
    def offline(*args, **kwargs):
        raise ConnectionError("Couldn't reach the hub\nsecond line of a long trace")

    monkeypatch.setattr(datasets, "load_dataset", offline)
    with caplog.at_level(logging.WARNING, logger="xlfact.core.hub"):
        with pytest.raises(XlfactError) as err:
            load_hub_dataset("org/set", "de", split="test", revision=None, benchmark="Toy",
                             offline_hint="Offline, pass --metadata toy_dir=DIR.")
    message = str(err.value)
    assert "\n" not in message
    assert message == ("Toy: could not load org/set (config 'de', split 'test') from the Hugging Face hub: "
                       "Couldn't reach the hub. Offline, pass --metadata toy_dir=DIR.")
    assert isinstance(err.value, RuntimeError)
    assert "latest revision" in caplog.text and "org/set" in caplog.text


def test_revision_is_required():
    with pytest.raises(TypeError, match="revision"):
        load_hub_dataset("org/set", benchmark="Toy", offline_hint="")  # type: ignore[call-arg]


def package_sources() -> list[Path]:
    """The package's own ``.py`` files: never a virtual environment (``.venv``, ``.venv-vllm``) or another hidden
    folder, whose site-packages hold modules of newer Python syntax and take minutes to walk."""
    sources = []
    for folder, subfolders, files in os.walk(PACKAGE):
        subfolders[:] = [name for name in subfolders if not name.startswith(".") and name != "__pycache__"]
        sources += [Path(folder) / name for name in files if name.endswith(".py")]
    return sources


def test_no_other_module_calls_the_hub_directly():
    """``datasets.load_dataset`` outside ``core/hub.py`` only reads local files (a packaged builder + data_files)."""
    offenders = []
    for path in package_sources():
        rel = path.relative_to(PACKAGE)
        if rel.parts[0] in {"tests", "build"} or rel.as_posix() == "core/hub.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "load_dataset" and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == "datasets"
                    and not any(k.arg == "data_files" for k in node.keywords)):
                offenders.append(f"{rel}:{node.lineno}")
    assert not offenders, f"hub reads outside xlfact.core.hub: {offenders}"

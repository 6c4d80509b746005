"""Who produced a row: readable labels, backends and their settings, revision/dtype/parameters for every backend,
one model through two backends shown as such (with agreement), duplicates flagged; the page's CSP allows its one
script and style by hash; CSV cells that a spreadsheet would run are neutralised."""

from __future__ import annotations

import base64
import csv
import hashlib
import json
import re
import shutil
from html import unescape as html_unescape
from pathlib import Path

import pytest

from xlfact.core.formatting import csv_cell
from xlfact.core.runs import load_runs
from xlfact.leaderboard.cli import main as leaderboard_main
from xlfact.leaderboard.identity import (
    LabelError,
    folder_label,
    parse_labels,
    parse_model_args,
    safetensors_parameters,
)
from xlfact.leaderboard.site import render_pages, write_site
from xlfact.leaderboard.table import build_table
from xlfact.tasks.evaluate import evaluate_to_folder, make_task_manager
from xlfact.training.tiny_models import build_tiny_llama

pytestmark = pytest.mark.slow
FORMULA = '=HYPERLINK("http://evil.example","x")'


def vllm_shaped_copy(hf_run: Path, target: Path) -> Path:
    """The same run as lm-eval's vLLM wrapper records it: ``--model vllm``, its own model_args, and none of the
    model facts the hf wrapper adds (size, dtype, revision, sha) — that is what a vLLM results file lacks."""
    shutil.copytree(hf_run, target)
    results = next(target.glob("results_*.json"))
    data = json.loads(results.read_text())
    config = data["config"]
    config["model"] = "vllm"
    config["model_args"] = {**parse_model_args(config["model_args"]), "gpu_memory_utilization": 0.8,
                            "max_model_len": 512}
    for key in ("model_num_parameters", "model_dtype", "model_revision", "model_sha"):
        config.pop(key, None)
    results.write_text(json.dumps(data))
    return target


@pytest.fixture(scope="module")
def runs(tmp_path_factory, polyfact_fixture_dir):
    root = tmp_path_factory.mktemp("identity")
    files = sorted(polyfact_fixture_dir.glob("*/test.jsonl"))
    rows = [json.loads(x) for f in files for x in f.read_text().splitlines()]
    model = build_tiny_llama(root / "sft-run" / "checkpoint-200",
                             [f"Question: {r['question']}\nAnswer: {r['answer_text']}" for r in rows])
    tasks = ["polyfact_en", "polyfact_de"]
    manager = make_task_manager(tasks, metadata={"data_dir": str(polyfact_fixture_dir), "pretrained": str(model)},
                                include_defaults=False)
    hf = evaluate_to_folder(root / "hf", model="hf", model_args=f"pretrained={model},dtype=float32", tasks=tasks,
                            task_manager=manager, batch_size=16, device="cpu")
    vllm = vllm_shaped_copy(hf, root / "vllm" / "model")
    again = root / "hf-again" / "model"
    shutil.copytree(hf, again)
    hostile = root / "formula" / "model"
    shutil.copytree(hf, hostile)
    results = next(hostile.glob("results_*.json"))
    data = json.loads(results.read_text())
    data["model_name"] = FORMULA
    data["config"]["model_args"] = {**parse_model_args(data["config"]["model_args"]), "pretrained": "org/other-model"}
    results.write_text(json.dumps(data))
    return {"model": model, "hf": hf, "vllm": vllm, "again": again, "formula": hostile, "root": root}


def test_one_model_through_two_backends_is_labelled_with_its_backends(runs):
    table = build_table(load_runs([runs["hf"], runs["vllm"]]), n_resamples=20, progress=False)
    rows = {m["meta"]["backend"]: m for m in table["models"]}
    assert set(rows) == {"hf", "vllm"}
    hf, vllm = rows["hf"]["meta"], rows["vllm"]["meta"]
    assert hf["label"] == vllm["label"] == "sft-run/checkpoint-200"  # not the local path
    assert "gpu_memory_utilization=0.8" in vllm["backend_settings"] and "batch_size=16" in hf["backend_settings"]
    # the facts the vLLM results file lacks are read from the checkpoint itself
    assert vllm["parameters"] == hf["parameters"] == safetensors_parameters(runs["model"]) > 0
    assert vllm["dtype"] == hf["dtype"] == "float32" and vllm["revision"] == hf["revision"] == "local"
    (group,) = table["backend_comparisons"]
    assert group["backends"] == ["hf", "vllm"] and group["label"] == "sft-run/checkpoint-200"
    assert group["pairs"][0]["benchmarks"]["polyfact"] == {"agreement": 1.0, "n": 12}
    assert not table["flags"]  # two backends are a comparison, not duplicates
    pages = render_pages(table)
    overview = pages["index.html"]
    cells = re.findall(r'<span class="backend"[^>]*>([^<]+)</span>', overview)
    assert sorted(set(cells)) == ["hf", "vllm"]
    assert 'id="backends"' in overview and "One model, several backends" in overview
    assert any(">vllm</span>" in html and "gpu_memory_utilization" in html for name, html in pages.items()
               if name.startswith("model-"))


def test_duplicate_runs_are_flagged(runs):
    table = build_table(load_runs([runs["hf"], runs["again"], runs["vllm"]]), n_resamples=0, progress=False)
    flagged = [m for m in table["models"] if any(f.startswith("duplicate run") for f in m["flags"])]
    assert sorted(m["meta"]["backend"] for m in flagged) == ["hf", "hf"]
    assert all(m["meta"]["backend"] == "vllm" or m in flagged for m in table["models"])


def test_labels_from_the_command_line(runs, tmp_path, capsys):
    assert parse_labels(["runs/a=My model = v2"]) == {"runs/a": "My model = v2"}
    with pytest.raises(LabelError, match="RUN=NAME"):
        parse_labels(["no-equals"])
    assert folder_label("/x/sft-run/checkpoint-200") == "sft-run/checkpoint-200"
    assert folder_label("~/.cache/xlfact/smollm2-135m-instruct") == "smollm2-135m-instruct"
    site = tmp_path / "site"
    rc = leaderboard_main(["build", str(runs["hf"]), str(runs["vllm"]), "--output_path", str(site), "--bootstrap", "0",
                           "--label", f"{runs['vllm']}=SmolLM via vLLM"])
    assert rc == 0
    labels = {m["meta"]["backend"]: m["meta"]["label"] for m in json.loads((site / "leaderboard.json").read_text())[
        "models"]}
    assert labels == {"hf": "sft-run/checkpoint-200", "vllm": "SmolLM via vLLM"}
    rc = leaderboard_main(["build", str(runs["hf"]), "--output_path", str(site), "--label", "nowhere=X"])
    assert rc == 2 and "--label nowhere=X: no run folder" in capsys.readouterr().err


def test_csv_cells_that_spreadsheets_run_are_neutralised(runs, tmp_path):
    for value, expected in ((FORMULA, "'" + FORMULA), ("+1+2", "'+1+2"), ("@SUM(A1)", "'@SUM(A1)"),
                            ("-2+3", "'-2+3"), ("-0.5", "-0.5"), ("-", "-"), (-0.5, -0.5), ("plain", "plain")):
        assert csv_cell(value) == expected, value
    table = build_table(load_runs([runs["hf"], runs["formula"]]), n_resamples=0, progress=False)
    write_site(table, tmp_path, with_figures=False)
    rows = list(csv.DictReader((tmp_path / "leaderboard.csv").open()))
    assert sorted(r["label"] for r in rows) == sorted(["'" + FORMULA, "sft-run/checkpoint-200"])
    assert all(not r["model"].startswith(("=", "+", "-", "@")) for r in rows)
    numbers = [float(r["polyfact/average"]) for r in rows]  # numbers stay numbers
    assert all(0.0 <= x <= 1.0 for x in numbers)


def test_the_page_allows_its_one_script_and_style_by_hash(runs):
    table = build_table(load_runs([runs["hf"]]), n_resamples=0, progress=False)
    for html in render_pages(table).values():
        csp = html_unescape(re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)[1])
        assert "unsafe-inline" not in csp and "default-src 'none'" in csp and "img-src data:" in csp
        (script,) = re.findall(r"<script>(.*?)</script>", html, flags=re.S)
        (style,) = re.findall(r"<style>(.*?)</style>", html, flags=re.S)
        for text, directive in ((script, "script-src"), (style, "style-src")):
            digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
            assert re.search(rf"{directive} 'sha256-{re.escape(digest)}'", csp), directive
        assert not re.search(r"<[a-z]+[^>]* (style|on[a-z]+)=", html)  # inline attributes would need unsafe-inline

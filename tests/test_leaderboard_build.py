"""``xlfact leaderboard build`` on real lm-eval output folders: figures, flags, escaping, files, hub payload."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from xlfact.cli import main as xlfact
from xlfact.core.runs import load_runs
from xlfact.evaluators.consistency import cross_lingual_metrics
from xlfact.leaderboard.site import HubError, hub_payload, push_to_hub, render_html, write_site
from xlfact.leaderboard.table import build_table
from xlfact.tasks.evaluate import evaluate_to_folder, make_task_manager
from xlfact.training.tiny_models import build_tiny_llama

pytestmark = pytest.mark.slow
HOSTILE = "<script>alert(1)</script>"
POLYFACT = ["polyfact_en", "polyfact_de", "polyfact_ru"]
YESNO_YAML = """task: lbtest_yesno
dataset_path: json
dataset_kwargs:
  data_files:
    test: {data}
test_split: test
output_type: multiple_choice
doc_to_text: "Question: {{{{question}}}}\\nAnswer:"
doc_to_choice: ["yes", "no"]
doc_to_target: label
metric_list:
  - metric: acc
metadata:
  version: 2.0
"""


def yesno_task(root: Path) -> Path:
    """A task in lm-eval's built-in style (no xlfact record): stands for lm-eval's own tasks."""
    folder = root / "yesno_task"
    folder.mkdir()
    rows = [{"question": f"Is {a} bigger than {b}?", "label": 0 if a > b else 1} for a, b in
            [(3, 1), (1, 2), (5, 4), (2, 7), (9, 8), (4, 6)]]
    (folder / "data.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (folder / "lbtest_yesno.yaml").write_text(YESNO_YAML.format(data=folder / "data.jsonl"))
    return folder


@pytest.fixture(scope="module")
def runs(tmp_path_factory, polyfact_fixture_dir):
    root = tmp_path_factory.mktemp("leaderboard")
    files = sorted(polyfact_fixture_dir.glob("*/test.jsonl"))
    rows = [json.loads(x) for f in files for x in f.read_text().splitlines()]
    texts = [f"Question: {r['question']}\nAnswer: {r['answer_text']}" for r in rows] + ["yes no bigger than"]
    include = [yesno_task(root)]
    out = {}
    for name, seed, tasks, limit in (("m0", 0, [*POLYFACT, "lbtest_yesno"], None),
                                     ("m1", 1, [*POLYFACT, "lbtest_yesno"], None),
                                     ("m2_limited", 2, [*POLYFACT, "lbtest_yesno"], 4),
                                     ("m3_en_only", 3, ["polyfact_en", "lbtest_yesno"], None)):
        model = build_tiny_llama(root / f"model_{name}", texts, seed=seed)
        manager = make_task_manager(tasks, include_path=include, include_defaults=False,
                                    metadata={"data_dir": str(polyfact_fixture_dir), "pretrained": str(model)})
        out[name] = evaluate_to_folder(root / name, model="hf", model_args=f"pretrained={model},dtype=float32",
                                       tasks=tasks, task_manager=manager, batch_size=16, device="cpu", limit=limit)
    # a model whose (hub) name is hostile markup: only the display name in the results file differs
    hostile = root / "hostile" / "model"
    shutil.copytree(out["m1"], hostile)
    results = next(hostile.glob("results_*.json"))
    data = json.loads(results.read_text())
    data["model_name"] = HOSTILE
    results.write_text(json.dumps(data))
    out["hostile"] = hostile
    out["root"] = root
    return out


@pytest.fixture(scope="module")
def table(runs):
    return build_table(load_runs([runs[k] for k in ("m0", "m1", "hostile", "m2_limited", "m3_en_only")]),
                       n_resamples=100, progress=False)


def records_metrics(folder: Path) -> dict:
    scores, gold = {}, {}
    for file in folder.glob("samples_polyfact_*.jsonl"):
        for row in map(json.loads, file.read_text().splitlines()):
            r = row["total_consistency"]
            scores.setdefault(r["item"], {})[r["lang"]] = r["scores"]
            gold.setdefault(r["item"], {})[r["lang"]] = r["gold"]
    return cross_lingual_metrics(scores, gold)


def by_model(table: dict, name: str) -> dict:
    return next(m for m in table["models"] if m["meta"]["model"] == name)


def test_figures_come_from_the_shared_metric_code_and_the_results_file(table, runs):
    model = str(runs["root"] / "model_m0")
    entry = by_model(table, model)
    expected = records_metrics(runs["m0"])
    polyfact = entry["benchmarks"]["polyfact"]
    for lang in ("en", "de", "ru"):
        column = polyfact["columns"][lang]
        assert column["value"] == pytest.approx(expected["accuracy"][lang])
        assert column["ci"][0] <= column["value"] <= column["ci"][1]
        assert column["task"] == f"polyfact_{lang}"
    assert polyfact["average"] == pytest.approx(sum(expected["accuracy"].values()) / 3)
    for metric in ("total_consistency", "rankc", "rankc_en", "answer_agreement", "en_co_mean"):
        assert polyfact["consistency"][metric]["value"] == pytest.approx(expected[metric]), metric
    results = json.loads(next(runs["m0"].glob("results_*.json")).read_text())
    yesno = entry["benchmarks"]["lbtest_yesno"]
    assert yesno["columns"]["lbtest_yesno"]["value"] == pytest.approx(results["results"]["lbtest_yesno"]["acc,none"])
    assert entry["meta"]["dtype"] == "float32" and entry["meta"]["lm_eval_version"] == "0.4.13"
    averages = [m["benchmarks"]["polyfact"]["average"] for m in table["models"]]
    assert averages == sorted(averages, reverse=True) and [m["rank"] for m in table["models"]] == [1, 2, 3, 4, 5]


def test_mismatched_runs_are_flagged_not_silently_ranked(table, runs):
    limited = by_model(table, str(runs["root"] / "model_m2_limited"))
    flags = limited["benchmarks"]["polyfact"]["flags"]
    assert any("--limit 4 vs None" in f and "prompt/doc hashes differ" in f for f in flags), flags
    en_only = by_model(table, str(runs["root"] / "model_m3_en_only"))
    assert any("lacks 2 of 3 tasks" in f and "polyfact_de" in f for f in en_only["benchmarks"]["polyfact"]["flags"])
    assert not by_model(table, str(runs["root"] / "model_m0"))["flags"]
    assert not by_model(table, HOSTILE)["flags"]
    assert {f["model"] for f in table["flags"]} == {limited["meta"]["model"], en_only["meta"]["model"]}


def test_hostile_model_name_is_text_everywhere(table, tmp_path):
    html = render_html(table)
    assert HOSTILE not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert html.count("<script") == 1  # the page's own sorting script only
    write_site(table, tmp_path)
    markdown = (tmp_path / "leaderboard.md").read_text()
    assert HOSTILE not in markdown and "&lt;script&gt;alert(1)&lt;/script&gt;" in markdown
    data = json.loads((tmp_path / "leaderboard.json").read_text())
    assert HOSTILE in [m["meta"]["model"] for m in data["models"]]


def test_site_files_are_complete_and_consistent(table, tmp_path):
    written = write_site(table, tmp_path)
    names = sorted(p.relative_to(tmp_path).as_posix() for p in written)
    assert {"index.html", "leaderboard.csv", "leaderboard.json", "leaderboard.md"} <= set(names)
    assert sum(n.startswith("bench-") for n in names) == len(table["benchmarks"])
    assert sum(n.startswith("model-") for n in names) == len(table["models"])
    assert any(n.startswith("figures/heatmap_polyfact") and n.endswith(".svg") for n in names)
    assert not list(tmp_path.glob(".*tmp"))
    rows = list(csv.DictReader((tmp_path / "leaderboard.csv").open()))
    assert len(rows) == 5
    first = rows[0]
    assert float(first["polyfact/average"]) == pytest.approx(table["models"][0]["benchmarks"]["polyfact"]["average"])
    assert {"polyfact/en/ci_low", "polyfact/total_consistency/ci_high", "lbtest_yesno/lbtest_yesno"} <= set(first)
    html = (tmp_path / "index.html").read_text()
    for needle in ("Methodology", "mean log-probability per option token", "total consistency", "bench-2",
                   "Not comparable", 'aria-sort', "data-value"):
        assert needle in html, needle


def test_hub_payload_and_offline_push(table, runs, tmp_path):
    loaded = load_runs([runs["m0"], runs["hostile"]])
    write_site(table, tmp_path)
    payload = hub_payload(tmp_path, loaded, with_samples=True)
    paths = [f.path_in_repo for f in payload]
    assert paths[:4] == ["index.html", "leaderboard.json", "leaderboard.csv", "leaderboard.md"]
    assert sum(p.startswith(("bench-", "model-")) and p.endswith(".html") for p in paths) == 2 + 5  # every page
    assert any(p.startswith("figures/heatmap_") for p in paths)
    results_paths = [p for p in paths if p.startswith("results/") and "/results_" in p]
    assert len(results_paths) == 2 and len(set(p.rsplit("/", 1)[0] for p in results_paths)) == 2
    assert sum("/samples_polyfact_de_" in p for p in paths) == 2
    with pytest.raises(HubError, match="offline"):
        push_to_hub("org/xlfact-results", payload)
    with pytest.raises(HubError, match="ORG/DATASET"):
        push_to_hub("no-slash", payload)

    class FakeApi:
        def __init__(self):
            self.calls = []

        def create_repo(self, **kwargs):
            self.calls.append(("create_repo", kwargs))

        def create_commit(self, **kwargs):
            self.calls.append(("create_commit", kwargs))
            return type("Info", (), {"commit_url": "https://example.invalid/commit/1"})()

    api = FakeApi()
    assert push_to_hub("org/xlfact-results", payload, api=api) == "https://example.invalid/commit/1"
    (_, repo), (_, commit) = api.calls
    assert repo["repo_type"] == "dataset" and repo["exist_ok"] and commit["repo_id"] == "org/xlfact-results"
    assert [op.path_in_repo for op in commit["operations"]] == paths


def test_cli_builds_and_reports_bad_input(runs, tmp_path, capsys):
    site = tmp_path / "site"
    assert xlfact(["leaderboard", "build", str(runs["m0"]), str(runs["m1"]), "--out", str(site), "--bootstrap",
                   "50"]) == 0
    assert (site / "index.html").is_file()
    code = xlfact(["leaderboard", "build", str(runs["m0"]), "--out", str(tmp_path / "s2"), "--bootstrap", "0",
                   "--push-to-hub", "org/data"])
    assert code == 2 and "offline" in capsys.readouterr().err and (tmp_path / "s2" / "index.html").is_file()
    broken = tmp_path / "broken"
    shutil.copytree(runs["m1"], broken)
    results = next(broken.glob("results_*.json"))
    results.write_text(results.read_text()[:-50])
    assert xlfact(["leaderboard", "build", str(runs["m0"]), str(broken), "--out", str(tmp_path / "s3")]) == 2
    err = capsys.readouterr().err
    assert str(results) in err and "truncated" in err

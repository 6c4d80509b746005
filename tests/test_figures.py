"""The pictures: report figures as PNG+SVG beside the tables, the release gate's deltas with intervals, one colour per
language in every figure, hostile text drawn as text."""

from __future__ import annotations

import math
import random

import pytest

from xlfact.core import figures as F
from xlfact.core.palette import language_color
from xlfact.core.stats import paired_difference_ci
from xlfact.leaderboard.report_figures import report_figures
from xlfact.tasks.registry import benchmark_report

pytest.importorskip("matplotlib")
POLYFACT = ["en", "de", "ru", "zh", "bn"]
KLAR = ["en", "es", "ca", "el"]


def records(benchmark: str, langs: list[str], n_items: int, p: float, seed: int, scores: bool) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for item in range(n_items):
        for lang in langs:
            right = rng.random() < p
            record = {"benchmark": benchmark, "item": f"q{item}", "lang": lang, "correct": right, "exact": right}
            if scores:
                gold = item % 4
                record["gold"] = gold
                record["scores"] = [1.0 if (slot == gold) == right else rng.random() * 0.5 for slot in range(4)]
                if not right:
                    record["scores"][gold] = -1.0
            out.append(record)
    return out


def fake_report() -> dict:
    runs = []
    for k, folder in enumerate(("runs/base/model", "runs/sft/model")):
        benchmarks = {
            "polyfact": benchmark_report("polyfact", records("polyfact", POLYFACT, 40, 0.4 + 0.2 * k, k, True), [],
                                         n_resamples=20, seed=0),
            "klar": benchmark_report("klar", records("klar", KLAR, 20, 0.3 + 0.3 * k, 10 + k, False), [],
                                     n_resamples=0, seed=0),
        }
        runs.append({"folder": folder, "benchmarks": benchmarks, "sections": {}, "section_data": {}})
    return {"runs": runs}


def test_report_writes_png_and_svg_beside_its_tables(tmp_path):
    report = fake_report()
    assert set(report["runs"][0]["benchmarks"]["polyfact"]["pairs"]) == {"rankc", "answer_agreement"}
    written = report_figures(report, tmp_path / "xlfact_figures")
    names = sorted(p.name for p in written)
    for stem in ("heatmap_polyfact", "scatter_polyfact", "languages_polyfact_base_model",
                 "languages_polyfact_sft_model", "heatmap_klar", "seen_heldout_klar"):
        assert f"{stem}.png" in names and f"{stem}.svg" in names, stem
    from PIL import Image

    with Image.open(tmp_path / "xlfact_figures" / "heatmap_polyfact.png") as image:
        assert image.width > 300 and len(set(image.convert("RGB").getdata())) > 50
    assert (tmp_path / "xlfact_figures" / "heatmap_polyfact.svg").read_text().lstrip().startswith("<?xml")


def test_a_language_has_its_palette_colour_in_every_figure():
    report = fake_report()
    bench = report["runs"][0]["benchmarks"]["polyfact"]
    heat = F.heatmap(["base"], POLYFACT, [[bench["per_language"][x]["accuracy"] for x in POLYFACT]], title="t")
    matrix = F.language_matrix(POLYFACT, bench["pairs"]["rankc"], lower=bench["pairs"]["answer_agreement"],
                               title="t")
    for fig in (heat, matrix):
        for side in ("label1", "label2"):  # the heat map shows its language labels on top
            ticks = {getattr(t, side).get_text(): getattr(t, side).get_color()
                     for t in fig.axes[0].xaxis.get_major_ticks()}
            assert ticks == {lang: language_color(lang) for lang in POLYFACT}
        F.close(fig)
    tests = [{"benchmark": "polyfact", "lang": lang, "diff_points": -3.0 + i, "ci_points": [-6.0 + i, i * 1.0],
              "regression": lang == "de"} for i, lang in enumerate(POLYFACT)]
    fig = F.deltas(tests, title="gate", margin=1.0)
    colours = [container.lines[0].get_color() for container in fig.axes[0].containers]
    assert colours[1] == "#c00000" and colours[2] == language_color("ru")  # a regression is red, the rest by language
    F.close(fig)


def test_gate_intervals_and_hostile_labels():
    low, high = paired_difference_ci(10, 20, 100)  # d = 0.1, se = sqrt(30 - 1) / 100
    assert (low, high) == pytest.approx((0.1 - 1.96 * math.sqrt(29) / 100, 0.1 + 1.96 * math.sqrt(29) / 100),
                                        abs=1e-4)
    assert all(math.isnan(x) for x in paired_difference_ci(0, 0, 0))
    fig = F.heatmap(["<script>alert(1)</script> $x^2$"], ["en"], [[0.5]], title="t")
    assert fig.axes[0].get_yticklabels()[0].get_text() == "<script>alert(1)</script> $x^2$"
    svg = F.svg_bytes(fig)  # text is drawn as paths: nothing of the label survives as markup
    F.close(fig)
    assert b"<script" not in svg and F.data_uri(svg).startswith("data:image/svg+xml;base64,")


def test_site_draws_klar_seen_vs_heldout_and_the_clika_radar(tmp_path):
    from xlfact.evaluators.klar import OOD_LANGUAGES, SEEN_LANGUAGES
    from xlfact.leaderboard.site_figures import site_figures

    klar_langs = [*SEEN_LANGUAGES[:3], *OOD_LANGUAGES[:3]]
    clika_langs = ["en", "zh", "de", "ja"]
    models = []
    for k in range(2):
        columns = {lang: {"value": 0.2 + 0.1 * k + 0.05 * i, "ci": [0.1, 0.9]} for i, lang in enumerate(klar_langs)}
        per_language = {lang: 0.3 + 0.1 * i + 0.1 * k for i, lang in enumerate(clika_langs)}
        scores = {"languages": clika_langs, "basic_ra": per_language, "factual_ra": per_language,
                  "factual_en_co": per_language}
        models.append({"id": k, "meta": {"label": f"model-{k}", "backend": "hf"},
                       "benchmarks": {"klar": {"columns": columns, "average": 0.4, "consistency": {}, "pairs": {}}},
                       "sections": {"clika": {"protocols": {"letter": scores}}}})
    table = {"models": models, "benchmarks": [
        {"name": "klar", "kind": "cross-lingual", "metric": "accuracy", "columns": klar_langs, "consistency": []},
        {"name": "clika_xgeo", "kind": "cross-lingual", "metric": "accuracy", "columns": [], "consistency": []}]}
    figures, written = site_figures(table, tmp_path)
    assert {"heatmap/klar", "seen/klar", "seen/klar/0", "radar/clika/0", "radar/clika/1", "radar/clika_xgeo"} <= set(
        figures)
    assert all(f["uri"].startswith("data:image/svg+xml;base64,") for f in figures.values())
    assert all(p.is_file() and p.suffix == ".svg" for p in written)


def test_compare_writes_its_deltas_figure(tmp_path):
    from xlfact.gate.compare import write_figure

    tests = [{"benchmark": "polyfact", "lang": "de", "metric": "acc", "diff_points": -4.0, "ci_points": [-7.0, -1.0],
              "regression": True},
             {"benchmark": "polyfact", "lang": None, "metric": "rankc", "diff_points": 0.5, "ci_points": [-1.0, 2.0],
              "regression": False}]
    written = write_figure({"tests": tests, "verdict": "FAIL", "margin_points": 1.0}, tmp_path)
    assert sorted(p.name for p in written) == ["compare_deltas.png", "compare_deltas.svg"]
    assert all(p.stat().st_size > 2_000 for p in written)


def test_one_setup_for_every_figure_and_a_warning_when_cjk_glyphs_are_missing(tmp_path, monkeypatch):
    """The analyses draw through core.figures too: mathtext is off, and CJK text without a CJK font warns once,
    naming the fix, instead of silently drawing boxes."""
    import warnings

    from xlfact.analysis.mechanistic import plots as mechanistic_plots
    from xlfact.analysis.tracing import plots as tracing_plots

    assert mechanistic_plots._plt is F.pyplot and tracing_plots.pyplot is F.pyplot
    plt = F.pyplot()
    assert plt.rcParams["text.parse_math"] is False
    monkeypatch.setattr(F, "_warned_cjk", False)
    monkeypatch.setattr(F, "installed_cjk_fonts", lambda: ())
    fig, ax = plt.subplots()
    ax.set_title("東京 $x$")
    with pytest.warns(UserWarning, match="fonts-noto-cjk"):
        F.save_png(fig, tmp_path / "a.png")
    fig, ax = plt.subplots()
    ax.set_title("北京")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.save_png(fig, tmp_path / "b.png")  # once per process
        monkeypatch.setattr(F, "_warned_cjk", False)
        monkeypatch.setattr(F, "installed_cjk_fonts", lambda: ("Noto Sans CJK SC",))
        fig, ax = plt.subplots()
        ax.set_title("北京")
        F.save_png(fig, tmp_path / "c.png")  # a CJK font is there: nothing to warn about
    assert all((tmp_path / f"{n}.png").stat().st_size > 0 for n in "abc")

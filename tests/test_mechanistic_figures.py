"""``xlfact analyze`` figures and printed summaries people can read: decoded token text (not byte-level pieces),
run labels (not machine paths) with ``--labels``, "no regressions" said in words, a compare legend without
"base (base)", and a short summary after every command."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("matplotlib")

from xlfact.analysis.mechanistic import plots  # noqa: E402
from xlfact.analysis.mechanistic.cli import main as analyze  # noqa: E402


@pytest.fixture()
def figures(monkeypatch):
    """Every figure the mechanistic plots draw, by file name, instead of PNG files."""
    drawn = {}

    def keep(fig, path):
        drawn[path.name] = fig
        return path

    monkeypatch.setattr(plots, "_save", keep)
    return drawn


def _texts(fig) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in (ax.title, *ax.texts)] + [t.get_text() for t in fig.texts]


def test_token_text_is_decoded_not_byte_level():
    from xlfact.analysis.mechanistic.lens import token_text
    from xlfact.training.tiny_models import train_tokenizer

    tok = train_tokenizer(["The capital of France is Paris."] * 20 + ["法语"], vocab_size=300)
    paris = tok.encode(" Paris", add_special_tokens=False)
    assert "".join(token_text(tok, i) for i in paris) == " Paris"  # "ĠParis" pieces read as text
    assert all("Ġ" not in token_text(tok, i) for i in paris)
    pieces = tok.encode(" 德", add_special_tokens=False)  # not in the training text: one piece per byte
    shown = [token_text(tok, i) for i in pieces]
    assert len(pieces) > 1 and all("\ufffd" not in s for s in shown)  # part of a character: its bytes, not "�"
    assert "".join(shown) == " \\xe5\\xbe\\xb7"  # 德 is e5 be b7 in UTF-8


def authors_json(path, correct: dict[int, bool]):
    from xlfact.tasks.klar.data import RELATIONS

    # the KLAR fixture's first relation holds facts 1000..1004 (French objects equal the English ones)
    records = [{"language": "fr", "relation": RELATIONS[0], "index": 1000 + i, "pred": "Paris" if ok else "1990",
                "target": "Paris", "correct": ok} for i, ok in correct.items()]
    path.write_text(json.dumps({"records": records}))
    return str(path)


def test_failures_titles_use_labels_and_empty_regressions_say_so(tmp_path, figures, capsys, klar_fixture_writer):
    klar = klar_fixture_writer(tmp_path / "KLAR-CLC", langs=("en", "fr"))
    runs = tmp_path / "some" / "machine" / "path"
    runs.mkdir(parents=True)
    a = authors_json(runs / "base_klar.json", {0: True, 1: False})
    b = authors_json(runs / "tuned_klar.json", {0: True, 1: True})  # nothing right in A is wrong in B
    argv = ["failures", "--authors-json", a, "--authors-json", b, "--klar-dir", str(klar), "--out",
            str(tmp_path / "out")]
    assert analyze([*argv, "--labels", "base,tuned"]) == 0
    assert figures["failures_a.png"].axes[0].get_title() == "wrong answers by class: base"
    regressions = _texts(figures["failures_regressions.png"])
    assert any("no regressions" in t for t in regressions) and not figures["failures_regressions.png"].axes[0].axison
    assert all(str(runs) not in t for fig in figures.values() for t in _texts(fig))
    printed = capsys.readouterr().out
    assert "base: correct of n" in printed and "fr: 1/2 correct" in printed and "fr: 2/2 correct" in printed
    assert "regressions (base correct, tuned wrong): none" in printed
    assert analyze(argv) == 0  # default labels: the files' names, not their paths
    assert figures["failures_b.png"].axes[0].get_title() == "wrong answers by class: tuned_klar.json"
    assert analyze([*argv, "--labels", "only-one"]) == 2
    assert "--labels 'only-one': expected 2" in capsys.readouterr().err


def test_regressions_with_items_are_drawn_as_bars(tmp_path, figures, klar_fixture_writer):
    klar = klar_fixture_writer(tmp_path / "KLAR-CLC", langs=("en", "fr"))
    a = authors_json(tmp_path / "a.json", {0: True, 1: True})
    b = authors_json(tmp_path / "b.json", {0: False, 1: True})
    assert analyze(["failures", "--authors-json", a, "--authors-json", b, "--klar-dir", str(klar), "--out",
                    str(tmp_path / "out"), "--labels", "v1,v2"]) == 0
    fig = figures["failures_regressions.png"]
    assert fig.axes[0].axison and fig.axes[0].get_title() == "regressions (v1 correct, v2 wrong) by v2's class"


def test_compare_legend_names_the_reference_once(tmp_path, figures):
    per_layer = {"en": [3, 1], "es": [0, 2]}
    plots.lape_ecdf({"base": per_layer, "tuned": per_layer}, tmp_path / "ecdf.png", {"tuned": 0.0})
    labels = [t.get_text() for t in figures["ecdf.png"].axes[0].get_legend().get_texts()]
    assert labels == ["base (reference)", "tuned (D_KS 0.0000 vs base)"]


def test_every_command_has_a_summary():
    from xlfact.analysis.mechanistic.cli import COMMANDS
    from xlfact.analysis.mechanistic.summary import SUMMARIES, lahis_summary, lens_summary

    assert set(SUMMARIES) == set(COMMANDS)
    items = [{"lang": "es", "answer_model_rank_last": 10, "answer_en_model_rank_last": 2},
             {"lang": "es", "answer_model_rank_last": 4, "answer_en_model_rank_last": 9}]
    lines = lens_summary({"items": items, "n_points": 3, "final_norm": "model"})
    assert lines[1] == "  es (n=2): native median 7, English median 5.5; English above native in 1 of 2"
    lahis = {"mode": "causal", "n_top": 2, "n_layers": 2, "n_heads": 4, "languages": ["en", "es"],
             "overlap": [[100, 50], [50, 100]], "top_heads": {"en": [[1, 0], [0, 3]], "es": [[1, 0], [1, 2]]}}
    assert lahis_summary(lahis)[1:] == ["  most shared: en-es 50% of top heads in common", "  en: 1.0 0.3",
                                        "  es: 1.0 1.2"]

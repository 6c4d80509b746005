"""Fact tracing end to end, with a known answer.

A synthetic two-language (en, fr) pretraining corpus in which every fact's frequency per language is controlled:

    group        en docs   fr docs
    en_only      FREQ      1        frequent in English, rare in French
    rare         1         1        rare in both
    fr_only      1         FREQ     frequent in French only
    both         FREQ      FREQ

Facts are KLAR-shaped files (12 relations x 4 facts per language; same object strings in both languages, French
subjects differ from the English ones in their last letter so that the two languages' counts are separate strings),
read by the ``klar_trace_*`` tasks. The chain is the user's: ``xlfact frequency`` (infini-gram over the corpus) ->
``xlfact train cpt`` (a tiny Llama from scratch, checkpoints written stage by stage: ``training.save_every`` was not
on main when this was written, so each stage is one ``xlfact train cpt`` run that starts from the previous
checkpoint) -> ``xlfact trace --checkpoints DIR`` -> ``xlfact trace frequency``. Known answer: P(correct | frequency)
rises with frequency, and French facts that are rare in French are recalled more often when frequent in English.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from xlfact.cli import main as xlfact
from xlfact.tasks.klar_trace.data import RELATIONS, format_query

pytestmark = pytest.mark.slow
pytest.importorskip("infini_gram")
FREQ = 12
GROUPS = {"en_only": (FREQ, 1), "rare": (1, 1), "fr_only": (1, FREQ), "both": (FREQ, FREQ)}
TEMPLATES = {"en": "The {r} of <subject> is <mask>.", "fr": "Le {r} de <subject> est <mask>."}
STAGES = 3
SYLLABLES = ["ka", "lo", "mi", "ru", "te", "zu", "po", "ne", "vi", "sa", "do", "gu"]


def names(rng: random.Random, n: int) -> list[str]:
    out: set[str] = set()
    while len(out) < n:
        out.add("".join(rng.choice(SYLLABLES) for _ in range(3)).capitalize())
    return sorted(out)


def build_world(root: Path) -> dict:
    rng = random.Random(0)
    pool = names(rng, 2 * 4 * len(RELATIONS))
    rng.shuffle(pool)
    facts = []  # (relation, index, group, en subject, fr subject, object)
    for r, rel in enumerate(RELATIONS):
        for g, group in enumerate(GROUPS):
            subject, obj = pool.pop(), pool.pop()
            facts.append((rel, 100 * r + g, group, subject, subject[:-1] + ("x" if subject[-1] != "x" else "q"), obj))
    klar = root / "klar"
    lines = {"en": {}, "fr": {}}
    for lang in ("en", "fr"):
        for r, rel in enumerate(RELATIONS):
            template = TEMPLATES[lang].format(r=f"rel{r}")
            samples = [{"subject": en if lang == "en" else fr, "object": obj, "index": idx}
                       for rel2, idx, _, en, fr, obj in facts if rel2 == rel]
            (klar / lang).mkdir(parents=True, exist_ok=True)
            (klar / lang / f"{rel}.json").write_text(json.dumps({"name": rel, "relation_id": f"P{r}",
                                                                  "prompt_templates": [template],
                                                                  "samples": samples}), encoding="utf-8")
            for s in samples:
                lines[lang][s["index"]] = f"{format_query(template, s['subject'])} {s['object']}"
    docs = []
    for _, idx, group, *_ in facts:
        for lang, count in zip(("en", "fr"), GROUPS[group]):
            docs += [(lang, lines[lang][idx])] * count
    rng.shuffle(docs)
    (root / "corpus.txt").write_text("".join(text + "\n" for _, text in docs), encoding="utf-8")
    (root / "cpt.jsonl").write_text("".join(json.dumps({"doc_id": f"d{i}", "texts": {lang: text}}) + "\n"
                                            for i, (lang, text) in enumerate(docs)), encoding="utf-8")
    recipe = root / "cpt.yaml"
    recipe.write_text(
        "recipe: cpt\nseed: 0\nmodel: {name_or_path: null, dtype: float32}\ndata: {corpus: null, languages: null}\n"
        "packing: {target_tokens: 64, max_tokens: 64}\nlora: null\n"
        "training: {learning_rate: 3.0e-3, num_train_epochs: 2, per_device_train_batch_size: 16, "
        "lr_scheduler_type: constant, logging_steps: 50, use_cpu: true, dataloader_num_workers: 0}\n"
        "output_dir: null\n", encoding="utf-8")
    return {"facts": facts, "klar": klar, "lines": lines, "docs": docs, "recipe": recipe}


@pytest.fixture(scope="module")
def experiment(tmp_path_factory):
    from xlfact.training.synthetic import build_untied_tiny_llama

    root = tmp_path_factory.mktemp("e2e")
    world = build_world(root)
    assert xlfact(["frequency", "--corpus", str(root / "corpus.txt"), "--index", str(root / "index"),
                   "--klar-dir", str(world["klar"]), "--languages", "en,fr", "--out", str(root / "freq.json")]) == 0
    base = build_untied_tiny_llama(root / "base", [text for _, text in world["docs"]], seed=0)
    previous, steps_per_stage = base, None
    for stage in range(1, STAGES + 1):
        out = root / "ckpts" / f"stage{stage}"
        assert xlfact(["train", "cpt", "--config", str(world["recipe"]), f"model.name_or_path={previous}",
                       f"data.corpus={root / 'cpt.jsonl'}", f"output_dir={out}"]) == 0
        card = (out / "README.md").read_text(encoding="utf-8")
        steps_per_stage = int(card.split("global_step: ")[1].split()[0])
        named = out.with_name(f"step{stage * steps_per_stage}")
        out.rename(named)
        previous = named
    assert xlfact(["trace", "--checkpoints", str(root / "ckpts"), "--model_args", "dtype=float32",
                   "--tasks", "klar_trace_en,klar_trace_fr", "--output_path", str(root / "trace"),
                   "--metadata", json.dumps({"klar_dir": str(world["klar"])}), "--batch_size", "48",
                   "--device", "cpu", "--bootstrap", "0"]) == 0
    assert xlfact(["trace", "frequency", "--records", str(root / "trace"), "--frequencies", str(root / "freq.json"),
                   "--out", str(root / "analysis.json"), "--plots", str(root / "plots")]) == 0
    return {"root": root, "world": world, "analysis": json.loads((root / "analysis.json").read_text())}


def test_infini_gram_counts_are_the_planted_frequencies(experiment):
    freq = json.loads((experiment["root"] / "freq.json").read_text())
    for rel, idx, group, *_ in experiment["world"]["facts"]:
        for lang, planted in zip(("en", "fr"), GROUPS[group]):
            row = next(f for f in freq[lang][rel] if f["index"] == idx)
            assert row["frequency"] == planted, (lang, rel, idx, group)


def test_recall_rises_with_frequency_and_transfers_from_english(experiment):
    analysis = experiment["analysis"]
    final = analysis["checkpoints"][analysis["order"][-1]]
    trace_json = json.loads((experiment["root"] / "trace" / "trace.json").read_text())
    assert [c["step"] for c in trace_json["checkpoints"]] == sorted(c["step"] for c in trace_json["checkpoints"])
    correct = {}
    for name in analysis["order"]:
        rows = analysis["checkpoints"][name]["threshold_classifier"]
        correct[name] = {lang: set(r["true_positive_indices"]) | set(r["false_negative_indices"])
                         for lang, r in rows.items()}
    by_group = {}
    for _, idx, group, *_ in experiment["world"]["facts"]:
        for lang in ("en", "fr"):
            by_group.setdefault((group, lang), []).append(idx in correct[analysis["order"][-1]][lang])
    recall = {key: sum(v) / len(v) for key, v in by_group.items()}
    pooled = final["p_correct_given_frequency"]["pooled"]
    low = sum(c for c, e in zip(pooled["correct"], pooled["edges"]) if e < 2)
    low_n = sum(t for t, e in zip(pooled["total"], pooled["edges"]) if e < 2)
    high = sum(c for c, e in zip(pooled["correct"], pooled["edges"]) if e >= 2)
    high_n = sum(t for t, e in zip(pooled["total"], pooled["edges"]) if e >= 2)
    print("\nper checkpoint: overall acc / CLC:",
          {n: (round(c["recall"]["overall_acc"], 3), round(c["clc"]["overall"], 3))
           for n, c in analysis["checkpoints"].items()})
    print("final recall by group and language:", {f"{g}/{lang}": round(v, 3) for (g, lang), v in recall.items()})
    print(f"final P(correct | freq 1) = {low}/{low_n}, P(correct | freq {FREQ}) = {high}/{high_n}")
    print("transfer share (FN facts whose English counterpart is recalled):", analysis["transfer_over_checkpoints"])
    assert high / high_n > low / low_n + 0.3  # recall rises with frequency
    assert recall[("en_only", "fr")] > recall[("rare", "fr")]  # rare in French, recalled more when frequent in English
    assert recall[("both", "en")] >= 0.75 and recall[("both", "fr")] >= 0.75

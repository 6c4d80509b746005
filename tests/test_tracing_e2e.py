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
``xlfact train cpt`` (a tiny Llama from scratch on the monolingual documents, a merged checkpoint every
``training.save_every`` steps in OUTPUT/checkpoints/step<N>/) -> ``xlfact trace --checkpoints OUTPUT/checkpoints`` ->
``xlfact trace frequency``. Known answer: P(correct | frequency)
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
LINES_PER_DOC = 4
EPOCHS, SAVE_EVERY = 12, 60  # 156 documents / batch 8 = 20 steps per epoch
STEPS = (0, 60, 120, 180, 240)
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
    occurrences = {"en": [], "fr": []}
    for _, idx, group, *_ in facts:
        for lang, count in zip(("en", "fr"), GROUPS[group]):
            occurrences[lang] += [lines[lang][idx]] * count
    docs = []  # (lang, text): LINES_PER_DOC distinct fact lines of one language, like the demonstrations of a prompt
    for lang, pending in occurrences.items():
        rng.shuffle(pending)
        while pending:
            doc: list[str] = []
            for line in list(pending):
                if line not in doc:
                    doc.append(line)
                    pending.remove(line)
                if len(doc) == LINES_PER_DOC:
                    break
            docs.append((lang, "\n".join(doc)))
    rng.shuffle(docs)
    (root / "corpus.jsonl").write_text("".join(json.dumps({"text": text}, ensure_ascii=False) + "\n"
                                               for _, text in docs), encoding="utf-8")
    (root / "cpt.jsonl").write_text("".join(json.dumps({"doc_id": f"d{i}", "lang": lang, "text": text}) + "\n"
                                            for i, (lang, text) in enumerate(docs)), encoding="utf-8")
    recipe = root / "cpt.yaml"
    recipe.write_text(
        "recipe: cpt\nseed: 0\nmodel: {name_or_path: null, dtype: float32}\ndata: {corpus: null, languages: null}\n"
        "packing: {target_tokens: 64, max_tokens: 64}\nlora: null\n"
        f"training: {{learning_rate: 3.0e-3, num_train_epochs: {EPOCHS}, per_device_train_batch_size: 8, "
        f"save_every: {SAVE_EVERY}, lr_scheduler_type: constant, logging_steps: 50, use_cpu: true, "
        "dataloader_num_workers: 0}\n"
        "output_dir: null\n", encoding="utf-8")
    return {"facts": facts, "klar": klar, "lines": lines, "docs": docs, "recipe": recipe}


@pytest.fixture(scope="module")
def experiment(tmp_path_factory):
    from xlfact.training.synthetic import build_untied_tiny_llama

    root = tmp_path_factory.mktemp("e2e")
    world = build_world(root)
    assert xlfact(["frequency", "--corpus", str(root / "corpus.jsonl"), "--index", str(root / "index"),
                   "--klar-dir", str(world["klar"]), "--languages", "en,fr", "--out", str(root / "freq.json")]) == 0
    base = build_untied_tiny_llama(root / "base", [line for _, text in world["docs"] for line in text.split("\n")],
                                   seed=0)
    assert xlfact(["train", "cpt", "--config", str(world["recipe"]), f"model.name_or_path={base}",
                   f"data.corpus={root / 'cpt.jsonl'}", f"output_dir={root / 'cpt'}"]) == 0
    trace_argv = ["trace", "--checkpoints", str(root / "cpt" / "checkpoints"), "--model_args", "dtype=float32",
                  "--tasks", "klar_trace_en,klar_trace_fr", "--output_path", str(root / "trace"),
                  "--metadata", json.dumps({"klar_dir": str(world["klar"])}), "--batch_size", "48",
                  "--device", "cpu", "--bootstrap", "0"]
    assert xlfact(trace_argv) == 0
    assert xlfact(["trace", "frequency", "--records", str(root / "trace"), "--frequencies", str(root / "freq.json"),
                   "--out", str(root / "analysis.json"), "--plots", str(root / "plots")]) == 0
    return {"root": root, "world": world, "trace_argv": trace_argv,
            "analysis": json.loads((root / "analysis.json").read_text())}


def test_infini_gram_counts_are_the_planted_frequencies(experiment):
    freq = json.loads((experiment["root"] / "freq.json").read_text())
    for rel, idx, group, *_ in experiment["world"]["facts"]:
        for lang, planted in zip(("en", "fr"), GROUPS[group]):
            row = next(f for f in freq[lang][rel] if f["index"] == idx)
            assert row["frequency"] == planted, (lang, rel, idx, group)


def test_recall_rises_with_frequency_and_transfers_from_english(experiment):
    analysis = experiment["analysis"]
    trace_json = json.loads((experiment["root"] / "trace" / "trace.json").read_text())
    assert [c["step"] for c in trace_json["checkpoints"]] == [float(s) for s in STEPS]
    recall, p_low, p_high = {}, [], []
    for name in analysis["order"][1:]:  # the trained checkpoints (step 0 is the random initialisation)
        entry = analysis["checkpoints"][name]
        rows = entry["threshold_classifier"]
        correct = {lang: set(r["true_positive_indices"]) | set(r["false_negative_indices"]) for lang, r in rows.items()}
        by_group: dict[tuple[str, str], list[bool]] = {}
        for _, idx, group, *_ in experiment["world"]["facts"]:
            for lang in ("en", "fr"):
                by_group.setdefault((group, lang), []).append(idx in correct[lang])
        recall[name] = {key: sum(v) / len(v) for key, v in by_group.items()}
        pooled = entry["p_correct_given_frequency"]["pooled"]
        low = [(c, t) for c, t, e in zip(pooled["correct"], pooled["total"], pooled["edges"]) if e < 2]
        high = [(c, t) for c, t, e in zip(pooled["correct"], pooled["total"], pooled["edges"]) if e >= 2]
        p_low.append(sum(c for c, _ in low) / sum(t for _, t in low))
        p_high.append(sum(c for c, _ in high) / sum(t for _, t in high))
    print("\nper checkpoint: overall acc / CLC:",
          {n: (round(c["recall"]["overall_acc"], 3), round(c["clc"]["overall"], 3))
           for n, c in analysis["checkpoints"].items()})
    print(f"P(correct | freq 1) per trained checkpoint: {[round(p, 3) for p in p_low]}")
    print(f"P(correct | freq {FREQ}) per trained checkpoint: {[round(p, 3) for p in p_high]}")
    for key in (("en_only", "fr"), ("rare", "fr"), ("fr_only", "fr"), ("both", "fr"), ("en_only", "en"),
                ("rare", "en")):
        print(f"recall {key[0]}/{key[1]} per trained checkpoint:", [round(r[key], 3) for r in recall.values()])
    print("transfer share (FN facts whose English counterpart is recalled):", analysis["transfer_over_checkpoints"])
    mean = {key: sum(r[key] for r in recall.values()) / len(recall) for key in next(iter(recall.values()))}
    # recall rises with frequency (averaged over the trajectory, and at the first trained checkpoint)
    assert sum(p_high) / len(p_high) > sum(p_low) / len(p_low) + 0.15 and p_high[0] > p_low[0]
    # rare in French, recalled more often when frequent in English (over the trajectory)
    assert mean[("en_only", "fr")] > mean[("rare", "fr")] + 0.1
    assert max(r[("both", "en")] for r in recall.values()) >= 0.75


def test_lm_eval_table_has_the_papers_clc(experiment):
    """The lm-eval results of the last checkpoint carry CLC per language, overall (en included) and per relation,
    equal to what ``xlfact trace frequency`` computes from the logged records."""
    analysis = experiment["analysis"]
    final = analysis["checkpoints"][analysis["order"][-1]]["clc"]
    folder = experiment["root"] / "trace" / "checkpoints" / analysis["order"][-1]
    results = json.loads(next(folder.rglob("results_*.json")).read_text())["results"]
    for lang in ("en", "fr"):
        task = results[f"klar_trace_{lang}"]
        assert task["clc,none"] == pytest.approx(final["per_language"][lang])
        assert task["clc_mean,none"] == pytest.approx(final["overall"])
        for rel in RELATIONS:
            assert task[f"clc_{rel},none"] == pytest.approx(final["per_relation"][lang][rel])


def test_trace_resumes_from_the_checkpoint_folder(experiment, capsys):
    """A re-run evaluates nothing: every step<N> folder of save_every is finished and skipped, in step order."""
    capsys.readouterr()
    assert xlfact(experiment["trace_argv"]) == 0
    err = capsys.readouterr().err
    assert err.count("finished earlier, skipped") == len(STEPS) and "evaluating" not in err

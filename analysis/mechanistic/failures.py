"""Appendix C failure modes on KLAR-CLC per-sample outputs (spec §4: the authors have no code, these are our rules).

- **english_leak** (wrong language): not correct, ``object_en`` differs from the target after normalisation, and the
  prediction matches ``object_en`` under the one matcher (:func:`xlfact.evaluators.matching.answer_matches`, lenient);
- **incoherent**: not correct and the normalised prediction is empty or only digits and spaces (the paper also counts
  "what" and mixed-language output, which would need language identification; not attempted);
- **other**: every other wrong answer.

``incoherent`` is also reported split into ``empty`` and ``numeric`` (non-empty); the spec's recomputed OLMo-2 rates
(es 9.1 / 10.0 %, ...) are ``english_leak_pct`` / ``numeric_pct``.

Relations are split into proper-noun (answers are names: places, organisations, countries) and common-noun ones by a
configurable list; :data:`PROPER_NOUN_RELATIONS` is the spec's natural set (49.3% of the en samples, not the
paper's 55%; the authors' list is unknown). Rates are percentages of all samples of the language (or relation).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from xlfact.analysis.mechanistic.common import AnalysisInputError
from xlfact.core.jsonl import read_json
from xlfact.core.runs import load_runs
from xlfact.evaluators.klar import BENCHMARK
from xlfact.evaluators.matching import answer_matches, normalize_answer
from xlfact.tasks.klar.data import read_relation_file, resolve_klar_dir

PROPER_NOUN_RELATIONS: tuple[str, ...] = (
    "applies_to_jurisdiction", "capital", "capital_of", "continent", "country_of_citizenship", "developer",
    "headquarters_location", "location_of_formation", "manufacturer", "owned_by", "place_of_birth", "place_of_death",
)
CLASSES = ("correct", "english_leak", "incoherent", "other")
_NUMERIC = re.compile(r"[\d\s]*")


def classify(prediction: str | None, target: str, object_en: str | None, correct: bool) -> str:
    """One of :data:`CLASSES` for one answer."""
    if correct:
        return "correct"
    norm = normalize_answer(prediction)
    if object_en and normalize_answer(object_en) != normalize_answer(target) and answer_matches(prediction, object_en):
        return "english_leak"
    if _NUMERIC.fullmatch(norm):
        return "incoherent"
    return "other"


def english_objects(klar_dir: Any, langs: Iterable[str], relations: Iterable[str]) -> dict[tuple[str, str, str], str]:
    """``(lang, relation, index) -> object_en`` from the KLAR-CLC files (each sample's ``object_en``)."""
    root = resolve_klar_dir(klar_dir)
    out = {}
    for lang in set(langs):
        for relation in set(relations):
            for s in read_relation_file(root, lang, relation).samples:
                out[lang, relation, str(s["index"])] = s.get("object_en") or ""
    return out


def records_from_run(path: str) -> list[dict[str, Any]]:
    """KLAR records ``{lang, relation, item, prediction, target, correct}`` of one lm-eval output folder, read through
    the project's reader of ``--log_samples`` output."""
    records = [r for run in load_runs([path]) for task in run.benchmarks.get(BENCHMARK, []) for r in run.records(task)]
    if not records:
        raise AnalysisInputError(f"{path}: no KLAR-CLC records in its samples files (run klar_* tasks with "
                                 "--log_samples)")
    out = []
    for r in records:
        for key in ("relation", "prediction", "target"):
            if key not in r:
                raise AnalysisInputError(f"{path}: KLAR record {r.get('lang')}/{r.get('item')} lacks field {key!r}")
        out.append({"lang": r["lang"], "relation": r["relation"], "item": str(r["item"]),
                    "prediction": r["prediction"], "target": r["target"], "correct": bool(r["correct"])})
    return out


AUTHORS_FIELDS = ("language", "relation", "index", "target", "pred", "correct")


def records_from_authors(path: str) -> list[dict[str, Any]]:
    """Records of the authors' ``results/klar/<model>_klar.json`` (``records: [{language, relation, index, target,
    pred, correct}]``)."""
    rows = read_json(path, error=AnalysisInputError).get("records")
    if not isinstance(rows, list):
        raise AnalysisInputError(f"{path}: field 'records' missing or not a list; expected the authors' "
                                 "results/klar/<model>_klar.json")
    out = []
    for i, r in enumerate(rows):
        missing = next((k for k in AUTHORS_FIELDS if not isinstance(r, dict) or k not in r), None)
        if missing:
            raise AnalysisInputError(f"{path} records[{i}]: field {missing!r} missing")
        out.append({"lang": r["language"], "relation": r["relation"], "item": str(r["index"]), "prediction": r["pred"],
                    "target": r["target"], "correct": bool(r["correct"])})
    return out


def _rates(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    n = len(rows)
    counts = {c: sum(r["class"] == c for r in rows) for c in CLASSES}
    counts["empty"] = sum(r["class"] == "incoherent" and not normalize_answer(r["prediction"]) for r in rows)
    counts["numeric"] = counts["incoherent"] - counts["empty"]  # non-empty, only digits (any script) and spaces
    return {"n": n, **counts, **{f"{c}_pct": (100.0 * v / n if n else 0.0) for c, v in counts.items()}}


def analyse(records: Sequence[dict[str, Any]], object_en: Mapping[tuple[str, str, str], str],
            proper: Sequence[str] = PROPER_NOUN_RELATIONS) -> dict[str, Any]:
    """Classes per record and the rates per language, per language x relation, and per proper/common noun group."""
    rows = []
    for r in records:
        en = object_en.get((r["lang"], r["relation"], r["item"]), "")
        rows.append({**r, "object_en": en, "class": classify(r["prediction"], r["target"], en, r["correct"]),
                     "noun": "proper" if r["relation"] in proper else "common"})
    langs = sorted({r["lang"] for r in rows})
    return {
        "per_language": {lang: _rates([r for r in rows if r["lang"] == lang]) for lang in langs},
        "per_relation": {lang: {rel: _rates([r for r in rows if r["lang"] == lang and r["relation"] == rel])
                                for rel in sorted({r["relation"] for r in rows if r["lang"] == lang})}
                         for lang in langs},
        "per_noun_type": {lang: {g: _rates([r for r in rows if r["lang"] == lang and r["noun"] == g])
                                 for g in ("proper", "common")} for lang in langs},
        "proper_noun_relations": list(proper),
        "records": rows,
    }


def regressions(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """Items correct in run A and wrong in run B, per language: how many, B's failure class, proper vs common."""
    before = {(r["lang"], r["relation"], r["item"]): r for r in a["records"]}
    out: dict[str, Any] = {}
    for r in b["records"]:
        prev = before.get((r["lang"], r["relation"], r["item"]))
        if prev is None or not prev["correct"] or r["correct"]:
            continue
        entry = out.setdefault(r["lang"], {"n": 0, **{c: 0 for c in CLASSES[1:]}, "proper": 0, "common": 0})
        entry["n"] += 1
        entry[r["class"]] += 1
        entry[r["noun"]] += 1
    for entry in out.values():
        entry["proper_pct"] = 100.0 * entry["proper"] / entry["n"]
    return out

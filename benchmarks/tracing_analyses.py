"""Fact-tracing analyses at the paper's scale: 12 languages x 1,197 facts x 14 checkpoints.

    python benchmarks/tracing_analyses.py [--checkpoints 14] [--facts 1197] [--repeats 3]

Builds a synthetic frequency file (WIMBD-like: many zeros, heavy tail up to ~6e7) and synthetic per-checkpoint records
in which recall rises with frequency and over training, then times :func:`xlfact.analysis.tracing.analyses.analyse`
(every figure of ``xlfact trace frequency``: recall, CLC, both P(correct | frequency) curves, the classifier, the FN
attribution, for every checkpoint) and the JSON write, best of ``--repeats``. Also times MFT's reference loop for the
classifier (one ``accuracy`` over all facts per observed threshold) on one checkpoint, for the ratio. Prints the
figures measured in this run; the target is "seconds, not minutes".
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

LANGS = ("en", "fr", "es", "ar", "zh", "ru", "ja", "tr", "uk", "ca", "ko", "el")


def synthetic(n_facts: int, n_checkpoints: int, seed: int = 0):
    from xlfact.analysis.tracing.frequencies import parse_frequencies
    from xlfact.analysis.tracing.records import CheckpointRecords

    rng = np.random.default_rng(seed)
    data, freqs = {}, {}
    for k, lang in enumerate(LANGS):
        f = np.where(rng.random(n_facts) < 0.05 + 0.06 * k, 0, np.floor(10 ** rng.uniform(0, 7.8 - 0.3 * k, n_facts)))
        freqs[lang] = f.astype(np.int64)
        data[lang] = {f"rel{r}": [{"subject": f"s{i}", "object": f"o{i}" if k % 3 else f"O{i}", "index": i,
                                   "frequency": int(freqs[lang][i])} for i in range(r, n_facts, 12)] for r in range(12)}
    table = parse_frequencies(data, "synthetic")
    checkpoints = []
    for c in range(n_checkpoints):
        rec = CheckpointRecords(f"step{(c + 1) * 5000}", None)
        for lang in LANGS:
            p = 1 / (1 + np.exp(-(np.log1p(freqs[lang]) - 12 + 0.4 * c)))
            ok = rng.random(n_facts) < p
            for i in range(n_facts):
                rec.add(lang, i, bool(ok[i]))
        checkpoints.append(rec)
    return table, checkpoints


def mft_loop_classifier(freqs: np.ndarray, labels: np.ndarray) -> tuple[int | None, float]:
    best, best_t = 0.0, None
    for t in np.unique(freqs):
        acc = float(np.mean((freqs >= t) == labels))
        if acc > best:
            best, best_t = acc, int(t)
    return best_t, best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoints", type=int, default=14)
    parser.add_argument("--facts", type=int, default=1197)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    from xlfact.analysis.tracing.analyses import analyse, language_arrays, threshold_classifier
    from xlfact.core.atomic import write_json_atomic

    t0 = time.perf_counter()
    table, checkpoints = synthetic(args.facts, args.checkpoints)
    build = time.perf_counter() - t0
    times, writes = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            result = analyse(table, checkpoints)
            times.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            write_json_atomic(Path(tmp) / "o.json", result)
            writes.append(time.perf_counter() - t0)
        size = (Path(tmp) / "o.json").stat().st_size
    arrays = [language_arrays(table, lang, checkpoints[-1], False) for lang in LANGS]
    t0 = time.perf_counter()
    ours = [threshold_classifier(a.indices, a.freqs, a.labels) for a in arrays]
    t_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    loop = [mft_loop_classifier(a.freqs, a.labels) for a in arrays]
    t_loop = time.perf_counter() - t0
    assert [(o["best_threshold"], o["best_accuracy"]) for o in ours] == [(t, a if t is not None else 0.0)
                                                                         for t, a in loop]
    last = result["checkpoints"][result["order"][-1]]
    print(json.dumps({
        "languages": len(LANGS), "facts_per_language": args.facts, "checkpoints": args.checkpoints,
        "synthetic_data_build_s": round(build, 3),
        "analyse_all_checkpoints_s_best": round(min(times), 3), "analyse_s_all": [round(t, 3) for t in times],
        "json_write_s_best": round(min(writes), 3), "json_mb": round(size / 1e6, 2),
        "classifier_vectorised_s_12_languages": round(t_ours, 4),
        "classifier_mft_loop_s_12_languages": round(t_loop, 4),
        "classifier_speedup": round(t_loop / t_ours, 1) if t_ours else None,
        "final_overall_acc": round(last["recall"]["overall_acc"], 4), "final_clc": round(last["clc"]["overall"], 4),
        "note": "wall times on a shared, loaded 2-core machine",
    }, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

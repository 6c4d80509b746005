"""KLAR-CLC speed: matcher throughput on the authors' 15,714 published pairs, and generation wall time per item.

    python benchmarks/klar_matcher.py [--klar-dir DIR] [--reference FILE] [--model DIR] [--limit N]

(a) the shared matcher (:func:`xlfact.evaluators.matching.answer_matches`, lenient and exact) over every
    (prediction, target) pair of ``reference-outputs/klar/OLMo-2-1124-7B_klar.json``, best of several repeats — it
    should take far below one second — and the verdicts it gives against the authors';
(b) ``klar_all`` through lm-eval's hf backend with ``--limit N`` per language, model load excluded: wall time per item,
    split into building the documents (reading and validating the 340 files, prompts) and the rest (generation and
    scoring). Without ``--model`` a tiny Llama is built offline (xlfact.training.tiny_models) — a plumbing figure, not a
    model's; ``--model DIR`` times a real checkpoint (e.g. the demo's SmolLM2-135M-Instruct cache).

Prints one block of figures measured in this run; nothing is compared against a stored number.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


def matcher_throughput(reference: Path, repeats: int = 5) -> dict:
    from xlfact.evaluators.matching import answer_matches

    records = json.loads(reference.read_text(encoding="utf-8"))["records"]
    pairs = [(r["pred"], r["target"]) for r in records]
    best = {"lenient": float("inf"), "exact": float("inf")}
    verdicts: dict[str, list[bool]] = {}
    for mode in best:
        for _ in range(repeats):
            start = time.perf_counter()
            verdicts[mode] = [answer_matches(p, t, mode) for p, t in pairs]
            best[mode] = min(best[mode], time.perf_counter() - start)
    agree = sum(v == r["correct"] for v, r in zip(verdicts["lenient"], records))
    return {
        "pairs": len(pairs),
        "lenient_s": best["lenient"],
        "exact_s": best["exact"],
        "pairs_per_s": len(pairs) / best["lenient"],
        "agree": agree,
        "correct_lenient": sum(verdicts["lenient"]),
        "correct_exact": sum(verdicts["exact"]),
    }


def tiny_model(klar_dir: Path, out: Path) -> Path:
    from xlfact.evaluators.klar import LANGUAGES
    from xlfact.tasks.klar.data import load_documents
    from xlfact.training.tiny_models import build_tiny_llama

    texts = []
    for lang in LANGUAGES:
        texts += [d["prompt"] + d["target"] for d in load_documents(klar_dir, lang)[::200]]
    return build_tiny_llama(out, texts, max_positions=2048, seed=0)


def generation_timing(klar_dir: Path, model: Path, limit: int, batch_size: int) -> dict:
    from lm_eval.api.instance import Instance
    from lm_eval.evaluator import simple_evaluate
    from lm_eval.models.huggingface import HFLM
    from lm_eval.tasks import TaskManager

    from xlfact.evaluators.klar import LANGUAGES
    from xlfact.tasks import tasks_dir
    from xlfact.tasks.klar.data import load_documents

    start = time.perf_counter()
    n_docs = sum(len(load_documents(klar_dir, lang)) for lang in LANGUAGES)
    build_s = time.perf_counter() - start

    lm = HFLM(pretrained=str(model), dtype="float32", device="cpu", batch_size=batch_size)
    # generation alone: the same requests the tasks send (prompt, the template's generation kwargs)
    docs = [d for lang in LANGUAGES for d in load_documents(klar_dir, lang)[:limit]]
    kwargs = {"until": [], "max_gen_toks": 10, "do_sample": False, "temperature": 0.0}
    requests = [Instance("generate_until", doc, (doc["prompt"], dict(kwargs)), idx=0) for doc in docs]
    start = time.perf_counter()
    lm.generate_until(requests, disable_tqdm=True)
    generate_s = time.perf_counter() - start
    manager = TaskManager(include_path=str(tasks_dir()), include_defaults=False, metadata={"klar_dir": str(klar_dir)})
    start = time.perf_counter()
    results = simple_evaluate(model=lm, tasks=["klar_all"], task_manager=manager, limit=limit, log_samples=False)
    total_s = time.perf_counter() - start
    n_items = sum(results["results"][f"klar_{lang}"]["sample_len"] for lang in LANGUAGES)
    return {
        "documents_built": n_docs,
        "build_all_documents_s": build_s,
        "items": n_items,
        "eval_s": total_s,
        "per_item_s": total_s / n_items,
        "generate_per_item_s": generate_s / len(requests),
        "acc": results["results"]["klar_all"]["acc,none"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--klar_dir", type=Path, default=Path(os.environ.get("XLFACT_KLAR_DIR") or
                                                              SHARED / "data" / "KLAR-CLC"))
    parser.add_argument("--klar-dir", dest="klar_dir", type=Path,
                   help=argparse.SUPPRESS)  # old spelling
    parser.add_argument("--reference", type=Path,
                        default=SHARED / "reference-outputs" / "klar" / "OLMo-2-1124-7B_klar.json")
    parser.add_argument("--model", type=Path, help="checkpoint to time (default: a tiny Llama built offline)")
    parser.add_argument("--limit", type=int, default=10, help="documents per language for (b)")
    parser.add_argument("--batch_size", type=int, default=16)
    parser.add_argument("--batch-size", dest="batch_size", type=int,
                   help=argparse.SUPPRESS)  # old spelling
    parser.add_argument("--skip_generation", action="store_true", help="only (a)")
    parser.add_argument("--skip-generation", dest="skip_generation", action="store_true",
                   help=argparse.SUPPRESS)  # old spelling
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

    if not args.reference.is_file():
        print(f"reference outputs not found: {args.reference}", file=sys.stderr)
        return 2
    m = matcher_throughput(args.reference)
    print(f"(a) matcher: {m['pairs']} pairs, lenient {m['lenient_s'] * 1e3:.1f} ms, exact {m['exact_s'] * 1e3:.1f} ms "
          f"(best of 5) = {m['pairs_per_s']:,.0f} pairs/s; verdicts agreeing with the authors' {m['agree']}/"
          f"{m['pairs']}; correct lenient {m['correct_lenient']}, exact {m['correct_exact']}")
    if args.skip_generation:
        return 0
    import torch

    torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
    with tempfile.TemporaryDirectory() as tmp:
        model = args.model or tiny_model(args.klar_dir, Path(tmp) / "tiny")
        g = generation_timing(args.klar_dir, model, args.limit, args.batch_size)
    label = str(args.model) if args.model else "tiny Llama (hidden 64, 2 layers)"
    print(f"(b) generation, {label}, {torch.get_num_threads()} thread(s), batch {args.batch_size}: klar_all "
          f"--limit {args.limit} = {g['items']} items in {g['eval_s']:.2f} s = {g['per_item_s'] * 1e3:.1f} ms/item "
          f"through lm-eval (model load excluded; it builds every document of each language, {g['documents_built']} "
          f"in all, which alone takes {g['build_all_documents_s']:.2f} s); generation alone "
          f"{g['generate_per_item_s'] * 1e3:.1f} ms/item; klar_all acc {g['acc']:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""PolyFact evaluation throughput: xlfact through lm-eval vs. the raw forward-pass floor vs. the authors' batching.

Measured in one run, model load excluded, on the embedded default (SmolLM2-135M-Instruct):

  (a) xlfact's PolyFact task through lm-eval's ``hf`` backend (per-token re-tokenisation included);
  (b) the floor: the same token sequences as lm-eval scores them, batched forward passes sorted by length;
  (c) the authors' evaluator style: 8 facts x 4 options per forward batch, right padding, dataset order.

Prints a/b (target <= 1.1: per-token counting costs under 10%), c/a (target >= 1.25) and options per second.
It also prints the accuracies of (a), so a run doubles as a check of the scoring against stock lm-eval figures.

  python benchmarks/polyfact_throughput.py                      # bundled sample, English
  python benchmarks/polyfact_throughput.py --shared-english     # 100 real PolyFact English test facts (../shared)
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

OPTION_FIELDS = ("option_a", "option_b", "option_c", "option_d")


def shared_english_dir(shared: Path, out: Path) -> Path:
    """Write ../shared's 100 English PolyFact test facts in the hub layout (a tmp copy, never into the repo)."""
    data = json.loads((shared / "data" / "polyfact_verification_samples" / "polyfact_eval_en.json").read_text())
    (out / "en").mkdir(parents=True, exist_ok=True)
    with (out / "en" / "test.jsonl").open("w", encoding="utf-8") as handle:
        for item in data["items"]:
            row = {k: item[k] for k in ("fact_id", "language", "subject", "relation", "object", "question")}
            row.update({field: item["options"][letter] for field, letter in zip(OPTION_FIELDS, "ABCD")})
            row.update(answer_text=item["answer_text"], answer_index=item["answer_index"])
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    return out


def encode_pairs(tokenizer, rows, lang: str):
    """(context ids, continuation ids) per option, exactly as lm-eval's ``_encode_pair`` splits them."""
    from xlfact.evaluators.multiple_choice import split_like_lm_eval

    pairs = []
    for row in rows:
        ctx = f"Question: {row['question']}\nAnswer:"
        for option in row["options"]:
            context, whole = split_like_lm_eval(ctx, " " + option)
            c = tokenizer(context, add_special_tokens=False)["input_ids"]
            w = tokenizer(whole, add_special_tokens=False)["input_ids"]
            pairs.append((c, w[len(c):]))
    return pairs


def score_batches(model, batches, pad_id: int) -> list[float]:
    """Summed continuation log-probs of each (context, continuation) pair, batch by batch, right-padded."""
    import torch

    out = []
    with torch.inference_mode():
        for batch in batches:
            seqs = [(c + k)[:-1] for c, k in batch]
            width = max(len(s) for s in seqs)
            ids = torch.full((len(seqs), width), pad_id, dtype=torch.long)
            mask = torch.zeros((len(seqs), width), dtype=torch.long)
            for i, s in enumerate(seqs):
                ids[i, : len(s)] = torch.tensor(s)
                mask[i, : len(s)] = 1
            logprobs = torch.log_softmax(model(input_ids=ids, attention_mask=mask).logits.float(), dim=-1)
            for i, (c, k) in enumerate(batch):
                start = len(c) - 1
                positions = torch.arange(start, start + len(k))
                out.append(float(logprobs[i, positions, torch.tensor(k)].sum()))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data_dir", default=None, help="PolyFact data in the hub layout (default: bundled sample)")
    parser.add_argument("--shared-english", action="store_true", help="use ../shared's 100 English test facts")
    parser.add_argument("--lang", default="en")
    parser.add_argument("--batch_size", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--model_dir", default=None, help="checkpoint folder (default: the embedded SmolLM2)")
    args = parser.parse_args()

    os.environ.update({"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"})
    import torch
    from lm_eval.evaluator import simple_evaluate
    from lm_eval.models.huggingface import HFLM
    from lm_eval.tasks import TaskManager
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from xlfact.cli.demo import bundled_polyfact_dir, ensure_default_model
    from xlfact.tasks import tasks_dir
    from xlfact.tasks.polyfact.data import load_polyfact

    torch.set_num_threads(args.threads)
    tmp = Path(tempfile.mkdtemp(prefix="xlfact-bench-"))
    if args.shared_english:
        shared = Path(__file__).resolve().parents[1].parent / "shared"
        data_dir = shared_english_dir(shared, tmp / "data")
        args.lang = "en"
    else:
        data_dir = Path(args.data_dir) if args.data_dir else bundled_polyfact_dir()
    model_dir = Path(args.model_dir) if args.model_dir else ensure_default_model()
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()
    rows = load_polyfact(args.lang, data_dir=data_dir)
    n_options = 4 * len(rows)

    # (a) xlfact through lm-eval's hf backend
    lm = HFLM(pretrained=model, tokenizer=tokenizer, batch_size=args.batch_size, device="cpu")
    manager = TaskManager(
        include_path=str(tasks_dir()), include_defaults=False,
        metadata={"data_dir": str(data_dir), "tokenizer": tokenizer},
    )
    start = time.perf_counter()
    result = simple_evaluate(model=lm, tasks=[f"polyfact_{args.lang}"], task_manager=manager, log_samples=False)
    time_a = time.perf_counter() - start
    figures = result["results"][f"polyfact_{args.lang}"]

    pairs = encode_pairs(tokenizer, rows, args.lang)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    # (b) floor: sorted by total length (longest first, as lm-eval does), fixed batch size
    ordered = sorted(pairs, key=lambda p: -(len(p[0]) + len(p[1])))
    batches_b = [ordered[i : i + args.batch_size] for i in range(0, len(ordered), args.batch_size)]
    start = time.perf_counter()
    score_batches(model, batches_b, pad)
    time_b = time.perf_counter() - start
    # (c) the authors' style: 8 facts x 4 options per batch, dataset order
    batches_c = [pairs[i : i + 32] for i in range(0, len(pairs), 32)]
    start = time.perf_counter()
    score_batches(model, batches_c, pad)
    time_c = time.perf_counter() - start

    print(f"model {model_dir.name}, data {data_dir} [{args.lang}], {len(rows)} facts, {n_options} options, "
          f"batch {args.batch_size}, {args.threads} threads")
    print("accuracy (a): " + ", ".join(
        f"{m} {figures[f'{m},none']:.4f}" for m in ("acc", "acc_sum", "acc_norm", "acc_bytes")))
    print(f"(a) xlfact via lm-eval hf : {time_a:7.2f} s  {n_options / time_a:7.1f} options/s")
    print(f"(b) floor, sorted batches : {time_b:7.2f} s  {n_options / time_b:7.1f} options/s")
    print(f"(c) authors' style        : {time_c:7.2f} s  {n_options / time_c:7.1f} options/s")
    print(f"a/b = {time_a / time_b:.3f}  (target <= 1.1)")
    print(f"c/a = {time_c / time_a:.3f}  (target >= 1.25)")


if __name__ == "__main__":
    main()

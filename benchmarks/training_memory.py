"""Training memory: peak resident memory of the shipped SmolLM2 CPU recipes, run as a user runs them.

    python benchmarks/training_memory.py [--plan sft_smollm2_cpu,grpo_smollm2_cpu,cpt_smollm2_cpu] [--steps 2]
                                         [--limit-gb 9] [--set sft_smollm2_cpu:training.activation_checkpointing=false]

Each measurement is one ``xlfact train <recipe> --config training/configs/<recipe>.yaml`` command in its own process
(one at a time), with only the overrides a user must give (the model folder, the data, the output folder) and
``training.max_steps`` (every override is printed in the table): the recipe is measured as shipped, at its own batch
size (SFT 10 facts x 3 languages x 4 options; GRPO 12 completions; CPT 8 chunks). SFT and GRPO train on the bundled
PolyFact sample (en/de/ru, 50 facts); CPT on a synthetic parallel corpus (:mod:`xlfact.training.synthetic`, 100
facts in en/de/ru). ``--set RECIPE:key=value`` adds an override to one recipe (to show what a setting costs, e.g.
checkpointing off); such a row is marked as not shipped.

Peak RSS is the child's own ``ru_maxrss`` (``os.wait4`` on that process: model, data, before/after scoring, training,
saving). A watchdog kills a run whose RSS passes ``--limit-gb`` (the machine may be shared), reported as such. The
guard (issue #20): ``tests/test_training_memory.py`` runs the SFT recipe at batch 10 with :func:`measure_command` and
fails above 6 GB. Printed last: an estimate for the shipped 7B recipes on one 80 GB GPU (from sizes, not measured).
Recorded numbers, with the date and library versions: benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CONFIGS = REPO / "training" / "configs"
OFFLINE = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}


def measure_command(argv: list[str], limit_gb: float | None = None, env: dict[str, str] | None = None,
                    log_path: Path | None = None) -> dict:
    """Run ``argv`` to completion; ``{"peak_rss_gb", "returncode", "killed", "wall_s"}`` of that process.

    The peak is ``ru_maxrss`` from ``os.wait4`` on the child itself (not ``RUSAGE_CHILDREN``, which would mix in
    every earlier child of the caller). Above ``limit_gb`` resident the child is killed (``killed: True``; its peak
    is then at least the limit)."""
    env = {**os.environ, **OFFLINE, **(env or {})}
    env.setdefault("OMP_NUM_THREADS", "2")
    log = open(log_path, "w", encoding="utf-8") if log_path else subprocess.DEVNULL  # noqa: SIM115
    start = time.perf_counter()
    try:
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=REPO.parent)
        killed = threading.Event()

        def watch() -> None:
            while proc.returncode is None:
                try:
                    status = Path(f"/proc/{proc.pid}/status").read_text()
                    rss_kb = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS")))
                except (OSError, StopIteration, ValueError):
                    return
                if limit_gb and rss_kb > limit_gb * 1024 * 1024:
                    killed.set()
                    proc.kill()
                    return
                time.sleep(0.2)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        watcher.join(timeout=1)
    finally:
        if log_path:
            log.close()
    return {"peak_rss_gb": usage.ru_maxrss / 1024 / 1024, "returncode": proc.returncode, "killed": killed.is_set(),
            "wall_s": time.perf_counter() - start}


def train_command(recipe_file: str, overrides: list[str]) -> list[str]:
    """``xlfact train <recipe> --config <file> key=value ...`` as a user types it (the recipe read from the file)."""
    import yaml

    recipe = yaml.safe_load((CONFIGS / f"{recipe_file}.yaml").read_text(encoding="utf-8"))["recipe"]
    return [sys.executable, "-m", "xlfact.cli", "train", recipe, "--config",
            str(CONFIGS / f"{recipe_file}.yaml"), *overrides]


def user_overrides(recipe_file: str, model: Path, sample: Path, corpus: Path, out: Path, steps: int) -> list[str]:
    """What a user must give on the command line (model, data, output folder), plus the number of steps."""
    data = [f"data.sources=[{{path: {corpus}}}]"] if recipe_file.startswith("cpt") else [f"data.data_dir={sample}"]
    return [f"model.name_or_path={model}", *data, f"output_dir={out}", f"training.max_steps={steps}"]


def estimate_7b() -> str:
    """Memory of the shipped 7B recipes on one 80 GB GPU, from parameter counts (OLMo-2-1124-7B sizes)."""
    layers, hidden, mlp, vocab, params = 32, 4096, 11008, 100_352, 7.30e9
    weights = params * 2 / 1e9  # bf16
    attention_lora = layers * 4 * 64 * (hidden + hidden)
    all_linear_lora = attention_lora + layers * 3 * 64 * (hidden + mlp)
    adam = lambda n: n * (4 + 4 + 8) / 1e9  # fp32 weights, grads, two moments  # noqa: E731
    sft_tokens = 8 * 12 * 110  # 8 facts x 12 languages x ~110-token MCQ prompts
    sft_ckpt = layers * sft_tokens * hidden * 2 / 1e9  # one bf16 layer input kept per layer
    sft_layer = sft_tokens * (4 * hidden + 3 * mlp) * 2 * 2 / 1e9  # one layer recomputed, with its gradients
    sft_logits = 8 * 12 * 2 * vocab * 4 / 1e9  # logits_to_keep: 2 positions per sequence (mcq)
    sft = weights + adam(attention_lora) + sft_ckpt + sft_layer + sft_logits
    grpo_kv = 96 * (250 + 48) * layers * 2 * hidden * 2 / 1e9  # generation batch 96, prompt ~250 + 48 new tokens
    grpo_tokens = 24 * 300
    grpo_act = layers * grpo_tokens * hidden * 2 / 1e9 + grpo_tokens * (4 * hidden + 3 * mlp) * 4 / 1e9
    grpo_logits = 24 * 48 * vocab * 4 / 1e9 * 2  # completion logits and their log-softmax
    grpo = weights + adam(all_linear_lora) + grpo_kv + grpo_act + grpo_logits
    return (f"7B estimate (OLMo-2-1124-7B, bf16, one 80 GB GPU; from sizes, not measured): weights {weights:.1f} GB; "
            f"SFT (attention LoRA, 8 facts x 12 languages, grad. checkpointing) ~{sft:.0f} GB; GRPO (all-linear "
            f"LoRA, generation batch 96, micro-batch 24, grad. checkpointing, transformers generation) ~{grpo:.0f} "
            "GB — both fit; with vLLM colocate add its gpu_memory_utilization share (0.3 x 80 GB).")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plan", default="sft_smollm2_cpu,grpo_smollm2_cpu,cpt_smollm2_cpu",
                        help="recipe files (training/configs/<name>.yaml), run in order")
    parser.add_argument("--set", action="append", default=[], metavar="RECIPE:KEY=VALUE",
                        help="an extra override for one recipe (its row is marked 'not as shipped')")
    parser.add_argument("--limit_gb", type=float, default=9.0)
    parser.add_argument("--limit-gb", dest="limit_gb", type=float, help=argparse.SUPPRESS)  # old spelling
    parser.add_argument("--steps", type=int, default=2)
    args = parser.parse_args()
    sys.path.insert(0, str(REPO.parent))
    from xlfact.cli.demo import bundled_polyfact_dir, ensure_default_model
    from xlfact.training.model_io import library_versions
    from xlfact.training.synthetic import write_synthetic_parallel_corpus

    extra: dict[str, list[str]] = {}
    for item in args.set:
        recipe, _, override = item.partition(":")
        extra.setdefault(recipe, []).append(override)
    model, sample = ensure_default_model(), bundled_polyfact_dir()
    versions = library_versions()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        corpus = write_synthetic_parallel_corpus(Path(tmp) / "corpus.jsonl")
        for i, recipe in enumerate(x for x in args.plan.split(",") if x):
            out = Path(tmp) / f"run{i}"
            overrides = user_overrides(recipe, model, sample, corpus, out, args.steps) + extra.get(recipe, [])
            result = measure_command(train_command(recipe, overrides), args.limit_gb,
                                     log_path=Path(tmp) / f"run{i}.log")
            result["overrides"] = extra.get(recipe, [])
            rows.append((recipe, result))
            print(recipe, json.dumps(result), flush=True)
    print(f"\n{time.strftime('%Y-%m-%d')}, torch {versions['torch']}, transformers {versions['transformers']}, "
          f"peft {versions['peft']}, trl {versions['trl']}, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', '2')}, "
          f"{args.steps} steps")
    print("\n| recipe | extra overrides | peak RSS (GB) | exit | wall (s) |\n|---|---|---|---|---|")
    for recipe, r in rows:
        peak = f"> {args.limit_gb:.0f} (killed)" if r["killed"] else f"{r['peak_rss_gb']:.2f}"
        print(f"| {recipe} | {' '.join(r['overrides']) or 'none (as shipped)'} | {peak} | {r['returncode']} "
              f"| {r['wall_s']:.0f} |")
    print("\n" + estimate_7b())
    return 0


if __name__ == "__main__":
    sys.exit(main())

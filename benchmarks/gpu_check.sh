#!/usr/bin/env bash
# One-shot GPU check (benchmarks/gpu_check.py): PolyFact scoring with stock hf, xlfact-hf and vLLM, LAPE over a fixed
# token budget and one LAHIS pass, on a 7B-architecture Llama with random weights; prints a table. Needs xlfact
# importable (pip install -e ".[vllm]" for the vLLM column). Extra arguments go to gpu_check.py, e.g.
#   bash benchmarks/gpu_check.sh --out gpu_check.json
#   bash benchmarks/gpu_check.sh --config tiny --device cpu --langs en --limit 5 --no-vllm   # CI, no GPU
# GPU_CHECK_TIMEOUT (default 480 s: the 8-minute target on one H100) stops a run that overruns it.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python}"
if command -v nvidia-smi >/dev/null 2>&1; then
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
fi
exec timeout "${GPU_CHECK_TIMEOUT:-480}" "$PYTHON" benchmarks/gpu_check.py "$@"

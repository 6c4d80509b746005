"""Backend independence of the per-token rule, through lm-eval's own ``TemplateLM`` interface.

vLLM cannot run on a CPU-only machine, but lm-eval's vLLM backend (like every ``TemplateLM``) scores continuations
through ``TemplateLM._encode_pair`` with its tokenizer's special-token policy. A ``TemplateLM`` that records the
continuation tokens it was asked to score — with a tokenizer that prepends BOS, as vLLM's default does — shows that the
task divides by exactly the number of tokens the backend scored, with few-shot contexts and chat templates too.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from lm_eval.api.model import TemplateLM

from xlfact.tasks import tasks_dir


class RecordingLM(TemplateLM):
    """Scores every continuation token as log(0.5) and remembers how many tokens each request had."""

    def __init__(self, tokenizer, add_bos: bool = True):
        super().__init__()
        self.tokenizer = tokenizer
        self.add_bos = add_bos
        self.scored: dict[tuple[str, str], int] = {}

    @property
    def eot_token_id(self) -> int:
        return self.tokenizer.eos_token_id

    def tok_encode(self, string, add_special_tokens=None, **kwargs):
        ids = self.tokenizer(string, add_special_tokens=False)["input_ids"]
        return [self.tokenizer.bos_token_id, *ids] if (add_special_tokens is not False and self.add_bos) else ids

    def _loglikelihood_tokens(self, requests, **kwargs):
        out = []
        for (context, continuation), _ctx, cont in requests:
            self.scored[(context, continuation)] = len(cont)
            out.append((-0.6931471805599453 * len(cont) - 0.01 * len(continuation), False))
        return out

    def loglikelihood_rolling(self, requests, disable_tqdm=False):
        raise NotImplementedError

    def generate_until(self, requests, disable_tqdm=False):
        raise NotImplementedError

    def apply_chat_template(self, chat_history, add_generation_prompt=True):
        return self.tokenizer.apply_chat_template(chat_history, tokenize=False,
                                                  add_generation_prompt=add_generation_prompt)

    @property
    def tokenizer_name(self) -> str:
        return "recording"

    def chat_template(self, chat_template=False):
        return self.tokenizer.chat_template


CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}</s>\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)


@pytest.mark.parametrize("mode", ["zero_shot", "few_shot", "chat_template"])
def test_token_counts_equal_what_the_backend_scored(mode, tiny_model_dir, polyfact_fixture_dir):
    from lm_eval.evaluator import simple_evaluate
    from lm_eval.tasks import TaskManager
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    tokenizer.chat_template = CHAT_TEMPLATE
    lm = RecordingLM(tokenizer)
    manager = TaskManager(include_path=str(tasks_dir()), include_defaults=False,
                          metadata={"data_dir": str(polyfact_fixture_dir), "tokenizer": tokenizer})
    kwargs = {"num_fewshot": 2} if mode == "few_shot" else {}
    if mode == "chat_template":
        kwargs["apply_chat_template"] = True
    result = simple_evaluate(model=lm, tasks=["polyfact_de", "polyfact_ru"], task_manager=manager,
                             log_samples=True, **kwargs)
    checked = 0
    for samples in result["samples"].values():
        for sample in samples:
            record = sample["total_consistency"]
            for (context, continuation), count in zip(sample["arguments"], record["token_counts"]):
                assert count == lm.scored[(context, continuation)]
                checked += 1
            if mode == "few_shot":
                assert sample["arguments"][0][0].count("Answer:") == 3
            if mode == "chat_template":
                assert "<|assistant|>" in sample["arguments"][0][0]
    assert checked == 2 * 6 * 4


def test_vllm_is_never_imported_unless_used(polyfact_fixture_dir):
    code = (
        "import sys, xlfact, xlfact.cli, xlfact.evaluators, xlfact.tasks.polyfact.utils, xlfact.cli.eval\n"
        "from lm_eval.tasks import TaskManager\n"
        f"TaskManager(include_path={str(tasks_dir())!r}, include_defaults=False,\n"
        f"            metadata={{'data_dir': {str(polyfact_fixture_dir)!r}}}).load(['polyfact_de'])\n"
        "assert 'vllm' not in sys.modules, 'vllm was imported'\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]

"""``--model xlfact-hf`` scores exactly what stock ``hf`` scores, with each distinct context run once.

Bulk checks use the tiny Llama (seconds); the real-model check runs SmolLM2-135M-Instruct on the 100 real English
PolyFact facts in ../shared. Equality is: per option, float32 log-likelihood within 1e-4 and the same greedy flag; per
document, the same per-token / sum / norm / bytes verdicts.
"""

from __future__ import annotations

import json
from importlib import import_module
from pathlib import Path

import pytest
import torch

from xlfact.tasks import tasks_dir

TOL = 1e-4
VERDICTS = ("acc", "acc_sum", "acc_norm", "acc_bytes")
CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}</s>\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)


def _pair(model_dir: Path, batch_size: int = 8, **kwargs):
    """Stock HFLM and xlfact-hf around one model object (so only the scoring path differs)."""
    from lm_eval.models.huggingface import HFLM
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from xlfact.models.shared_prefix import SharedPrefixHFLM

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()
    stock = HFLM(pretrained=model, tokenizer=tokenizer, batch_size=batch_size, device="cpu", **kwargs)
    shared = SharedPrefixHFLM(pretrained=model, tokenizer=tokenizer, batch_size=batch_size, device="cpu", **kwargs)
    return stock, shared, tokenizer


def _assert_same_scores(stock_out, shared_out):
    assert len(stock_out) == len(shared_out)
    for (a, greedy_a), (b, greedy_b) in zip(stock_out, shared_out):
        assert abs(a - b) <= TOL, (a, b)
        assert greedy_a == greedy_b


def _evaluate_both(stock, shared, tokenizer, tasks, data_dir, **kwargs):
    from lm_eval.evaluator import simple_evaluate
    from lm_eval.tasks import TaskManager

    out = []
    for lm in (stock, shared):
        manager = TaskManager(include_path=str(tasks_dir()), include_defaults=False,
                              metadata={"data_dir": str(data_dir), "tokenizer": tokenizer})
        out.append(simple_evaluate(model=lm, tasks=tasks, task_manager=manager, log_samples=True, **kwargs))
    return out


def _assert_same_samples(stock_result, shared_result) -> int:
    """Every option's score and greedy flag, every document's verdicts; returns the number of options compared."""
    options = 0
    assert stock_result["samples"].keys() == shared_result["samples"].keys()
    for task, samples in stock_result["samples"].items():
        others = shared_result["samples"][task]
        assert [s["doc_id"] for s in samples] == [s["doc_id"] for s in others]
        for a, b in zip(samples, others):
            assert a["arguments"] == b["arguments"]
            _assert_same_scores([tuple(r) for r in a["filtered_resps"]], [tuple(r) for r in b["filtered_resps"]])
            for metric in VERDICTS:
                assert a[metric] == b[metric], (task, a["doc_id"], metric)
            options += len(a["filtered_resps"])
    return options


# ------------------------------------------------------------------------------------------------ registration
def test_backend_is_registered_and_declared():
    from lm_eval.api.registry import get_model

    import xlfact.models  # noqa: F401
    from xlfact.models.shared_prefix import SharedPrefixHFLM

    assert get_model("xlfact-hf") is SharedPrefixHFLM
    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11
    project = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())["project"]
    models = project["entry-points"]["lm_eval.models"]
    module, name = models["xlfact-hf"].split(":")
    assert getattr(import_module(module), name) is SharedPrefixHFLM
    tasks_entry = project["entry-points"]["lm_eval.tasks"]["xlfact"]
    assert Path(import_module(tasks_entry).__file__).resolve().parent == tasks_dir()


# ------------------------------------------------------------------------------------------------ token level
def test_raw_requests_batching_padding_and_fallbacks(tiny_model_dir):
    """Mixed context and continuation lengths, a context with more continuations than the batch, a one-token
    context and a request lm-eval must truncate (both fall back), batch sizes 1 and 3."""
    stock, shared, tokenizer = _pair(tiny_model_dir, batch_size=3, max_length=40)
    ids = tokenizer("Question: What is the capital of France?\nAnswer: Paris Berlin Rome Madrid Tokyo",
                    add_special_tokens=False)["input_ids"]
    long_context = (ids * 4)[:38]
    requests = [(None, ids[:12], ids[12:13 + k]) for k in range(6)]  # 6 options, one context, batch 3
    requests += [(None, ids[:5], ids[5:7]), (None, ids[:7], ids[7:8]), (None, ids[:5], ids[9:12])]
    requests += [(None, ids[:1], ids[1:4]), (None, long_context, ids[:6])]
    expected = stock._loglikelihood_tokens(requests, disable_tqdm=True)
    _assert_same_scores(expected, shared._loglikelihood_tokens(requests, disable_tqdm=True))
    assert shared.sharing_stats["shared"] == len(requests) - 2 and shared.sharing_stats["fallback"] == 2
    assert shared.sharing_stats["passes"] == 3  # 9 shared requests: 3 + 3 (one context, split) + 1 + 2 together
    shared.batch_size_per_gpu = 1
    _assert_same_scores(expected, shared._loglikelihood_tokens(requests, disable_tqdm=True))
    assert shared.sharing_stats["passes"] == 3 + len(requests) - 2  # one request per pass at batch size 1
    shared.batch_size_per_gpu, shared.row_tokens = 3, 12  # rows cut by length: contexts 7 and 5 no longer share
    _assert_same_scores(expected, shared._loglikelihood_tokens(requests, disable_tqdm=True))
    assert shared.sharing_stats["passes"] == 3 + 9 + 4  # rows [12+0+1+2] [12+3+4+5] [7+0] [5+1+2]


def test_a_model_that_packs_wrongly_falls_back(tiny_model_dir, monkeypatch):
    """The probe compares a small packed pass with the stock path; a mismatch means stock scoring throughout."""
    from xlfact.models.shared_prefix import SharedPrefixHFLM

    stock, shared, tokenizer = _pair(tiny_model_dir, batch_size=4)
    real = SharedPrefixHFLM._packed_pass

    def off_by_one(self, units):
        return [[(score + 1.0, greedy) for score, greedy in unit] for unit in real(self, units)]

    monkeypatch.setattr(SharedPrefixHFLM, "_packed_pass", off_by_one)
    text = "Question: What is the capital of Italy?\nAnswer: Rome Milan"
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    requests = [(None, ids[:8], ids[8:9 + k]) for k in range(3)]
    _assert_same_scores(stock._loglikelihood_tokens(requests, disable_tqdm=True),
                        shared._loglikelihood_tokens(requests, disable_tqdm=True))
    assert shared.sharing_stats == {"shared": 0, "fallback": 3, "passes": 0}


def test_rolling_and_generation_are_stock(tiny_model_dir):
    from lm_eval.api.instance import Instance

    stock, shared, _ = _pair(tiny_model_dir, batch_size=4)
    texts = ["Question: What is the capital of Spain?\nAnswer: Madrid", "Berlin Paris Rome"]
    rolling = [Instance("loglikelihood_rolling", {}, (t,), i) for i, t in enumerate(texts)]
    for a, b in zip(stock.loglikelihood_rolling(rolling, disable_tqdm=True),
                    shared.loglikelihood_rolling(rolling, disable_tqdm=True)):
        assert a == b  # the stock path itself: bit-identical
    gen = [Instance("generate_until", {}, (t, {"until": ["\n"], "max_gen_toks": 5, "do_sample": False}), i)
           for i, t in enumerate(texts)]
    assert stock.generate_until(gen, disable_tqdm=True) == shared.generate_until(gen, disable_tqdm=True)
    assert shared.sharing_stats["shared"] == 0


# ------------------------------------------------------------------------------------------------ through lm-eval
def test_bundled_sample_all_languages_tiny_model(tiny_model_dir, bundled_polyfact_dir):
    stock, shared, tokenizer = _pair(tiny_model_dir, batch_size=16)
    a, b = _evaluate_both(stock, shared, tokenizer, ["polyfact_all"], bundled_polyfact_dir)
    n = _assert_same_samples(a, b)
    assert n == sum(4 * len(s) for s in a["samples"].values()) and len(a["samples"]) == 12
    assert shared.sharing_stats["shared"] == n and shared.sharing_stats["fallback"] == 0
    assert shared.sharing_stats["passes"] < n / 8  # on average more than two questions (8 options) per pass


@pytest.mark.parametrize("mode", ["few_shot", "chat_template"])
def test_few_shot_chat_template_and_limit(mode, tiny_model_dir, polyfact_fixture_dir):
    stock, shared, tokenizer = _pair(tiny_model_dir, batch_size=5)
    tokenizer.chat_template = CHAT_TEMPLATE
    kwargs = {"num_fewshot": 2} if mode == "few_shot" else {"apply_chat_template": True}
    a, b = _evaluate_both(stock, shared, tokenizer, ["polyfact_de", "polyfact_ru"], polyfact_fixture_dir,
                          limit=4, **kwargs)
    assert _assert_same_samples(a, b) == 2 * 4 * 4
    context = a["samples"]["polyfact_de"][0]["arguments"][0][0]
    assert (context.count("Answer:") == 3) if mode == "few_shot" else ("<|assistant|>" in context)


def test_share_prefix_false_is_the_stock_path(tiny_model_dir):
    from xlfact.models.shared_prefix import SharedPrefixHFLM

    lm = SharedPrefixHFLM.create_from_arg_string(f"pretrained={tiny_model_dir},share_prefix=False,dtype=float32",
                                                 {"batch_size": 4, "device": "cpu"})
    ids = lm.tok_encode("Question: What is the capital of Japan?\nAnswer: Tokyo")
    lm._loglikelihood_tokens([(None, ids[:6], ids[6:])], disable_tqdm=True)
    assert lm.sharing_stats == {"shared": 0, "fallback": 1, "passes": 0}


def test_row_tokens_must_be_a_positive_number(tiny_model_dir):
    from xlfact.errors import UsageError
    from xlfact.models.shared_prefix import SharedPrefixHFLM

    for bad in ("0", "many", "-3"):
        with pytest.raises(UsageError, match="row_tokens"):
            SharedPrefixHFLM.create_from_arg_string(f"pretrained={tiny_model_dir},row_tokens={bad}", {"device": "cpu"})


# --------------------------------------------------------------------------------------------- real model, real facts
@pytest.mark.slow
@pytest.mark.shared
def test_smollm2_on_100_real_english_facts(shared, tmp_path):
    from xlfact.cli.demo import ensure_default_model

    source = shared("data", "polyfact_verification_samples", "polyfact_eval_en.json")
    items = json.loads(source.read_text())["items"]
    (tmp_path / "en").mkdir()
    with (tmp_path / "en" / "test.jsonl").open("w", encoding="utf-8") as handle:
        for item in items:
            row = {k: item[k] for k in ("fact_id", "language", "subject", "relation", "object", "question")}
            row.update({f"option_{c.lower()}": item["options"][c] for c in "ABCD"})
            row.update(answer_text=item["answer_text"], answer_index=item["answer_index"])
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    stock, shared_lm, tokenizer = _pair(ensure_default_model(), batch_size=32)
    a, b = _evaluate_both(stock, shared_lm, tokenizer, ["polyfact_en"], tmp_path)
    assert _assert_same_samples(a, b) == 4 * len(items) == 400
    for metric in VERDICTS:
        assert a["results"]["polyfact_en"][f"{metric},none"] == b["results"]["polyfact_en"][f"{metric},none"]

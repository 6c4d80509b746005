"""KLAR-CLC and CLiKA through LightEval agree with lm-eval item by item, offline, on tiny models.

The LightEval tasks (``klar:<lang>``, ``clika_<task>:<lang>``) take their rows from the lm-eval tasks' own loaders and
score with the same shared functions, so on the same model and the same items both harnesses must produce the same
prompt, the same generation / letter scores and the same record (prediction, lenient and exact verdicts, correctness).
LightEval picks ``max_samples`` items by its own seeded shuffle; lm-eval then evaluates exactly those items
(``simple_evaluate(samples=...)``). The scorers are also checked against the lm-eval hooks on constructed responses,
where verdicts are not all "wrong" as they are for an untrained model.
"""

from __future__ import annotations

import collections
import math
import pickle
import random
from types import SimpleNamespace

import pytest

pytest.importorskip("lighteval")
pytestmark = pytest.mark.slow

KLAR_LANGS = ("en", "fr", "zh")  # the conftest fixture's languages
KLAR_SAMPLES = 6
CLIKA_RUN = (("xcsqa", "en"), ("xcopa", "zh"), ("xgeo", "ar"), ("xpeo", "ru"))
CLIKA_SAMPLES = 4


@pytest.fixture(scope="module")
def module():
    import xlfact.tasks.lighteval_tasks as module
    from xlfact.tasks.lighteval_compat import apply

    apply()  # this test starts LightEval itself, as `python -m xlfact.tasks.lighteval_tasks` would
    return module


@pytest.fixture(scope="module")
def klar_dir(tmp_path_factory, klar_fixture_writer):
    return klar_fixture_writer(tmp_path_factory.mktemp("klar") / "KLAR-CLC")


@pytest.fixture(scope="module")
def clika_dir(shared):
    return shared("data", "CLiKA")


@pytest.fixture()
def data_env(monkeypatch, klar_dir):
    """The data folders as LightEval users name them (LightEval has no --metadata)."""
    monkeypatch.setenv("XLFACT_KLAR_DIR", str(klar_dir))
    return monkeypatch


def _no_store(record):
    """Stand-in for ``file_record`` while calling the lm-eval hooks directly: the same values, but the run-scoped
    cross-lingual store of later lm-eval runs in this process stays untouched."""
    return collections.defaultdict(lambda: None, total_consistency=record)


def run_lighteval(module, model_dir, tasks: str, out_dir, max_samples: int):
    from lighteval.logging.evaluation_tracker import EvaluationTracker
    from lighteval.models.transformers.transformers_model import TransformersModelConfig
    from lighteval.pipeline import ParallelismManager, Pipeline, PipelineParameters

    tracker = EvaluationTracker(output_dir=str(out_dir), save_details=False)
    params = PipelineParameters(launcher_type=ParallelismManager.NONE, custom_tasks_directory=module,
                                max_samples=max_samples, bootstrap_iters=0)
    config = TransformersModelConfig(model_name=str(model_dir), dtype="float32", batch_size=8, device="cpu",
                                     override_chat_template=False)
    pipeline = Pipeline(tasks=tasks, pipeline_parameters=params, evaluation_tracker=tracker, model_config=config)
    pipeline.evaluate()
    return pipeline


def run_lm_eval(model_dir, samples: dict[str, list[int]], metadata: dict[str, str]):
    from lm_eval.evaluator import simple_evaluate
    from lm_eval.tasks import TaskManager

    from xlfact.tasks import tasks_dir

    manager = TaskManager(include_path=str(tasks_dir()), include_defaults=False, metadata=metadata)
    return simple_evaluate(model="hf", model_args=f"pretrained={model_dir},dtype=float32", tasks=list(samples),
                           samples=samples, task_manager=manager, log_samples=True, batch_size=8, device="cpu")


def lighteval_items(pipeline) -> dict[str, list]:
    """task name without the few-shot suffix -> its details (doc, model_response)."""
    return {task.rsplit("|", 1)[0]: list(items)
            for task, items in pipeline.evaluation_tracker.details_logger.details.items()}


# ----------------------------------------------------------------------------------------------- task table
def test_task_table_names_every_language(module):
    from xlfact.evaluators.clika import LANGUAGES as CLIKA_LANGUAGES
    from xlfact.evaluators.klar import LANGUAGES as KLAR_LANGUAGES

    configs = {config.name: config for config in module.TASKS_TABLE}
    assert {f"klar:{lang}" for lang in KLAR_LANGUAGES} <= set(configs)
    assert {f"clika_{t}:{lang}" for t in ("xcsqa", "xcopa", "xgeo", "xpeo") for lang in CLIKA_LANGUAGES} <= set(configs)
    assert len({c for c in configs if c.startswith(("klar:", "clika_"))}) == 17 + 40
    klar = configs["klar:en"]
    assert klar.generation_size == 10 and tuple(klar.stop_sequence) == () and klar.num_fewshots == 0


def test_missing_data_dir_fails_when_the_task_loads(module, monkeypatch, tmp_path):
    monkeypatch.delenv("XLFACT_KLAR_DIR", raising=False)
    monkeypatch.delenv("XLFACT_CLIKA_DIR", raising=False)
    monkeypatch.chdir(tmp_path)  # no ./KLAR-CLC here
    configs = {config.name: config for config in module.TASKS_TABLE}
    with pytest.raises(FileNotFoundError, match="XLFACT_KLAR_DIR"):
        configs["klar:fr"].dataset_loader()
    with pytest.raises(FileNotFoundError, match="XLFACT_CLIKA_DIR"):
        configs["clika_xgeo:de"].dataset_loader()


# ----------------------------------------------------------------------------------------------- scorers vs hooks
KLAR_CANDIDATES = ("{t}", "{t}\nsomething else", "{t}, as everyone knows", "The answer is {t}", " {T}.", "\n{t}",
                   "{t}ville", "", "nothing")


def test_klar_scorer_equals_the_lm_eval_hook(module, data_env, klar_dir, monkeypatch):
    from xlfact.tasks.klar import utils
    from xlfact.tasks.klar.data import load_documents

    monkeypatch.setattr(utils, "file_record", _no_store)
    verdicts = collections.Counter()
    for lang in KLAR_LANGS:
        for row in load_documents(klar_dir, lang)[:10]:
            doc = module.klar_prompt(row, f"klar:{lang}")
            assert doc.query == row["prompt"] and doc.query.endswith(row["query"] + " ")
            for candidate in KLAR_CANDIDATES:
                output = candidate.format(t=row["target"], T=row["target"].upper())
                response = SimpleNamespace(text=[output])
                theirs = utils.process_results(row, [output])
                assert module.klar_record(doc, response) == theirs["total_consistency"], (lang, output)
                ours = module.KlarAnswer().compute(doc, response)
                assert ours == {"acc": theirs["acc"], "exact": theirs["exact"]}, (lang, output)
                verdicts[(ours["acc"], ours["exact"])] += 1
    # the candidates exercise every verdict: exact, lenient only, and wrong
    assert verdicts[(1.0, 1.0)] and verdicts[(1.0, 0.0)] and verdicts[(0.0, 0.0)]


@pytest.mark.shared
def test_clika_scorer_equals_the_lm_eval_hook(module, clika_dir, monkeypatch):
    from xlfact.tasks.clika import utils

    monkeypatch.setattr(utils, "file_record", _no_store)
    rng = random.Random(0)
    seen = collections.Counter()
    for task, lang in CLIKA_RUN:
        rows = utils.load_multiple_choice(xlfact_clika_task=task, xlfact_lang=lang, clika_dir=str(clika_dir))["test"]
        for row in rows.select(range(15)):
            doc = module.clika_prompt(row, f"clika_{task}:{lang}")
            assert doc.query == row["prompt"] and doc.query.endswith("Answer:") and doc.choices == row["letters"]
            n = len(row["letters"])
            for lls in ([rng.uniform(-9, -1) for _ in range(n)], [-2.0] * n, [-3.0, *[-1.5] * (n - 1)]):
                theirs = utils.process_multiple_choice(row, [(ll, False) for ll in lls])
                response = SimpleNamespace(logprobs=lls)
                assert module.clika_record(doc, response) == theirs["total_consistency"], (task, lang, lls)
                ours = module.ClikaLetter().compute(doc, response)
                assert ours["acc"] == theirs["acc"]
                seen[ours["acc"]] += 1
    assert seen[1.0] and seen[0.0]


def test_clika_ra_is_the_shared_rescaled_accuracy(module):
    from xlfact.evaluators.clika import rescaled_accuracy

    ra = module.CLIKA_METRICS["xcsqa"].corpus_level_fn["ra"]
    assert ra([1.0, 0.0, 1.0, 1.0]) == pytest.approx(rescaled_accuracy(0.75, "xcsqa"))
    assert module.CLIKA_METRICS["xcopa"].corpus_level_fn["ra"]([0.0, 1.0]) == 0.0  # at chance: 0
    # LightEval bootstraps a non-mean aggregation's stderr in worker processes: it must pickle, and its name must not
    # say "mean" (LightEval would then take the stderr of the plain mean)
    copy = pickle.loads(pickle.dumps(ra))
    assert copy([1.0, 1.0, 0.0, 1.0]) == ra([1.0, 1.0, 0.0, 1.0]) and "mean" not in copy.__name__


# ----------------------------------------------------------------------------------------------- end to end
@pytest.fixture(scope="module")
def klar_model(tmp_path_factory, klar_dir):
    """A tiny Llama trained for a few seconds on the fixture's prompts + answers. Untrained, it only repeats the
    prompt's final space; trained, it answers some items right and goes on past a newline, so the end-to-end
    comparison sees right and wrong verdicts and predictions cut at the first line."""
    import torch

    from xlfact.tasks.klar.data import load_documents
    from xlfact.training.tiny_models import build_tiny_llama

    docs = [d for lang in KLAR_LANGS for d in load_documents(klar_dir, lang)]
    out = build_tiny_llama(tmp_path_factory.mktemp("klar_tiny"), [d["prompt"] + d["target"] for d in docs[::7]],
                           seed=0)
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer, model = AutoTokenizer.from_pretrained(out), AutoModelForCausalLM.from_pretrained(out)
    # prompt and answer tokenised apart, as at generation time (the prompt ends in a space token)
    sequences = [tokenizer(d["prompt"])["input_ids"] + tokenizer(d["target"] + "\n")["input_ids"] for d in docs]
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    generator = torch.Generator().manual_seed(0)
    model.train()
    for _ in range(120):
        batch = [sequences[i] for i in torch.randint(len(sequences), (16,), generator=generator).tolist()]
        width = max(map(len, batch))
        ids = torch.tensor([s + [tokenizer.pad_token_id] * (width - len(s)) for s in batch])
        mask = torch.tensor([[1] * len(s) + [0] * (width - len(s)) for s in batch])
        model(input_ids=ids, attention_mask=mask, labels=ids.masked_fill(mask == 0, -100)).loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    model.save_pretrained(out)
    return out


def test_klar_lighteval_matches_lm_eval_item_by_item(module, data_env, klar_model, klar_dir, tmp_path):
    tasks = ",".join(f"klar:{lang}|0" for lang in KLAR_LANGS)
    pipeline = run_lighteval(module, klar_model, tasks, tmp_path, KLAR_SAMPLES)
    details = lighteval_items(pipeline)
    samples = {f"klar_{lang}": sorted(int(d.doc.id) for d in details[f"klar:{lang}"]) for lang in KLAR_LANGS}
    assert all(len(ids) == KLAR_SAMPLES for ids in samples.values())
    lm = run_lm_eval(klar_model, samples, {"klar_dir": str(klar_dir)})

    theirs = {(s["total_consistency"]["item"], s["total_consistency"]["lang"]): s
              for rows in lm["samples"].values() for s in rows}
    ours = {(r["item"], r["lang"]): r for r in module.records_from_details(pipeline.evaluation_tracker
                                                                            .details_logger.details)}
    assert set(ours) == set(theirs) and len(ours) == KLAR_SAMPLES * len(KLAR_LANGS)
    prompts = {(d.doc.specific["item"], d.doc.specific["lang"]): d.doc.query for v in details.values() for d in v}
    for key, record in ours.items():
        sample = theirs[key]
        (context, generation_kwargs), = sample["arguments"]
        assert prompts[key] == sample["doc"]["prompt"] == context, key
        assert generation_kwargs["until"] == [] and generation_kwargs["max_gen_toks"] == 10, key
        assert record == sample["total_consistency"], key  # output, prediction, acc and exact verdicts, target
    verdicts = collections.Counter((r["correct"], "\n" in r["output"]) for r in ours.values())
    assert verdicts[(True, True)] and verdicts[(False, True)], verdicts  # right and wrong, cut at a newline

    results = pipeline.get_results()["results"]
    for lang in KLAR_LANGS:
        for metric in ("acc", "exact"):
            assert results[f"klar:{lang}:0"][metric] == pytest.approx(lm["results"][f"klar_{lang}"][f"{metric},none"],
                                                                    abs=1e-9), (lang, metric)


@pytest.fixture(scope="module")
def clika_model(tmp_path_factory, clika_dir):
    from xlfact.tasks.clika.data import load_items
    from xlfact.training.tiny_models import build_tiny_llama

    texts = [f"{i['question']} {' '.join(i['options'])}" for task, lang in CLIKA_RUN
             for i in load_items(clika_dir, task, lang)[:30]]
    return build_tiny_llama(tmp_path_factory.mktemp("clika_tiny"), texts, max_positions=2048, seed=0)


@pytest.mark.shared
def test_clika_lighteval_matches_lm_eval_item_by_item(module, monkeypatch, clika_model, clika_dir, tmp_path):
    monkeypatch.setenv("XLFACT_CLIKA_DIR", str(clika_dir))
    tasks = ",".join(f"clika_{task}:{lang}|0" for task, lang in CLIKA_RUN)
    pipeline = run_lighteval(module, clika_model, tasks, tmp_path, CLIKA_SAMPLES)
    details = lighteval_items(pipeline)
    samples = {f"clika_{task}_{lang}": sorted(int(d.doc.id) for d in details[f"clika_{task}:{lang}"])
               for task, lang in CLIKA_RUN}
    lm = run_lm_eval(clika_model, samples, {"clika_dir": str(clika_dir)})

    theirs = {(s["total_consistency"]["benchmark"], s["total_consistency"]["item"], s["total_consistency"]["lang"]): s
              for rows in lm["samples"].values() for s in rows}
    ours = {(r["benchmark"], r["item"], r["lang"]): r
            for r in module.records_from_details(pipeline.evaluation_tracker.details_logger.details)}
    assert set(ours) == set(theirs) and len(ours) == CLIKA_SAMPLES * len(CLIKA_RUN)
    prompts = {(f"clika_{d.doc.specific['task']}", d.doc.specific["item"], d.doc.specific["lang"]): d.doc
               for v in details.values() for d in v}
    max_gap = 0.0
    for key, record in ours.items():
        sample, doc = theirs[key], prompts[key]
        assert doc.query == sample["doc"]["prompt"] and {c for c, _ in sample["arguments"]} == {doc.query}, key
        assert doc.choices == [letter for _, letter in sample["arguments"]], key  # the bare letters, no delimiter
        expected = sample["total_consistency"]
        assert record["correct"] == expected["correct"] and record["pred"] == expected["pred"], key
        assert {k: v for k, v in record.items() if k != "scores"} == {k: v for k, v in expected.items()
                                                                       if k != "scores"}, key
        assert record["scores"] == pytest.approx(expected["scores"], abs=1e-4), key
        max_gap = max(max_gap, *(abs(a - b) for a, b in zip(record["scores"], expected["scores"])))
    assert max_gap < 1e-4

    results = pipeline.get_results()["results"]
    for task, lang in CLIKA_RUN:
        entry, reference = results[f"clika_{task}:{lang}:0"], lm["results"][f"clika_{task}_{lang}"]
        assert entry["acc"] == pytest.approx(reference["acc,none"], abs=1e-9), (task, lang)
        assert entry["ra"] == pytest.approx(reference["ra,none"], abs=1e-9) or (
            math.isnan(entry["ra"]) and math.isnan(reference["ra,none"])), (task, lang)

"""AdaXEval builder, step by step, with a scripted LLM (xlfact.builders.adaxeval.scripted.AnswerKey over the test
corpus): deterministic answers, malformed ones, refusals, timeouts and client crashes each end as a counted, reported
drop; every unit that enters a step leaves it kept or dropped; the cache makes an interrupted build resume."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from xlfact.builders.adaxeval.corpus import BuildError, Document, read_corpus, split_sentences
from xlfact.builders.adaxeval.llm import CachedClient, CallError, Request, ScriptedClient
from xlfact.builders.adaxeval.pipeline import Builder, Settings, best_triple
from xlfact.builders.adaxeval.schema import AnswerError, QueryDraft, Triple, parse_answer
from xlfact.builders.adaxeval.scripted import AnswerKey
from xlfact.builders.cli import build_adaxeval
from xlfact.cli import main as xlfact

DATA = Path(__file__).resolve().parent / "data" / "adaxeval"
N_PAIRS = 12  # facts per language in the test corpus; every paragraph also has one non-factual sentence


@pytest.fixture(scope="module")
def key() -> AnswerKey:
    return AnswerKey(DATA / "answer_key.jsonl")


@pytest.fixture(scope="module")
def docs() -> list[Document]:
    return read_corpus(DATA / "corpus.jsonl")


def run(docs, fn, *, judges: int = 3, settings: Settings | None = None, concurrency: int = 1):
    client = ScriptedClient(fn, concurrency=concurrency)
    builder = Builder(client, [client] * judges, settings or Settings(), progress=False)
    items = builder.run(docs)
    return builder, items, builder.report(items)


def check_accounting(report: dict) -> None:
    """No silent loss: each step's units are kept or dropped, and a step's input is the previous step's output."""
    previous = None
    for name, step in report["steps"].items():
        assert step["in"] == step["kept"] + step["dropped"] == step["kept"] + sum(step["dropped_by_reason"].values()), (
            name, step)  # dropped language versions are counted apart: versions_dropped
        assert step["versions_dropped"] == sum(step["versions_dropped_by_reason"].values())
        if previous is not None:
            assert step["in"] == previous, name
        previous = step["kept"]


def test_clean_run_counts(docs, key):
    builder, items, report = run(docs, key)
    check_accounting(report)
    steps = report["steps"]
    assert steps["1_fact_detection"]["in"] == 4 * N_PAIRS
    assert steps["1_fact_detection"]["dropped_by_reason"] == {"not_enough_votes": 2 * N_PAIRS}  # the filler sentences
    assert steps["4_quality_filtering"]["kept"] == 2 * N_PAIRS
    assert report["items"] == len(items) == 2 * N_PAIRS * 2 * 2  # facts x languages x splits
    assert report["items_by_split_and_direction"]["memorization/en->ja"] == N_PAIRS
    mem = [i for i in items if i.split == "memorization"]
    assert all(i.question.count("[BLANK]") == 1 for i in mem)
    assert all(len(i.options) == 4 and len(set(i.options)) == 4 for i in items)
    paris = [i for i in items if i.fact_id == "p01-en#s0"]
    # parallel: one option order per fact, in every language and split
    assert len({i.answer_idx for i in paris}) == 1
    assert {i.options[i.answer_idx] for i in paris} == {"Paris", "パリ"}


def _break(key, step, answer, *, when=lambda r: True):
    def fn(request: Request) -> str:
        if request.step == step and when(request):
            if isinstance(answer, Exception):
                raise answer
            return answer
        return key(request)
    return fn


def test_malformed_refusal_timeout_and_crash_of_a_judge(docs, key):
    first_judge = lambda r: r.seed == 0  # noqa: E731 - judge j calls with seed + j
    for answer, reason in [("{'factuality': True", "malformed"), ("I cannot help with that request.", "refusal"),
                           (CallError("timeout", "read timed out"), "timeout"), (RuntimeError("boom"), "error")]:
        _, _, report = run(docs, _break(key, "fact_check", answer, when=first_judge))
        check_accounting(report)
        step = report["steps"]["1_fact_detection"]
        assert step["calls"][f"failed:{reason}"] == 4 * N_PAIRS, reason
        assert step["kept"] == 0, "unanimity (mlda-eval's rule) needs every judge"
        assert "all_judges_failed" not in json.dumps(step)
        _, _, lenient = run(docs, _break(key, "fact_check", answer, when=first_judge),
                            settings=Settings(min_votes=2))
        assert lenient["steps"]["1_fact_detection"]["kept"] == 2 * N_PAIRS


def test_all_judges_failing_is_named(docs, key):
    builder, items, report = run(docs, _break(key, "fact_check", CallError("timeout")))
    assert items == []
    assert report["steps"]["1_fact_detection"]["dropped_by_reason"] == {"all_judges_failed:timeout": 4 * N_PAIRS}
    assert len(builder.drops) == 4 * N_PAIRS


def test_craft_validation_drops(docs, key):
    def two_distractors(request):
        data = json.loads(key(request).strip("`json\n"))
        if request.payload["sentence"].startswith("The capital of France"):
            data["distractors"] = data["distractors"][:2]
        if request.payload["sentence"].startswith("The capital of Spain"):
            data["fill_in_blank"] = data["fill_in_blank"].replace("[BLANK]", "___")
        if request.payload["sentence"].startswith("The capital of Italy"):
            data["distractors"][0] = data["answer"]
        return json.dumps(data)

    builder, _, report = run(docs, lambda r: two_distractors(r) if r.step == "craft" else key(r), judges=1)
    check_accounting(report)
    step = report["steps"]["3_query_crafting"]
    assert step["dropped_by_reason"] == {"invalid": 3}
    details = {d["unit"]: d["detail"] for d in builder.drops if d["step"] == "3_query_crafting"}
    assert "3 distractors" in details["p01-en#s0"]
    assert "[BLANK]" in details["p03-en#s0"]
    assert "distinct" in details["p04-en#s0"]


def test_translation_and_inlanguage_drops_are_per_language_version(docs, key):
    fn = _break(key, "translate", "no json here", when=lambda r: r.payload["target"] == "ja")
    _, items, report = run(docs, fn, judges=1)
    check_accounting(report)
    assert report["steps"]["3_query_crafting"]["dropped_by_reason"] == {}
    assert report["steps"]["3_query_crafting"]["versions_dropped_by_reason"] == {"translation:malformed": N_PAIRS}
    assert report["language_versions"] == {"crafted": 2 * N_PAIRS, "translated": N_PAIRS,
                                           "translation_dropped": N_PAIRS}
    assert not any(i.source_language == "en" and i.language == "ja" for i in items)

    poor = json.dumps({"fill_in_blank_quality": "Good", "paraphrase_quality": "poor", "options_quality": "Good"})
    _, items, report = run(docs, _break(key, "inlang", poor, when=lambda r: "sentence" in r.payload
                                        and "France" in r.payload["sentence"]), judges=1)
    check_accounting(report)
    assert report["steps"]["4_quality_filtering"]["dropped_by_reason"] == {"inlang:poor": 1}
    assert "p01-en#s0" not in {i.fact_id for i in items}


def test_cross_language_check(docs, key):
    score1 = json.dumps({"explanation": "implied", "associated_sentences": [], "score": 1})
    _, items, report = run(docs, _break(key, "crosslang", score1, when=lambda r: "Jupiter" in r.payload["sentence"]),
                           judges=1)
    assert report["steps"]["4_quality_filtering"]["dropped_by_reason"] == {"crosslang_unsupported": 1}
    _, items, report = run(docs, key, judges=1, settings=Settings(min_cross_score=1))
    assert report["steps"]["4_quality_filtering"]["kept"] == 2 * N_PAIRS
    unpaired = [Document(d.doc_id, d.lang, d.text, "") if d.doc_id == "p02-en" else d for d in docs]
    _, items, report = run(unpaired, key, judges=1)  # p02-ja loses its partner too
    assert report["steps"]["4_quality_filtering"]["dropped_by_reason"] == {"no_parallel_document": 2}
    _, items, report = run(unpaired, key, judges=1, settings=Settings(require_cross_check=False))
    assert report["steps"]["4_quality_filtering"]["kept"] == 2 * N_PAIRS


def test_triple_fallback_call_and_failure(docs, key):
    no_triple = lambda r: json.dumps({"factuality": True, "triple": None, "reason": "x"}) if (  # noqa: E731
        r.step == "fact_check" and r.payload["sentence"] in key.by_sentence) else key(r)
    client = ScriptedClient(no_triple)
    builder = Builder(client, [client], Settings(), progress=False)
    facts = builder.extract_triples(builder.detect_facts(docs))
    assert len(facts) == 2 * N_PAIRS and builder.steps["2_triple_extraction"].calls["ok"] == 2 * N_PAIRS
    failing = ScriptedClient(lambda r: no_triple(r) if r.step != "triple" else "Sorry, I can't do that.")
    builder = Builder(failing, [failing], Settings(), progress=False)
    assert builder.extract_triples(builder.detect_facts(docs)) == []
    assert dict(builder.steps["2_triple_extraction"].dropped) == {"refusal": 2 * N_PAIRS}


def test_best_triple_rule():
    sentence = "The capital of France is Paris."
    vague = Triple(subject="it", relation="is", object="a city in Europe somewhere")
    long = Triple(subject="the capital of France", relation="is", object="Paris")
    short = Triple(subject="France", relation="has capital", object="Paris")
    assert best_triple(sentence, [vague, long, short]) == short
    assert best_triple(sentence, []) is None
    ja = [Triple(subject="ドイツ", relation="は", object="ベルリン"),
          Triple(subject="フランス", relation="は", object="パリ")]
    assert best_triple("フランスの首都はパリである。", ja).subject == "フランス"


def test_parse_answer():
    good = {"fill_in_blank": "A [BLANK].", "question": "Q?", "answer": "a", "distractors": ["b", "c", "d"]}
    assert parse_answer("Sure!\n```json\n" + json.dumps(good) + "\n```\nDone.", QueryDraft).answer == "a"
    assert parse_answer("here: " + json.dumps(good) + " ok", QueryDraft).answer == "a"
    with pytest.raises(AnswerError) as err:
        parse_answer(json.dumps({**good, "fill_in_blank": "A [BLANK] [BLANK]."}), QueryDraft)
    assert err.value.reason == "invalid"
    with pytest.raises(AnswerError) as err:
        parse_answer("", QueryDraft)
    assert err.value.reason == "malformed"


def test_concurrency_and_seeds(docs, key):
    _, items1, _ = run(docs, key, concurrency=1)
    _, items4, _ = run(docs, key, concurrency=4)
    assert [i.model_dump() for i in items1] == [i.model_dump() for i in items4]
    _, other_seed, _ = run(docs, key, settings=Settings(seed=1))
    assert [i.options for i in other_seed] != [i.options for i in items1]
    assert sorted(i.options[i.answer_idx] for i in other_seed) == sorted(i.options[i.answer_idx] for i in items1)


def test_cache_resumes_an_interrupted_build(tmp_path, docs, key):
    flaky = ScriptedClient(_break(key, "inlang", CallError("timeout"), when=lambda r: r.payload.get("question", "")
                                  .startswith("Which city")))
    cached = CachedClient(flaky, tmp_path / "cache")
    first = build_adaxeval(docs, tmp_path / "a", name="t", client=cached, judges=[cached] * 3,
                           settings=Settings(), progress=False)
    assert first["steps"]["4_quality_filtering"]["dropped_by_reason"] == {"inlang:timeout": 6}  # English sources
    assert first["steps"]["4_quality_filtering"]["versions_dropped_by_reason"] == {"inlang:timeout": 6}  # translations
    made = flaky.calls
    healthy = ScriptedClient(key)
    cached2 = CachedClient(healthy, tmp_path / "cache")
    cached2.name = cached2.client.name = flaky.name  # same model: the cache applies
    second = build_adaxeval(docs, tmp_path / "b", name="t", client=cached2, judges=[cached2] * 3,
                            settings=Settings(), progress=False)
    # only the 12 failed calls again, plus the 6 cross-language checks of the facts they had dropped
    assert healthy.calls == 12 + 6
    assert second["items"] == 4 * 2 * N_PAIRS and made > 100
    drops = [json.loads(x) for x in (tmp_path / "a" / "drops.jsonl").read_text().splitlines()]
    assert sum(d["reason"] == "inlang:timeout" for d in drops) == 12


def test_corpus_errors_and_cli_exit_2(tmp_path, capsys):
    bad = tmp_path / "c.jsonl"
    bad.write_text('{"doc_id": "a", "lang": "en", "text": "x"}\n{"doc_id": "b", "lang": "", "text": "y"}\n')
    with pytest.raises(BuildError, match=r"c.jsonl line 2: field 'lang'"):
        read_corpus(bad)
    assert xlfact(["build", "adaxeval", "--corpus", str(bad), "--out", str(tmp_path / "o"), "--llm", "openai",
                   "--model", "m", "--base_url", "http://127.0.0.1:9/v1"]) == 2
    assert "line 2: field 'lang'" in capsys.readouterr().err
    folder = tmp_path / "txt"
    (folder / "en").mkdir(parents=True)
    (folder / "ja").mkdir()
    (folder / "en" / "d1.txt").write_text("Water boils at 100 degrees.")
    (folder / "ja" / "d1.txt").write_text("水は100度で沸騰する。")
    docs = read_corpus(folder)
    assert [(d.doc_id, d.pair_id) for d in docs] == [("en/d1", "d1"), ("ja/d1", "d1")]
    assert split_sentences("A b. C d! 日本。東京？ E") == ["A b.", "C d!", "日本。", "東京？", "E"]


def test_degenerate_triples_are_set_aside_or_dropped(docs, key):
    """A judge's triple whose object is the whole sentence (SmolLM2's usual answer) is never chosen; the fallback
    extraction is asked instead, and a degenerate extracted triple is a counted drop (xlfact's rule)."""
    def whole(request):
        sentence = request.payload.get("sentence", "")
        if request.step in ("fact_check", "triple") and sentence in ("The capital of France is Paris.",
                                                                     "フランスの首都はパリである。"):
            triple = {"subject": sentence, "relation": sentence, "object": sentence}
            if request.step == "triple" and sentence.startswith("フランス"):
                triple = {"subject": "フランスの首都", "relation": "は", "object": "。"}
            data = {"triple": triple} if request.step == "triple" else {"factuality": True, "triple": triple}
            return json.dumps(data, ensure_ascii=False)
        if request.step == "triple" and sentence.startswith("The capital of Germany"):
            return json.dumps({"triple": {"subject": "Germany", "relation": "has", "object": "germany"}})
        return key(request)

    builder, items, report = run(docs, whole, judges=2)
    check_accounting(report)
    step = report["steps"]["2_triple_extraction"]
    assert step["notes"] == {"judge_triple_set_aside:object_is_sentence": 4}  # 2 sentences x 2 judges
    assert step["calls"] == {"ok": 2}  # one extraction call for each sentence without a usable judge triple
    assert step["dropped_by_reason"] == {"degenerate_triple:object_is_sentence": 1,
                                         "degenerate_triple:object_without_words": 1}
    assert {d["unit"] for d in builder.drops if d["step"] == "2_triple_extraction"} == {"p01-en#s0", "p01-ja#s0"}
    assert report["steps"]["4_quality_filtering"]["kept"] == 2 * N_PAIRS - 2
    # an extracted triple is used when it is sound
    builder, items, report = run(docs, lambda r: json.dumps({"triple": {
        "subject": "France", "relation": "capital", "object": "Paris"}}) if r.step == "triple" else whole(r), judges=1)
    assert report["steps"]["2_triple_extraction"]["kept"] == 2 * N_PAIRS
    assert next(i for i in items if i.fact_id == "p01-en#s0").triple.object == "Paris"


def test_triple_problem_rule():
    from xlfact.builders.adaxeval.pipeline import triple_problem

    s = "The capital of France is Paris."
    assert triple_problem(s, Triple(subject="The capital of France", relation="is", object="Paris")) == ""
    assert triple_problem(s, Triple(subject="France", relation="is", object=" the capital of France is Paris ")) == \
        "object_is_sentence"
    assert triple_problem(s, Triple(subject=s, relation="is", object="Paris")) == "subject_is_sentence"
    assert triple_problem(s, Triple(subject="Paris", relation="is", object="paris")) == "subject_equals_object"
    assert triple_problem("首都はパリ。", Triple(subject="首都", relation="は", object="。")) == "object_without_words"


def test_cloze_repair_is_counted_and_reported(docs, key):
    """A cloze without [BLANK] that contains the answer exactly once is repaired (counted, listed in the report);
    twice, or not at all, or with --no_repair_cloze, it stays a counted drop."""
    def no_blank(request):
        if request.step not in ("craft", "translate"):
            return key(request)
        data = json.loads(key(request).strip("`json\n"))
        data["fill_in_blank"] = data["fill_in_blank"].replace("[BLANK]", data["answer"])
        sentence = request.payload.get("sentence", "")
        if sentence.startswith("The capital of Spain"):
            data["fill_in_blank"] = "Madrid, Madrid: the capital of Spain is Madrid."  # three times: ambiguous
        if sentence.startswith("The capital of Italy"):
            data["fill_in_blank"] = "The capital of Italy is a city."  # no answer to blank
        return json.dumps(data, ensure_ascii=False)

    builder, items, report = run(docs, no_blank, judges=1)
    check_accounting(report)
    step = report["steps"]["3_query_crafting"]
    assert step["dropped_by_reason"] == {"invalid": 2}
    assert step["repaired"] == {"blank_inserted": 2 * N_PAIRS - 2 + (2 * N_PAIRS - 2)}  # queries + translations
    assert {r["unit"] for r in report["repairs"]} >= {"p01-en#s0", "p01-en#s0@ja"}
    assert all(r["step"] == "3_query_crafting" and r["repair"] == "blank_inserted" for r in report["repairs"])
    paris = next(i for i in items if i.id == "p01-en#s0|memorization|en")
    assert paris.question == "The capital of France is [BLANK]."
    _, _, strict = run(docs, no_blank, judges=1, settings=Settings(repair_cloze=False))
    assert strict["steps"]["3_query_crafting"]["dropped_by_reason"] == {"invalid": 2 * N_PAIRS}
    assert strict["steps"]["3_query_crafting"]["repaired"] == {} and strict["items"] == 0


def test_insert_blank_and_question_rule():
    from xlfact.builders.adaxeval.schema import insert_blank

    data = {"fill_in_blank": "Water boils at 100 degrees.", "answer": "100 degrees"}
    assert insert_blank(data).startswith("blank_inserted") and data["fill_in_blank"] == "Water boils at [BLANK]."
    for cloze, answer in [("a b a.", "a"), ("Already [BLANK] here, a.", "a"), ("Paris.", "Paris"), ("x y", "z"),
                          ("x y", "")]:
        data = {"fill_in_blank": cloze, "answer": answer}
        assert insert_blank(data) is None and data["fill_in_blank"] == cloze
    assert insert_blank(["not", "a", "dict"]) is None
    bad = {"fill_in_blank": "A [BLANK].", "question": "A [BLANK]?", "answer": "a", "distractors": ["b", "c", "d"]}
    with pytest.raises(AnswerError, match="question must not contain"):
        parse_answer(json.dumps(bad), QueryDraft)


def test_judge_defaults():
    """A local model votes once, greedily (its vote depends only on the sentence); several seeds of one endpoint
    model sample at 0.7; named judge models vote greedily; an explicit temperature wins."""
    from xlfact.builders.cli import judge_defaults

    assert judge_defaults("hf", None, [], None) == (1, 0.0)
    assert judge_defaults("hf", 3, [], None) == (3, 0.7)
    assert judge_defaults("openai", None, [], None) == (3, 0.7)
    assert judge_defaults("openai", None, ["a", "b"], None)[1] == 0.0
    assert judge_defaults("openai", 1, [], None) == (1, 0.0)
    assert judge_defaults("hf", 3, [], 0.2) == (3, 0.2)


def test_translations_in_the_wrong_language_are_dropped_and_counted(docs, key):
    """A "Japanese" version that is the English query, or a version in another script, parses and validates; it is
    dropped as a language version (``versions_dropped``), never a unit, and never an item."""
    def fn(request: Request) -> str:
        if request.step != "translate":
            return key(request)
        p = request.payload
        if p["target"] == "ja" and "France" in p["fill_in_blank"]:  # the English query, unchanged
            return json.dumps({k: p[k] for k in ("fill_in_blank", "question", "answer", "distractors")})
        if p["target"] == "ja" and "Germany" in p["fill_in_blank"]:  # Latin script for Japanese
            return json.dumps({"fill_in_blank": "Doitsu no shuto wa [BLANK] desu.", "question": "Doitsu no shuto wa?",
                               "answer": "Berurin", "distractors": ["Pari", "Uin", "Madorido"]})
        if p["target"] == "en" and "スペイン" in p["fill_in_blank"]:  # Japanese text for English
            return json.dumps({"fill_in_blank": "スペインの首都は[BLANK]です。", "question": "スペインの首都は？",
                               "answer": "Madrid", "distractors": ["Rome", "Lisbon", "Paris"]}, ensure_ascii=False)
        return key(request)

    builder, items, report = run(docs, fn, judges=1)
    check_accounting(report)
    step = report["steps"]["3_query_crafting"]
    assert step["versions_dropped_by_reason"] == {"translation:untranslated": 1, "translation:wrong_script": 2}
    assert step["dropped"] == 0 and step["kept"] == step["in"]
    assert report["language_versions"]["translation_dropped"] == 3
    asked = {(i.fact_id, i.language) for i in items}
    assert not {("p01-en#s0", "ja"), ("p02-en#s0", "ja"), ("p03-ja#s0", "en")} & asked
    assert ("p04-en#s0", "ja") in asked
    flagged = [d for d in builder.drops if d.get("language_version")]
    assert {d["unit"] for d in flagged} == {"p01-en#s0@ja", "p02-en#s0@ja", "p03-ja#s0@en"}


def test_script_check():
    from xlfact.builders.adaxeval.language import script_share, translation_problem

    assert script_share("フランスの首都はパリである。", "ja") == 1.0
    assert script_share("The capital of France", "ja") == 0.0
    assert script_share("ＤＮＡは遺伝情報を運ぶ。", "ja") > 0.5  # fullwidth Latin letters are Latin
    assert script_share("Столица Франции", "ru") == 1.0 and script_share("123 !", "en") is None
    assert script_share("whatever", "xx") is None  # a language without a known script: not checked
    source = {"fill_in_blank": "The capital of France is [BLANK].", "question": "Which city is France's capital?"}
    assert translation_problem(source, {**source, "question": "Quelle est la capitale ?"}, "fr") == "untranslated"
    assert translation_problem(source, {"fill_in_blank": "La capitale de la France est [BLANK].",
                                        "question": "Quelle ville est la capitale de la France ?"}, "fr") == ""


def test_a_degenerate_cloze_is_not_repaired(docs, key):
    """A cloze whose blank would be the whole sentence, or nearly, is refused (a counted drop with its reason),
    never repaired into "[BLANK]."; a cloze that is [BLANK] alone is invalid too."""
    def fn(request: Request) -> str:
        if request.step != "craft":
            return key(request)
        data = json.loads(key(request).strip("`json\n"))
        sentence = request.payload["sentence"]
        if "France" in sentence:
            data.update(fill_in_blank=sentence, answer=sentence)  # the blank would be the whole sentence
        elif "Germany" in sentence:
            data.update(fill_in_blank=sentence, answer="capital of Germany is Berlin")
        elif "Spain" in sentence:
            data.update(fill_in_blank="[BLANK].", answer=sentence.rstrip("."))
        return json.dumps(data, ensure_ascii=False)

    builder, items, report = run(docs, fn, judges=1)
    check_accounting(report)
    step = report["steps"]["3_query_crafting"]
    assert step["dropped_by_reason"] == {"invalid": 3} and "blank_inserted" not in step["repaired"]
    details = {d["unit"]: d["detail"] for d in builder.drops if d["step"] == "3_query_crafting"}
    assert "degenerate cloze" in details["p01-en#s0"] and "degenerate cloze" in details["p02-en#s0"]
    assert "[BLANK] alone" in details["p03-en#s0"]
    assert all(i.question.strip(" .") != "[BLANK]" for i in items)

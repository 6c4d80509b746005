"""Typed recipe sections: one dataclass per section, with help text, checked before anything is loaded.

TRL's config classes are the model: every key a recipe may hold is a field with a type, a default and a help string,
so a typo anywhere (``consistency: {lamda: 2.0}``, ``data.sources[1].wieght``) is an error naming the dotted key and
the keys allowed there, a value of the wrong type is an error naming the key and the type, and the effective recipe
(defaults filled in) is what the model card prints. Two sections are typed by the libraries themselves: ``training``
by the trainer's config class (``TrainingArguments``, ``trl.SFTConfig``, ``trl.GRPOConfig``; see
:mod:`xlfact.training.arguments`) and ``lora`` by ``peft.LoraConfig``.

:func:`check` turns a mapping into the effective mapping of a dataclass (not an instance: recipes stay plain dicts
that print and diff as YAML).
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar, Union

T = TypeVar("T")


def _f(default: Any, help: str, **kw: Any) -> Any:
    if isinstance(default, (list, dict)):
        return field(default_factory=lambda: default, metadata={"help": help, **kw})
    return field(default=default, metadata={"help": help, **kw})


@dataclass
class ModelSection:
    name_or_path: str | None = _f(None, "hub id (org/name) or local checkpoint folder of the base model")
    dtype: Literal["float32", "bfloat16", "float16", "auto"] = _f("auto", "dtype the model is loaded and trained in")
    save_dtype: Literal["float32", "bfloat16", "float16", "auto"] | None = _f(
        None, "dtype the checkpoints and the final model are written in (null: model.dtype; bfloat16 halves a "
              "float32-trained real model's folders)")
    revision: str | None = _f(None, "hub revision (branch, tag or commit)")
    attn_implementation: str | None = _f(None, "transformers attn_implementation (eager, sdpa, flash_attention_2)")
    tokenizer: str | None = _f(None, "tokenizer folder or hub id when it differs from name_or_path")


@dataclass
class PolyFactData:
    """PolyFact-format facts for SFT and GRPO (``xlfact.training.data.load_parallel_facts``)."""

    source: Literal["polyfact", "clean", "wikifact"] = _f("polyfact", "hub dataset: PolyFact, -Clean, WIKI-FACT")
    data_dir: str | None = _f(None, "local copy in the hub layout (DIR/<lang>/<split>.jsonl); null reads the hub")
    split: str = _f("train", "split trained on")
    eval_split: str | None = _f(None, "split of the before/after figures and of evaluation during training "
                                      "(the paper: validation); null measures on the training facts")
    eval_max_facts: int | None = _f(None, "first N facts of eval_split (null: all)", kind="size")
    languages: list[str] | None = _f(None, "languages of every fact (null: the 12 PolyFact languages)")
    clean_filter: bool = _f(False, "apply PolyFact-Clean's question filter")
    on_invalid: Literal["error", "skip"] = _f("error", "a malformed row stops the run (error) or is skipped")
    max_facts: int | None = _f(None, "first N facts after shuffling (the paper's GRPO: 40,000)", kind="size")
    shuffle_seed: int | None = _f(None, "facts shuffled once with this seed (null keeps dataset order)")
    max_length: int | None = _f(None, "SFT: longest training sequence in tokens (longer is an error)", kind="size")
    max_prompt_length: int | None = _f(None, "GRPO: prompts longer than this many tokens keep their last tokens "
                                             "(the paper: 512)", kind="size")


@dataclass
class CorpusSource:
    path: str = _f("", "a .txt (blank-line-separated documents) or .jsonl ({doc_id, lang, text} or "
                       "{doc_id, texts: {lang: text}}) file")
    weight: float = _f(1.0, "times the source's training chunks appear per epoch (0.5: a seeded random half)")
    lang: str | None = _f(None, "language of a .txt source, or of JSONL rows without lang")
    name: str | None = _f(None, "name in the model card (default: the file name)")


@dataclass
class CorpusData:
    """CPT corpora (``xlfact.training.corpus``)."""

    corpus: str | None = _f(None, "shorthand for one source of weight 1")
    sources: list[CorpusSource] | None = _f(None, "weighted list of corpora (the data mix)")
    languages: list[str] | None = _f(None, "keep only these languages (null: all)")
    min_languages: int = _f(2, "parallel rows with fewer languages are dropped (the paper: 2)", kind="size")
    validation_ratio: float = _f(0.0, "language-balanced validation fraction (the paper: 0.005)")


@dataclass
class FictionalData:
    clika_dir: str | None = _f(None, "a clone of github.com/RiverGao/CLiKA (or XLFACT_CLIKA_DIR)")
    max_rows: int | None = _f(None, "an evenly spaced subset of N training rows (null: all)", kind="size")


@dataclass
class ConsistencySection:
    lambda_: float = _f(0.5, "weight of the cross-language KL term (0: plain SFT)", key="lambda")
    kl_direction: Literal["p_to_mean", "mean_to_p"] = _f(
        "p_to_mean", "p_to_mean: KL(p_l || mean p), the paper; mean_to_p: KL(mean p || p_l)")
    prompt_format: Literal["mcq", "cloze"] = _f("mcq", "mcq: lettered options (the paper); cloze: PolyFact's form")


@dataclass
class RewardSection:
    prompt_style: Literal["authors", "english_scaffold", "native_scaffold", "cloze"] = _f(
        "authors", "rollout prompt: the authors' (train_wikifact_grpo.py), an English or native-language "
                   "instruction, or PolyFact's bare cloze prompt")
    log_path: str | None = _f(None, "append every reward call (facts and completions per language) to this JSONL")


@dataclass
class PackingSection:
    target_tokens: int = _f(512, "chunk length the packing aims at (rows are never split)", kind="size")
    max_tokens: int = _f(1024, "truncation length of a chunk", kind="size")


@dataclass
class FictionalSection:
    lang: str | None = _f(None, "CLiKA target language (de, fr, it, pl, ru, ar, he, ja, zh)")
    translation_direction: Literal["en_to_target", "target_to_en", "both"] = _f(
        "en_to_target", "translation rows EN->X (the paper), X->EN (as shipped) or both (Table 20)")
    template: Literal["alpaca", "plain"] = _f("alpaca", "prompt template (alpaca: LLaMA-Factory's, the authors')")


DEFAULT_SEED = 0  # the recipe's top-level ``seed``

DATA = {"sft": PolyFactData, "grpo": PolyFactData, "cpt": CorpusData, "fictional": FictionalData}
OWN_SECTION = {"sft": ("consistency", ConsistencySection), "grpo": ("reward", RewardSection),
               "cpt": ("packing", PackingSection), "fictional": ("fictional", FictionalSection)}


class SchemaError(ValueError):
    """A value that does not fit its field; ``path`` is the dotted key."""

    def __init__(self, path: str, message: str):
        super().__init__(f"{path}: {message}")
        self.path = path


def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(tp))
    if origin in (Union, types.UnionType):
        return " or ".join(_type_name(a) for a in typing.get_args(tp))
    if origin is list:
        return f"a list of {_type_name(typing.get_args(tp)[0])}"
    if dataclasses.is_dataclass(tp):
        return f"a mapping ({', '.join(_key(f) for f in dataclasses.fields(tp))})"
    return {type(None): "null", str: "text", int: "an integer", float: "a number", bool: "true/false"}.get(
        tp, getattr(tp, "__name__", str(tp)))


def _key(f: dataclasses.Field) -> str:
    return f.metadata.get("key", f.name)


def check_value(tp: Any, value: Any, path: str) -> Any:
    """``value`` as type ``tp`` (ints accepted for floats); a SchemaError naming ``path`` otherwise."""
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in (a for a in args if a is not type(None)):
            try:
                return check_value(arg, value, path)
            except SchemaError as err:
                errors.append(err)
        if len(errors) == 1:
            raise errors[0]
        raise SchemaError(path, f"{value!r} is not {_type_name(tp)}")
    if origin is Literal:
        if value not in typing.get_args(tp):
            raise SchemaError(path, f"{value!r} is not {_type_name(tp)}")
        return value
    if origin is list:
        if not isinstance(value, list):
            raise SchemaError(path, f"{value!r} is not {_type_name(tp)}")
        (item,) = typing.get_args(tp)
        return [check_value(item, v, f"{path}[{i}]") for i, v in enumerate(value)]
    if dataclasses.is_dataclass(tp):
        return check(tp, value, path)
    if tp is bool:
        if not isinstance(value, bool):
            raise SchemaError(path, f"{value!r} is not true/false")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise SchemaError(path, f"{value!r} is not an integer")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise SchemaError(path, f"{value!r} is not a number")
        if not math.isfinite(value):
            raise SchemaError(path, f"{value!r} is not a finite number")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise SchemaError(path, f"{value!r} is not text")
        return value
    if tp is Any:
        return value
    raise TypeError(f"schema type {tp!r} at {path} is not supported")


def check_range(value: Any, kind: str, path: str) -> Any:
    """``value`` checked by the one value checker (:mod:`xlfact.core.values`: counts >= 0, sizes >= 1, finite numbers);
    a SchemaError naming ``path`` otherwise."""
    from xlfact.core.values import ValueProblem, coerce

    try:
        return coerce(value, kind)  # type: ignore[arg-type]
    except ValueProblem as err:
        raise SchemaError(path, str(err)) from None


def check(cls: type, mapping: Any, path: str) -> dict[str, Any]:
    """The effective mapping of dataclass ``cls``: every field (defaults filled in), unknown keys rejected."""
    if mapping is None:
        mapping = {}
    if not isinstance(mapping, dict):
        raise SchemaError(path, f"expected {_type_name(cls)}, got {type(mapping).__name__}")
    hints = typing.get_type_hints(cls)
    fields = {_key(f): f for f in dataclasses.fields(cls)}
    for key in mapping:
        if key not in fields:
            raise SchemaError(f"{path}.{key}", f"unknown key; {path} has {', '.join(fields)}")
    out: dict[str, Any] = {}
    for key, f in fields.items():
        if key in mapping:
            out[key] = check_value(hints[f.name], mapping[key], f"{path}.{key}")
            if f.metadata.get("kind") and out[key] is not None:
                out[key] = check_range(out[key], f.metadata["kind"], f"{path}.{key}")
        elif f.default is not dataclasses.MISSING:
            out[key] = f.default
        else:
            out[key] = f.default_factory()  # type: ignore[misc]
    return out


def typed(cls: type[T], mapping: Any, path: str) -> T:
    """An instance of dataclass ``cls`` from ``mapping``, checked as :func:`check` checks it, with the schema's
    defaults: the one place a recipe default is written (consumers read attributes, never ``.get(key, default)``)."""
    values = check(cls, mapping, path)
    return cls(**{f.name: values[_key(f)] for f in dataclasses.fields(cls)})


def describe(cls: type, indent: str = "") -> list[str]:
    """``key: type (default) — help`` lines of a section, for ``--help-config`` and the README."""
    hints = typing.get_type_hints(cls)
    lines = []
    for f in dataclasses.fields(cls):
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()  # type: ignore[misc]
        lines.append(f"{indent}{_key(f)}: {_type_name(hints[f.name])} (default {default!r}) — {f.metadata['help']}")
    return lines

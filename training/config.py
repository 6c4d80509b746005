"""Recipe files: one YAML per published recipe, with ``key=value`` overrides from the command line.

A recipe is a small, flat-ish mapping with the same sections for every recipe, so that a model card can print it
verbatim and a reader can diff two runs:

* ``recipe`` — ``sft`` | ``grpo`` | ``cpt`` | ``fictional`` (must match the subcommand);
* ``model`` — ``name_or_path`` (hub id or local folder), ``dtype`` (``float32`` | ``bfloat16`` | ``float16`` |
  ``auto``), optional ``revision``, ``attn_implementation``;
* ``data`` — recipe-specific (see each recipe module);
* ``lora`` — PEFT ``LoraConfig`` keyword arguments (``r``, ``lora_alpha``, ``lora_dropout``, ``target_modules``);
  ``lora: null`` trains all weights (then only the merged checkpoint is written);
* ``training`` — keyword arguments of the trainer's config class (``transformers.TrainingArguments``,
  ``trl.GRPOConfig`` or ``trl.SFTConfig``), passed through untouched;
* a recipe section of its own (``consistency`` for SFT, ``reward`` for GRPO, ``packing`` for CPT, ``fictional``);
* ``output_dir`` — where the merged checkpoint, the adapter and the model card go.

Every section is typed (:mod:`xlfact.training.schema`: dataclasses with help text; ``training`` by the trainer's
config class, ``lora`` by ``peft.LoraConfig``): an unknown key at any depth, in the file or in an override, and a value
of the wrong type are errors before anything is loaded, and the recipe a run uses is the effective one (defaults
filled in). Overrides are dotted paths with YAML values: ``training.learning_rate=1e-4``, ``lora=null``,
``data.languages=[en,de]``.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import yaml

from xlfact.errors import XlfactError
from xlfact.training import schema

RECIPES = ("sft", "grpo", "cpt", "fictional")
DEFAULT_LORA = {"r": 64, "lora_alpha": 128, "lora_dropout": 0.05, "target_modules": "all-linear"}
CONFIGS_DIR = Path(__file__).resolve().parent / "configs"
COMMON_SECTIONS = ("recipe", "seed", "model", "data", "lora", "training", "output_dir")
_FLOAT = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+")


class RecipeError(XlfactError):
    """A recipe file or override that cannot be used; the message names the file and the key."""


def resolve_config_path(path: str | Path) -> Path:
    """A recipe path as given, else the name of a shipped config (``grpo_qwen2.5-7b`` or ``grpo_qwen2.5-7b.yaml``)."""
    candidate = Path(path)
    if candidate.is_file():
        return candidate
    for name in (str(path), f"{path}.yaml"):
        shipped = CONFIGS_DIR / name
        if shipped.is_file():
            return shipped
    raise RecipeError(f"recipe file {path} not found (nor a shipped config of that name in {CONFIGS_DIR})")


def parse_override(text: str) -> tuple[list[str], Any]:
    """``a.b=value`` -> (["a", "b"], value parsed as YAML)."""
    if "=" not in text:
        raise RecipeError(f"override {text!r}: expected key=value (e.g. training.learning_rate=1e-4)")
    key, raw = text.split("=", 1)
    parts = [p for p in key.strip().split(".") if p]
    if not parts:
        raise RecipeError(f"override {text!r}: empty key")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError as err:
        raise RecipeError(f"override {text!r}: value is not valid YAML ({err})") from err
    if isinstance(value, str) and _FLOAT.fullmatch(value.strip()):
        value = float(value)  # YAML 1.1 reads "3e-2" (no dot) as a string; a learning rate must be a number
    return parts, value


def apply_override(config: dict[str, Any], parts: list[str], value: Any, source: str) -> None:
    """Set ``a.b.c`` in ``config``, creating sections on the way; whether the key exists is the schema's to say."""
    node: Any = config
    for depth, part in enumerate(parts[:-1]):
        if node.get(part) is None:
            node[part] = {}
        node = node[part]
        if not isinstance(node, dict):
            raise RecipeError(f"override {source!r}: {'.'.join(parts[: depth + 1])!r} is not a section")
    node[parts[-1]] = value


def check_recipe(config: dict[str, Any], where: str) -> dict[str, Any]:
    """The effective recipe: every section checked against its schema (unknown keys and wrong types are errors at
    any depth) with defaults filled in. ``training`` is checked by the trainer's own config class when the
    arguments are built (:mod:`xlfact.training.arguments`), ``lora`` by ``peft.LoraConfig``; neither loads a model."""
    recipe = config.get("recipe")
    if recipe not in RECIPES:
        raise RecipeError(f"{where}: field 'recipe' is {recipe!r}; expected one of {', '.join(RECIPES)}")
    own, own_cls = schema.OWN_SECTION[recipe]
    allowed = (*COMMON_SECTIONS, own)
    unknown = sorted(set(config) - set(allowed) - {"_source", "_overrides"})
    if unknown:
        raise RecipeError(f"{where}: unknown section(s) {', '.join(unknown)}; a {recipe} recipe has "
                          f"{', '.join(allowed)}")
    out = dict(config)
    try:
        out["seed"] = schema.check_value(int, config.get("seed", schema.DEFAULT_SEED), "seed")
        out["model"] = schema.check(schema.ModelSection, config.get("model"), "model")
        out["data"] = schema.check(schema.DATA[recipe], config.get("data"), "data")
        out[own] = schema.check(own_cls, config.get(own), own)
        out["output_dir"] = schema.check_value(str | None, config.get("output_dir"), "output_dir")
    except schema.SchemaError as err:
        raise RecipeError(f"{where}: {err}") from err
    if not isinstance(config.get("training") or {}, dict):
        raise RecipeError(f"{where}: section 'training' must be a mapping of trainer arguments")
    out["training"] = dict(config.get("training") or {})
    out["lora"] = check_lora(config.get("lora", {}), where)
    return out


def check_lora(lora: Any, where: str) -> dict[str, Any] | None:
    """``lora: null`` (train all weights) or LoraConfig arguments; unknown keys and refused values are errors."""
    if lora is None:
        return None
    if not isinstance(lora, dict):
        raise RecipeError(f"{where}: section 'lora' must be a mapping of peft.LoraConfig arguments or null")
    import dataclasses

    from peft import LoraConfig  # peft imports torch: only recipes with a lora section pay for it

    known = {f.name for f in dataclasses.fields(LoraConfig)}
    for key in lora:
        if key not in known or key == "task_type":
            raise RecipeError(f"{where}: lora.{key} is not a peft.LoraConfig argument")
    effective = {**DEFAULT_LORA, **lora}
    try:  # ranges peft does not check itself (r=0 fails only when the adapter is made, after the model loads)
        for key, kind in (("r", "size"), ("lora_alpha", "positive_number"), ("lora_dropout", "number")):
            if key in effective:
                schema.check_value(int if kind == "size" else float, effective[key], f"lora.{key}")
                schema.check_range(effective[key], kind, f"lora.{key}")
    except schema.SchemaError as err:
        raise RecipeError(f"{where}: {err}") from None
    try:
        LoraConfig(task_type="CAUSAL_LM", **effective)
    except (TypeError, ValueError) as err:
        raise RecipeError(f"{where}: section 'lora' is refused by peft.LoraConfig: {str(err).splitlines()[0]}") from err
    return effective


def load_recipe(path: str | Path, overrides: list[str] | None = None, *, expect: str | None = None) -> dict[str, Any]:
    """Read a recipe YAML, check it, apply the overrides, check again; returns the effective recipe (a plain dict).

    The file is checked before the overrides are applied, so an error names the file when the file is wrong and the
    override when the override is."""
    file = resolve_config_path(path)
    try:
        config = yaml.safe_load(file.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise RecipeError(f"{file}: not valid YAML ({err})") from err
    if not isinstance(config, dict):
        raise RecipeError(f"{file}: expected a mapping of sections, got {type(config).__name__}")
    check_recipe(copy.deepcopy(config), str(file))
    config = copy.deepcopy(config)
    for text in overrides or []:
        parts, value = parse_override(text)
        apply_override(config, parts, value, text)
        try:
            check_recipe(copy.deepcopy(config), str(file))
        except RecipeError as err:
            raise RecipeError(f"override {text!r}: {str(err).removeprefix(str(file) + ': ')}") from err
    config = check_recipe(config, str(file))
    recipe = config["recipe"]
    if expect is not None and recipe != expect:
        raise RecipeError(f"{file}: this is a {recipe!r} recipe, but `xlfact train {expect}` was asked for")
    if not config["model"].get("name_or_path"):
        raise RecipeError(f"{file}: model.name_or_path is required (a hub id or a local checkpoint folder)")
    if not config.get("output_dir"):
        raise RecipeError(f"{file}: output_dir is required (pass output_dir=DIR)")
    config["_source"] = str(file)
    config["_overrides"] = list(overrides or [])
    return config


def section(config: dict[str, Any], name: str) -> dict[str, Any]:
    """A recipe section as a dict (an absent or null section is empty)."""
    value = config.get(name) or {}
    if not isinstance(value, dict):
        raise RecipeError(f"{config.get('_source', 'recipe')}: section {name!r} must be a mapping")
    return dict(value)


def typed_section(config: dict[str, Any], name: str, cls: type[schema.T]) -> schema.T:
    """A recipe section as its schema's dataclass instance (defaults from the schema; a bad value is a RecipeError
    naming the recipe file and the dotted key)."""
    try:
        return schema.typed(cls, config.get(name), name)
    except schema.SchemaError as err:
        raise RecipeError(f"{config.get('_source', 'recipe')}: {err}") from None


def recipe_seed(config: dict[str, Any]) -> int:
    """The recipe's ``seed`` (the schema's default when absent)."""
    return int(config.get("seed", schema.DEFAULT_SEED))


def require(mapping: dict[str, Any], key: str, where: str, expected: str) -> Any:
    if key not in mapping or mapping[key] in (None, ""):
        raise RecipeError(f"{where}: {key} is required; expected {expected}")
    return mapping[key]


def public_view(config: dict[str, Any]) -> dict[str, Any]:
    """The recipe without bookkeeping keys, as printed in the model card and saved as ``recipe.yaml``."""
    return {k: v for k, v in config.items() if not k.startswith("_")}

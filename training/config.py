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

Overrides are dotted paths with YAML values: ``training.learning_rate=1e-4``, ``lora=null``,
``data.languages=[en,de]``. An override of a key that does not exist is an error (a typo must not train silently with
the default).
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import yaml

from xlfact.errors import XlfactError

RECIPES = ("sft", "grpo", "cpt", "fictional")
CONFIGS_DIR = Path(__file__).resolve().parent / "configs"
COMMON_SECTIONS = ("recipe", "model", "data", "lora", "training", "output_dir", "seed")
RECIPE_SECTIONS = {"sft": ("consistency",), "grpo": ("reward",), "cpt": ("packing",), "fictional": ("fictional",)}
# Keys that may be added by an override although the shipped file does not spell them out.
OPEN_SECTIONS = ("training", "lora", "model")
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
    node: Any = config
    for depth, part in enumerate(parts[:-1]):
        if not isinstance(node, dict) or part not in node:
            raise RecipeError(f"override {source!r}: no section {'.'.join(parts[: depth + 1])!r} in the recipe")
        if node[part] is None:
            node[part] = {}
        node = node[part]
    last = parts[-1]
    if not isinstance(node, dict):
        raise RecipeError(f"override {source!r}: {'.'.join(parts[:-1])!r} is not a section")
    open_section = len(parts) >= 2 and parts[0] in OPEN_SECTIONS
    if last not in node and not open_section:
        known = ", ".join(sorted(node)) or "none"
        raise RecipeError(f"override {source!r}: unknown key {'.'.join(parts)!r} (known here: {known})")
    node[last] = value


def load_recipe(path: str | Path, overrides: list[str] | None = None, *, expect: str | None = None) -> dict[str, Any]:
    """Read a recipe YAML, apply overrides, check its sections; returns a plain dict (a deep copy)."""
    file = resolve_config_path(path)
    try:
        config = yaml.safe_load(file.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise RecipeError(f"{file}: not valid YAML ({err})") from err
    if not isinstance(config, dict):
        raise RecipeError(f"{file}: expected a mapping of sections, got {type(config).__name__}")
    config = copy.deepcopy(config)
    for text in overrides or []:
        parts, value = parse_override(text)
        apply_override(config, parts, value, text)
    recipe = config.get("recipe")
    if recipe not in RECIPES:
        raise RecipeError(f"{file}: field 'recipe' is {recipe!r}; expected one of {', '.join(RECIPES)}")
    if expect is not None and recipe != expect:
        raise RecipeError(f"{file}: this is a {recipe!r} recipe, but `xlfact train {expect}` was asked for")
    allowed = set(COMMON_SECTIONS) | set(RECIPE_SECTIONS[recipe])
    unknown = sorted(set(config) - allowed)
    if unknown:
        raise RecipeError(f"{file}: unknown section(s) {', '.join(unknown)}; a {recipe} recipe has {sorted(allowed)}")
    for section in ("model", "data", "training"):
        if not isinstance(config.get(section), dict):
            raise RecipeError(f"{file}: section {section!r} is missing or not a mapping")
    if not config["model"].get("name_or_path"):
        raise RecipeError(f"{file}: model.name_or_path is required (a hub id or a local checkpoint folder)")
    if not config.get("output_dir"):
        raise RecipeError(f"{file}: output_dir is required (pass output_dir=DIR)")
    if config.get("lora") is not None and not isinstance(config["lora"], dict):
        raise RecipeError(f"{file}: section 'lora' must be a mapping of LoraConfig arguments or null")
    config["_source"] = str(file)
    config["_overrides"] = list(overrides or [])
    return config


def section(config: dict[str, Any], name: str) -> dict[str, Any]:
    """A recipe section as a dict (an absent or null section is empty)."""
    value = config.get(name) or {}
    if not isinstance(value, dict):
        raise RecipeError(f"{config.get('_source', 'recipe')}: section {name!r} must be a mapping")
    return dict(value)


def require(mapping: dict[str, Any], key: str, where: str, expected: str) -> Any:
    if key not in mapping or mapping[key] in (None, ""):
        raise RecipeError(f"{where}: {key} is required; expected {expected}")
    return mapping[key]


def public_view(config: dict[str, Any]) -> dict[str, Any]:
    """The recipe without bookkeeping keys, as printed in the model card and saved as ``recipe.yaml``."""
    return {k: v for k, v in config.items() if not k.startswith("_")}

"""Global-MMLU's specification as xlfact groups it: PolyFact's languages (Lite has no Russian), the two variants, the
local-copy keys and variables, the splits and letters. Read by the loader (:mod:`xlfact.tasks.global_mmlu.data`) and
the registry (:mod:`xlfact.tasks.global_mmlu.benchmark`) without importing ``datasets``."""

from __future__ import annotations

from xlfact.tasks.polyfact.spec import LANGUAGES as POLYFACT_LANGUAGES
from xlfact.tasks.polyfact.spec import LOW_RESOURCE, OPTION_LETTERS

__all__ = ["DIR_ENVS", "DIR_KEYS", "HUB_REVISION", "LANGUAGES", "LETTERS", "LITE_LANGUAGES", "LOW_RESOURCE", "SPLITS",
           "VARIANTS"]

LANGUAGES = POLYFACT_LANGUAGES  # grouped over PolyFact's languages, in its order
LITE_LANGUAGES = tuple(lang for lang in LANGUAGES if lang != "ru")  # Global-MMLU-Lite has no Russian
VARIANTS = ("full", "lite")
DIR_KEYS = {"full": "global_mmlu_dir", "lite": "global_mmlu_lite_dir"}
DIR_ENVS = {"full": "XLFACT_GLOBAL_MMLU_DIR", "lite": "XLFACT_GLOBAL_MMLU_LITE_DIR"}
SPLITS = ("test", "dev")
# The hub revision the data hook reads. The dataset ids come from lm-eval's installed built-in YAML, which pins no
# revision, so neither does xlfact: ``None`` (the hub loader logs it). Pin a commit here to freeze the data.
HUB_REVISION: str | None = None
LETTERS = OPTION_LETTERS

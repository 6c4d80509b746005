"""CLiKA's specification: the one place for its languages, tasks, option letters, data route and language names.
The loaders (:mod:`xlfact.tasks.clika.data`), the fictional-knowledge recipe (:mod:`xlfact.training.fictional`) and
the registry read it from here; the scoring constants stay with the scorer (:mod:`xlfact.evaluators.clika`)."""

from __future__ import annotations

from xlfact.evaluators.clika import LANGUAGES, N_OPTIONS, OPTION_LETTERS, TASKS

__all__ = ["CLIKA_DIR_ENV", "LANGUAGES", "LANGUAGE_NAMES", "N_OPTIONS", "OPTION_LETTERS", "SOURCE_URL", "TASKS"]

BENCHMARK = "clika"
CLIKA_DIR_ENV = "XLFACT_CLIKA_DIR"  # --metadata clika_dir=DIR, else this variable: a clone of the authors' repo
SOURCE_URL = "https://github.com/RiverGao/CLiKA"
# English names of the nine target languages (the fictional-knowledge instructions name them).
LANGUAGE_NAMES = {"de": "German", "fr": "French", "it": "Italian", "pl": "Polish", "ru": "Russian", "ar": "Arabic",
                  "he": "Hebrew", "ja": "Japanese", "zh": "Chinese"}

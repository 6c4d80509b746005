"""Global-MMLU data for lm-eval's built-in tasks: the hub datasets or a local copy, validated, loaded once per language.

lm-eval ships ``global_mmlu_full_<lang>`` (Global-MMLU, 57 subject tasks per language) and ``global_mmlu_<lang>``
(Global-MMLU-Lite, 6 category tasks per language). Each of those subject/category tasks loads the whole language
config and filters it with ``process_docs``. xlfact's groups route that load through :func:`load_global_mmlu` (an
lm-eval ``custom_dataset`` hook set by the group YAML), which

* reads the hub dataset the installed built-in YAML names (``dataset_path``/``dataset_name``, looked up by
  :func:`xlfact.tasks.global_mmlu.builtin.builtin_dataset`), or a local copy given by
  ``--metadata global_mmlu_dir=DIR`` / ``global_mmlu_lite_dir=DIR`` (env ``XLFACT_GLOBAL_MMLU_DIR`` /
  ``XLFACT_GLOBAL_MMLU_LITE_DIR``);
* validates every row, so a broken local copy fails with file, row, item and field instead of a template error deep
  inside lm-eval;
* loads each language once per process instead of once per subject task (57 loads per language for the full set).

Local layout: the hub repository's own files, ``DIR/<lang>/<split>*.parquet`` (a ``huggingface-cli download
CohereForAI/Global-MMLU --repo-type dataset --local-dir DIR`` snapshot) or ``DIR/<lang>/<split>.jsonl`` with the hub's
columns.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

import datasets

from xlfact.core.hub import load_hub_dataset
from xlfact.errors import DataError
from xlfact.tasks.global_mmlu.spec import (  # noqa: F401 - the spec's names, re-exported where they were
    DIR_ENVS,
    DIR_KEYS,
    HUB_REVISION,
    LANGUAGES,
    LETTERS,
    LITE_LANGUAGES,
    LOW_RESOURCE,
    SPLITS,
    VARIANTS,
)

REQUIRED_FIELDS = ("sample_id", "subject", "subject_category", "question", "option_a", "option_b", "option_c",
                   "option_d", "answer")
READERS = {".parquet": "parquet", ".jsonl": "json", ".json": "json", ".csv": "csv"}


class GlobalMMLUDataError(DataError):
    """A Global-MMLU row or file that the built-in tasks cannot use; the message names file, row, item and field."""


def builtin_group(variant: str, lang: str) -> str:
    """The lm-eval built-in group of one language: ``global_mmlu_full_<lang>`` or ``global_mmlu_<lang>``."""
    if variant not in VARIANTS:
        raise ValueError(f"Global-MMLU: unknown variant {variant!r}; expected one of {VARIANTS}")
    return f"global_mmlu_full_{lang}" if variant == "full" else f"global_mmlu_{lang}"


def validate_row(row: dict[str, Any], where: str) -> None:
    """Check the fields the built-in prompt, target and ``process_docs`` filters read."""
    item = row.get("sample_id")
    at = f"{where}" + (f" (item {item})" if item else "")
    for field in REQUIRED_FIELDS:
        value = row.get(field)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise GlobalMMLUDataError(f"{at}: field {field!r} is missing or empty; expected the hub columns "
                                      f"{', '.join(REQUIRED_FIELDS)}")
    if row["answer"] not in LETTERS:
        raise GlobalMMLUDataError(f"{at}: answer is {row['answer']!r}; expected one of A, B, C, D")


def local_files(data_dir: str | os.PathLike, lang: str) -> dict[str, list[str]]:
    """``{split: [files]}`` of one language in a local copy (``DIR/<lang>/<split>*.<parquet|jsonl|json|csv>``)."""
    base = Path(data_dir).expanduser() / lang
    found: dict[str, list[str]] = {}
    for split in SPLITS:
        files = sorted(str(p) for p in base.glob(f"{split}*") if p.suffix in READERS)
        if files:
            found[split] = files
    if "test" not in found:
        raise FileNotFoundError(
            f"Global-MMLU: no test file in {base}; a local copy must keep the hub layout DIR/<lang>/test*.parquet "
            f"(or test.jsonl), e.g. {base / 'test.jsonl'}"
        )
    suffixes = {Path(f).suffix for files in found.values() for f in files}
    if len({READERS[s] for s in suffixes}) != 1:
        raise GlobalMMLUDataError(f"Global-MMLU: {base} mixes file types {sorted(suffixes)}; expected one format")
    return found


@functools.lru_cache(maxsize=64)
def _load(variant: str, lang: str, data_dir: str | None, hub: tuple[str, str] | None) -> datasets.DatasetDict:
    if data_dir:
        files = local_files(data_dir, lang)
        reader = READERS[Path(files["test"][0]).suffix]
        dataset = datasets.load_dataset(reader, data_files=files)
        origin = {split: ", ".join(paths) for split, paths in files.items()}
    else:
        if hub is None:
            raise ValueError(f"Global-MMLU {variant} {lang}: no local copy and no hub dataset given")
        name, config = hub
        dataset = load_hub_dataset(
            name, config, revision=HUB_REVISION, benchmark="Global-MMLU",
            offline_hint=f"Offline, pass a local copy with --metadata {DIR_KEYS[variant]}=DIR or "
                         f"{DIR_ENVS[variant]}=DIR (layout DIR/<lang>/test*.parquet or test.jsonl with the hub's "
                         "columns).",
        )
        origin = {split: f"{name}[{config}]/{split}" for split in dataset}
    for split, rows in dataset.items():
        for row_no, row in enumerate(rows, start=1):
            validate_row(row, f"{origin[split]} row {row_no}")
    return dataset


def load_global_mmlu(
    variant: str, lang: str, data_dir: str | os.PathLike | None = None, hub: tuple[str, str] | None = None
) -> datasets.DatasetDict:
    """The validated ``test`` (and ``dev``, where present) splits of one language, cached per process.

    ``data_dir`` (or the variant's environment variable) names a local copy; otherwise ``hub`` =
    ``(dataset_path, dataset_name)`` is loaded from the Hugging Face hub.
    """
    builtin_group(variant, lang)  # validates the variant
    data_dir = data_dir or os.environ.get(DIR_ENVS[variant]) or None
    local = str(Path(data_dir).expanduser().resolve()) if data_dir else None
    return _load(variant, lang, local, None if local else hub)

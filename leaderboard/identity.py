"""Who produced a leaderboard row: a readable model label, the backend and its settings, revision, dtype and
parameter count — for every backend, not only the ones whose lm-eval wrapper reports them.

Why: lm-eval names a run by its ``pretrained`` argument, so two runs of a local checkpoint both appear as
``/root/.cache/xlfact/smollm2-135m-instruct``, and its vLLM wrapper reports no revision, dtype or size. Here:

- **label**: ``--label RUN=NAME`` if given; else the hub id (``org/model``); else, for a local checkpoint folder, its
  folder name (``checkpoint-200`` keeps its parent: ``sft-run/checkpoint-200``).
- **backend**: lm-eval's ``--model`` (``hf``, ``vllm``, ``xlfact-hf``, …; LightEval for LightEval runs) and its
  settings (the other ``--model_args``, batch size, device).
- **revision / dtype / parameters / sha**: what the results file says; where it says nothing (vLLM), read from the
  local checkpoint — ``config.json``'s dtype and the tensor shapes in the safetensors headers (no weights loaded).
  A local folder without an explicit ``revision=`` shows ``local``.

Runs of one model (same source and revision), task set and task settings are grouped: two on one backend are
*duplicates* (flagged), two on different backends are a *backend comparison*, shown with the fraction of items on
which both chose the same answer.
"""

from __future__ import annotations

import json
import math
import re
import struct
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from xlfact.core.model_args import parse_model_args
from xlfact.core.runs import Run
from xlfact.errors import UsageError

BACKEND_NAMES = {"hf": "hf", "hf-auto": "hf", "huggingface": "hf", "vllm": "vllm", "xlfact-hf": "xlfact-hf",
                 "lighteval": "LightEval"}
IDENTITY_ARGS = {"pretrained", "model", "model_name", "revision", "dtype", "torch_dtype"}
DTYPE_NAMES = {"float32": "float32", "fp32": "float32", "float16": "float16", "fp16": "float16", "half": "float16",
               "bfloat16": "bfloat16", "bf16": "bfloat16", "float": "float32"}
SAFETENSORS_BYTES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1,
                     "BOOL": 1, "F8_E4M3": 1, "F8_E5M2": 1}


class LabelError(UsageError):
    """A ``--label`` that is not ``RUN=NAME`` or names no run."""


@dataclass(frozen=True)
class Identity:
    label: str
    source: str
    local: bool
    backend: str
    name: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    revision: str | None = None
    dtype: str | None = None
    parameters: int | None = None
    sha: str | None = None

    @property
    def model_key(self) -> tuple[str, str]:
        """What makes two runs 'the same model': the resolved source, its revision, and the results file's
        ``model_name`` where someone set it to something other than the source."""
        source = str(Path(self.source).expanduser().resolve()) if self.local else self.source
        return source, str(self.revision or ""), str(self.name or "")

    @property
    def settings_text(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in sorted(self.settings.items())) or "defaults"

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["settings_text"] = self.settings_text
        return out


def is_dir(path: str | Path) -> bool:
    """``Path.is_dir`` that is False for a name the filesystem cannot hold (a model name over 255 characters raises
    ``OSError: File name too long`` in Python's own check)."""
    try:
        return Path(path).expanduser().is_dir()
    except OSError:
        return False


def is_local(source: str) -> bool:
    text = str(source)
    return text.startswith(("/", "./", "../", "~", ".\\")) or (bool(text) and is_dir(text))


def folder_label(path: str | Path) -> str:
    """A local checkpoint's readable name: its folder, with the parent for ``checkpoint-N`` / ``step-N`` folders."""
    p = Path(str(path)).expanduser()
    name = p.name or str(p)
    if re.fullmatch(r"(checkpoint|step|global_step|ckpt|epoch)[-_]?\d+|final|last|best", name) and p.parent.name:
        return f"{p.parent.name}/{name}"
    return name


def _dtype(value: Any) -> str | None:
    text = str(value or "").removeprefix("torch.").strip()
    if not text or text == "auto":
        return None
    return DTYPE_NAMES.get(text, text)


def safetensors_parameters(folder: Path) -> int | None:
    """Parameter count from the safetensors headers of a checkpoint folder (8-byte length + JSON; no weights read)."""
    total, found = 0, False
    for file in sorted(folder.glob("*.safetensors")):
        try:
            with file.open("rb") as handle:
                (length,) = struct.unpack("<Q", handle.read(8))
                if length > 100_000_000:
                    return None
                header = json.loads(handle.read(length))
        except (OSError, ValueError, struct.error):
            return None
        for name, info in header.items():
            if name != "__metadata__" and isinstance(info, dict) and "shape" in info:
                total += math.prod(int(x) for x in info["shape"])
                found = True
    return total if found else None


def checkpoint_facts(folder: str | Path) -> dict[str, Any]:
    """dtype and parameter count of a local checkpoint folder (empty when it is not one or is gone)."""
    path = Path(str(folder)).expanduser()
    if not path.is_dir():
        return {}
    out: dict[str, Any] = {}
    try:
        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
        out["dtype"] = _dtype(config.get("dtype") or config.get("torch_dtype"))
    except (OSError, ValueError, AttributeError):
        pass
    out["parameters"] = safetensors_parameters(path)
    return out


def parse_labels(specs: Iterable[str]) -> dict[str, str]:
    """``["runs/a=Model A", ...]`` -> ``{"runs/a": "Model A"}`` (the first ``=`` separates; names may hold ``=``)."""
    out = {}
    for spec in specs:
        run, sep, name = str(spec).partition("=")
        if not sep or not run.strip() or not name.strip():
            raise LabelError(f"--label {spec!r}: expected RUN=NAME (RUN: a run folder, its results file or its "
                             "model folder name)")
        out[run.strip()] = name.strip()
    return out


def _label_for(run: Run, labels: Mapping[str, str]) -> str | None:
    keys = {run.folder.name, str(run.results_path), run.results_path.name}
    for path in (run.folder, run.results_path, run.folder.parent):
        keys.add(str(path))
        keys.add(str(path.resolve()))
    for given, name in labels.items():
        if given in keys or str(Path(given).expanduser().resolve()) in keys:
            return name
    return None


def check_labels(runs: list[Run], labels: Mapping[str, str]) -> None:
    """Every ``--label RUN=NAME`` must name one of the runs (a typo would otherwise be ignored silently)."""
    for given, name in labels.items():
        if not any(_label_for(run, {given: name}) for run in runs):
            raise LabelError(f"--label {given}={name}: no run folder or results file {given!r} among the runs given")


def identify(run: Run, labels: Mapping[str, str] | None = None) -> Identity:
    """The identity of one run (see the module docstring for where each field comes from)."""
    config = run.config
    args = parse_model_args(config.get("model_args"))
    source = str(args.get("pretrained") or args.get("model") or args.get("model_name") or run.results.get(
        "model_name") or run.folder.name)
    local = is_local(source)
    backend_raw = str(config.get("model") or run.results.get("model_source") or "unknown")
    backend = BACKEND_NAMES.get(backend_raw, backend_raw)
    settings = {k: v for k, v in args.items() if k not in IDENTITY_ARGS}
    for key in ("batch_size", "device"):
        if config.get(key) not in (None, "", []):
            settings.setdefault(key, config[key])
    facts = checkpoint_facts(source) if local else {}
    revision = args.get("revision") or (None if local else config.get("model_revision") or "main")
    if local and not revision:
        revision = "local"
    parameters = config.get("model_num_parameters")
    if not isinstance(parameters, int) or isinstance(parameters, bool) or parameters <= 0:
        parameters = facts.get("parameters")
    name = run.results.get("model_name")
    name = str(name) if name and str(name) != source else None
    if labels and (given := _label_for(run, labels)):
        label = given
    elif name and not is_local(name):
        label = name  # a model_name someone set on purpose
    else:
        label = folder_label(source) if local else source
    return Identity(
        label=label, source=source, local=local, name=name, backend=backend, settings=settings, revision=str(revision),
        dtype=_dtype(config.get("model_dtype")) or _dtype(args.get("dtype") or args.get("torch_dtype"))
        or facts.get("dtype"),
        parameters=parameters, sha=str(config.get("model_sha") or "") or None,
    )


def task_signature(run: Run) -> tuple:
    """The tasks and their comparability settings, as one hashable value."""
    return tuple(sorted((task, repr(run.settings(task))) for task in run.tasks))


def _predictions(run: Run, tasks: Iterable[str]) -> dict[tuple[str, str], Any]:
    out = {}
    for task in tasks:
        if task not in run.sample_paths:
            continue
        for record in run.records(task):
            scores = record.get("scores")
            if isinstance(scores, list) and scores:
                answer: Any = max(range(len(scores)), key=lambda i: (scores[i], -i))
            else:
                answer = bool(record.get("correct"))
            out[(str(record["item"]), str(record["lang"]))] = answer
    return out


def backend_agreement(a: Run, b: Run) -> dict[str, dict[str, Any]]:
    """Per benchmark both runs have records for: the fraction of (fact, language) items on which both runs chose the
    same option (or, without option scores, were both right or both wrong), and over how many items."""
    out = {}
    for bench, tasks in a.benchmarks.items():
        if bench not in b.benchmarks:
            continue
        pa, pb = _predictions(a, tasks), _predictions(b, b.benchmarks[bench])
        common = [k for k in pa if k in pb]
        if common:
            out[bench] = {"agreement": sum(pa[k] == pb[k] for k in common) / len(common), "n": len(common)}
    return out


def group_runs(runs: list[Run], identities: list[Identity]) -> dict[str, Any]:
    """Duplicates (same model, backend, backend settings, tasks and settings) and backend comparisons (same model,
    tasks and settings, different backends), by run index."""
    groups: dict[tuple, list[int]] = {}
    for i, (run, ident) in enumerate(zip(runs, identities)):
        groups.setdefault((ident.model_key, task_signature(run)), []).append(i)
    duplicates, comparisons = [], []
    for members in groups.values():
        by_backend: dict[tuple, list[int]] = {}
        for i in members:
            ident = identities[i]
            by_backend.setdefault((ident.backend, ident.settings_text), []).append(i)
        duplicates += [ids for ids in by_backend.values() if len(ids) > 1]
        backends = sorted({identities[i].backend for i in members})
        if len(backends) > 1:
            firsts = [ids[0] for ids in by_backend.values()]
            pairs = []
            for x in range(len(firsts)):
                for y in range(x + 1, len(firsts)):
                    i, j = firsts[x], firsts[y]
                    if identities[i].backend != identities[j].backend:
                        pairs.append({"runs": [i, j], "backends": [identities[i].backend, identities[j].backend],
                                      "benchmarks": backend_agreement(runs[i], runs[j])})
            comparisons.append({"label": identities[members[0]].label, "runs": members, "backends": backends,
                                "pairs": pairs})
    return {"duplicates": duplicates, "backend_comparisons": comparisons}

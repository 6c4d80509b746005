"""What every analysis shares: loading a causal LM, finding its layers, progress bars, errors and output files."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from xlfact.errors import XlfactError

T = TypeVar("T")

DTYPES = ("float32", "bfloat16", "float16", "auto")


class AnalysisInputError(XlfactError):
    """Bad input to ``xlfact analyze``: the message names the file, row and field; the command exits 2."""


def torch_dtype(name: str):
    import torch

    if name == "auto":
        return "auto"
    try:
        return {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[name]
    except KeyError:
        raise AnalysisInputError(f"--dtype {name!r}: expected one of {', '.join(DTYPES)}") from None


def load_model(path: str, device: str = "cpu", dtype: str = "float32", attn_implementation: str | None = None):
    """``(model, tokenizer)`` from a local folder or a hub id (``from_pretrained`` either way), in eval mode."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    kwargs: dict[str, Any] = {"dtype": torch_dtype(dtype)}
    if attn_implementation:
        kwargs["attn_implementation"] = attn_implementation
    local = Path(path).expanduser()
    if not local.exists() and not looks_like_hub_id(path):
        raise AnalysisInputError(f"--model {path}: no such folder (and not a hub id ORG/NAME)")
    if local.exists() and not (local / "config.json").is_file():
        raise AnalysisInputError(f"--model {path}: not a model folder (no config.json)")
    source = str(local) if local.exists() else path
    try:
        tokenizer = AutoTokenizer.from_pretrained(source)
        model = AutoModelForCausalLM.from_pretrained(source, **kwargs)
    except (OSError, ValueError) as err:  # a folder without weights or tokenizer, a hub id that is not cached offline
        first = next((line for line in str(err).splitlines() if line.strip()), type(err).__name__)
        raise AnalysisInputError(f"--model {path}: cannot load it ({first[:200]})") from None
    model.to(device)
    model.eval()
    return model, tokenizer


def looks_like_hub_id(name: str) -> bool:
    """``ORG/NAME`` or ``NAME`` as the hub spells repository ids (no leading ``.``, ``/`` or ``~``, one slash at
    most): anything else that does not exist is a missing local folder, not a hub repository to look up."""
    import re

    return bool(re.fullmatch(r"[A-Za-z0-9][\w.-]*(/[A-Za-z0-9][\w.-]*)?", name)) and not name.endswith((".", "-"))


def decoder_layers(model) -> list:
    """The decoder blocks of a Llama-style model (``model.model.layers``); a clear error for other layouts."""
    inner = getattr(model, "model", None)
    layers = getattr(inner, "layers", None)
    if layers is None:
        raise AnalysisInputError(
            f"{type(model).__name__}: no model.model.layers; xlfact analyze supports Llama-style decoders "
            "(Llama, OLMo-2, Qwen2, Mistral, SmolLM2, ...)"
        )
    return list(layers)


def final_norm(model):
    norm = getattr(getattr(model, "model", None), "norm", None)
    if norm is None:
        raise AnalysisInputError(f"{type(model).__name__}: no model.model.norm (final norm) for the logit lens")
    return norm


def progress(iterable: Iterable[T], desc: str, total: int | None = None, enabled: bool = True) -> Iterator[T]:
    """A tqdm bar on stderr (transformers depends on tqdm); a plain iterator when disabled."""
    if not enabled:
        yield from iterable
        return
    from tqdm.auto import tqdm

    yield from tqdm(iterable, desc=desc, total=total, file=sys.stderr, dynamic_ncols=True)


def model_label(path: str) -> str:
    return Path(path).name or str(path)

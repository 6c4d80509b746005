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
    source = str(local) if local.exists() else path
    tokenizer = AutoTokenizer.from_pretrained(source)
    model = AutoModelForCausalLM.from_pretrained(source, **kwargs)
    model.to(device)
    model.eval()
    return model, tokenizer


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

"""What every analysis shares: loading a causal LM, finding its layers, progress bars, errors and output files."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TypeVar

from xlfact.core import models
from xlfact.errors import XlfactError

T = TypeVar("T")


class AnalysisInputError(XlfactError):
    """Bad input to ``xlfact analyze``: the message names the file, row and field; the command exits 2."""


def torch_dtype(name: str):
    return models.torch_dtype(name, "--dtype", AnalysisInputError)


def load_model(path: str, device: str = "cpu", dtype: str = "float32", attn_implementation: str | None = None):
    """``(model, tokenizer)`` from a local folder or a hub id (``from_pretrained`` either way), in eval mode."""
    source = models.check_model_source(path, "--model", AnalysisInputError)
    tokenizer = models.load_tokenizer(source, error=AnalysisInputError, pad_with_eos=False)
    model = models.load_causal_lm(source, dtype=dtype, device=device, attn_implementation=attn_implementation,
                                  error=AnalysisInputError)
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

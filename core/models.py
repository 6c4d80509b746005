"""The one model and tokenizer loader: a local checkpoint folder or a hub id, checked before anything loads.

Training recipes, the mechanistic analyses, trace similarity and the AdaXEval ``hf`` client all load causal LMs with
``transformers``' ``from_pretrained``; they share what a name may be (an existing folder with ``config.json``, or
something spelled like a hub id), the dtype names, the pad-token rule and the one-line refusal. Each caller passes
its own flag name (``--model``, ``model.name_or_path``) and its own error class, so the line it prints is unchanged.

``torch`` and ``transformers`` are imported inside the functions: importing this module (as every command's argument
checking does) must not cost the seconds they take to import.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from xlfact.errors import UsageError, XlfactError

DTYPES = ("float32", "bfloat16", "float16", "auto")
_HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]*(/[A-Za-z0-9][\w.-]*)?")


def torch_dtype(name: str | None, flag: str = "--dtype", error: type[XlfactError] = UsageError):
    """``torch.float32`` etc. for a dtype name (None = ``auto``); one of :data:`DTYPES`, else ``error``."""
    name = name or "auto"
    if name not in DTYPES:
        raise error(f"{flag} {name!r}: expected one of {', '.join(DTYPES)}")
    if name == "auto":
        return "auto"
    import torch

    return getattr(torch, name)


def looks_like_hub_id(name: str) -> bool:
    """``ORG/NAME`` or ``NAME`` as the hub spells repository ids (no leading ``.``, ``/`` or ``~``, one slash at
    most): anything else that does not exist is a missing local folder, not a hub repository to look up."""
    return bool(_HUB_ID.fullmatch(name)) and not name.startswith(".") and not name.endswith((".", "-"))


def check_model_source(name: str, flag: str = "--model", error: type[XlfactError] = UsageError,
                       tokenizer_only: bool = False) -> str:
    """``name`` as ``from_pretrained`` should get it: an existing folder must hold ``config.json`` (or, for a
    tokenizer, ``tokenizer_config.json``); a name that does not exist must be spelled like a hub id. So a mistyped
    folder says "not found" instead of huggingface_hub's "Repo id must be in the form"."""
    path = Path(str(name)).expanduser()
    if path.exists():
        markers = ("config.json", "tokenizer_config.json") if tokenizer_only else ("config.json",)
        if not path.is_dir() or not any((path / marker).is_file() for marker in markers):
            raise error(f"{flag}: {path} is not a checkpoint folder (no {' or '.join(markers)})")
        return str(path)
    if str(name).startswith(("/", "./", "../", "~")) or not looks_like_hub_id(str(name)):
        raise error(f"{flag}: model folder {name} not found (no such folder, and not a hub id ORG/NAME)")
    return str(name)


def _local_or_hub(source: str) -> str:
    """An existing folder as its expanded path (``~/models/x``), anything else as written (a hub id)."""
    path = Path(str(source)).expanduser()
    return str(path) if path.exists() else str(source)


def _first_line(err: BaseException) -> str:
    return next((line for line in str(err).splitlines() if line.strip()), type(err).__name__)[:200]


def load_tokenizer(source: str, *, revision: str | None = None, flag: str = "--model",
                   error: type[XlfactError] = UsageError, pad_with_eos: bool = True, padding_side: str | None = None):
    """The tokenizer of ``source``; with ``pad_with_eos`` a model without a pad token pads with its EOS token
    (decoder-only models often ship without one; every caller masks padding out)."""
    from transformers import AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(_local_or_hub(source), revision=revision)
    except (OSError, ValueError) as err:  # a folder without a tokenizer, a hub id not cached offline
        raise error(f"{flag} {source}: cannot load its tokenizer ({_first_line(err)})") from None
    if pad_with_eos and tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    if padding_side:
        tokenizer.padding_side = padding_side
    return tokenizer


def load_causal_lm(source: str, *, revision: str | None = None, dtype: str | None = "auto", device: str | None = None,
                   attn_implementation: str | None = None, flag: str = "--model", dtype_flag: str = "--dtype",
                   error: type[XlfactError] = UsageError, eval_mode: bool = True):
    """The causal LM at ``source`` (folder or hub id) in ``dtype`` (None: the installed transformers' own default),
    moved to ``device`` when given, in eval mode unless ``eval_mode`` is False (training)."""
    from transformers import AutoModelForCausalLM

    kwargs: dict[str, Any] = {"revision": revision}
    if dtype is not None:
        kwargs["dtype"] = torch_dtype(dtype, flag=dtype_flag, error=error)
    if attn_implementation:
        kwargs["attn_implementation"] = attn_implementation
    try:
        model = AutoModelForCausalLM.from_pretrained(_local_or_hub(source), **kwargs)
    except (OSError, ValueError) as err:  # a folder without weights, a hub id not cached offline
        raise error(f"{flag} {source}: cannot load it ({_first_line(err)})") from None
    if device is not None:
        model.to(device)
    if eval_mode:
        model.eval()
    return model

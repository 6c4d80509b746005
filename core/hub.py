"""The one Hugging Face hub loader every benchmark reads its hub data through.

Why one: a benchmark score is only comparable with another when both read the same data, so every hub read must say
which revision it asked for. :func:`load_hub_dataset` therefore takes ``revision`` as a required keyword (the pinned
commit or tag from the benchmark's spec, or ``None`` only where the spec says none is pinned; that case is logged so
the run's log shows its data was "whatever the hub had that day"). A failed read (offline, a gated or missing dataset)
becomes one :class:`HubLoadError` line naming the dataset, its config/files and the benchmark's own offline way out.

Local copies do not come through here: each benchmark keeps its local-path route (a file or folder it reads itself).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from xlfact.errors import XlfactError

log = logging.getLogger(__name__)


class HubLoadError(XlfactError, RuntimeError):
    """A hub dataset could not be loaded (offline, gated without a token, renamed); the message says how to use a local
    copy instead. A ``RuntimeError`` too, as the benchmarks' hub failures were before this loader existed."""


def _first_line(err: BaseException) -> str:
    text = str(err).strip() or type(err).__name__
    return text.splitlines()[0]


def load_hub_dataset(
    name: str,
    config: str | None = None,
    *,
    revision: str | None,
    split: str | None = None,
    data_files: str | Sequence[str] | None = None,
    token: str | bool | None = None,
    benchmark: str,
    offline_hint: str,
    **kwargs: Any,
) -> Any:
    """``datasets.load_dataset(name, config, split=..., revision=..., ...)`` with the revision always stated.

    ``benchmark`` names the benchmark in messages (``"PolyFact"``); ``offline_hint`` is the sentence that tells the user
    how to run without the hub (``"Offline, pass ... --metadata data_dir=DIR"``). ``token`` is passed on only when
    given (gated datasets). Raises :class:`HubLoadError` (one line) when ``datasets`` cannot load the dataset.
    """
    import datasets

    what = name + (f" (config {config!r}" + (f", split {split!r})" if split else ")") if config else
                   (f" ({data_files})" if isinstance(data_files, str) else ""))
    if revision is None:
        log.warning("%s: loading %s from the Hugging Face hub at its latest revision (the spec pins none)",
                    benchmark, name)
    extra: dict[str, Any] = dict(kwargs)
    if data_files is not None:
        extra["data_files"] = data_files
    if token is not None:
        extra["token"] = token
    try:
        return datasets.load_dataset(name, config, split=split, revision=revision, **extra)
    except Exception as err:  # noqa: BLE001 - re-raised as one line with the way out
        raise HubLoadError(f"{benchmark}: could not load {what} from the Hugging Face hub: {_first_line(err)}. "
                           f"{offline_hint}") from err

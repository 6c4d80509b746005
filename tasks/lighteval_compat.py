"""Make LightEval 0.13 start offline in this environment, without editing LightEval's files.

LightEval's registry imports *every* built-in task module before it reads a ``--custom-tasks`` module, and three things
in that path break here:

1. ``lighteval.tasks.tasks.tiny_benchmarks`` downloads ``tinyBenchmarks.pkl`` from GitHub at import time. Offline (and
   only when the pickle is not already beside the module) we register an empty stand-in for that module, so the
   tinyBenchmarks tasks are absent instead of the whole registry failing.
2. LLM-judge metrics (``mt_bench``, ``mix_eval``, ...) call ``HfApi().list_models(model_name=...)`` at import time;
   huggingface_hub 2.x removed that keyword (it is ``search=``). We hand LightEval a ``HfApi`` subclass that accepts
   the old keyword, and that skips the lookup offline (a judge cannot run offline anyway).
3. The details logger hashes ``str`` with ``xxhash.xxh64``; xxhash 4.x only accepts bytes. We give the logger an
   ``xxhash`` whose ``xxh64`` encodes text as UTF-8 first, which is what xxhash 3.x did, so hashes are unchanged.

:func:`apply` is idempotent. Nothing calls it on import: ``python -m xlfact.tasks.lighteval_tasks`` calls it before
handing over to LightEval's own command line (where the registry would otherwise fail before it ever imports the
custom-tasks module), and code that starts a LightEval ``Pipeline`` itself (the tests) calls it first.
"""

from __future__ import annotations

import logging
import sys
import types
from importlib.util import find_spec
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
_APPLIED: dict[str, bool] = {}
TINY_BENCHMARKS = "lighteval.tasks.tasks.tiny_benchmarks"


def _offline() -> bool:
    from huggingface_hub import constants

    return bool(constants.HF_HUB_OFFLINE)


def _stub_tiny_benchmarks() -> None:
    spec = find_spec("lighteval.tasks.tasks")
    folder = Path(next(iter(spec.submodule_search_locations))) if spec and spec.submodule_search_locations else None
    if TINY_BENCHMARKS in sys.modules or folder is None or (folder / "tinyBenchmarks.pkl").exists() or not _offline():
        return
    stub = types.ModuleType(TINY_BENCHMARKS)
    stub.__doc__ = "xlfact offline stand-in: the real module downloads tinyBenchmarks.pkl from GitHub on import."
    stub.TASKS_TABLE = []
    sys.modules[TINY_BENCHMARKS] = stub
    log.info("LightEval offline: tinyBenchmarks tasks disabled (their module downloads a pickle on import)")


def _compat_hf_api() -> None:
    import huggingface_hub
    import lighteval.metrics.metrics_sample as metrics_sample

    if getattr(metrics_sample.HfApi, "_xlfact_compat", False):
        return

    class HfApi(huggingface_hub.HfApi):
        """``list_models(model_name=...)`` as LightEval 0.13 calls it, on huggingface_hub 2.x."""

        _xlfact_compat = True

        def list_models(self, *args: Any, model_name: str | None = None, **kwargs: Any) -> Any:
            if model_name is not None:
                if _offline():
                    return [model_name]  # cannot be checked offline; the judge fails later if it is really used
                kwargs.setdefault("search", model_name)
            return list(super().list_models(*args, **kwargs))

    metrics_sample.HfApi = HfApi


class _Xxhash:
    """``xxhash`` as LightEval's details logger uses it, accepting text as xxhash 3.x did (UTF-8)."""

    def __init__(self, module: types.ModuleType) -> None:
        self._module = module

    def xxh64(self, data: str | bytes = b"", *args: Any, **kwargs: Any) -> Any:
        return self._module.xxh64(data.encode("utf-8") if isinstance(data, str) else data, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._module, name)


def _compat_xxhash() -> None:
    import lighteval.logging.info_loggers as info_loggers

    if not isinstance(info_loggers.xxhash, _Xxhash):
        info_loggers.xxhash = _Xxhash(info_loggers.xxhash)


def apply() -> None:
    """Apply the three fixes above (once per process)."""
    if _APPLIED.get("done"):
        return
    _stub_tiny_benchmarks()
    _compat_hf_api()
    _compat_xxhash()
    _APPLIED["done"] = True

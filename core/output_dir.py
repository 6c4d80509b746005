"""Output folders and files that never destroy what the user did not ask to replace: one helper for every writer.

Every command that writes a folder (``make-task``, ``build adaxeval``, ``trace``, ``leaderboard build``, the
analyses) calls :func:`prepare_output_dir` before any work starts, and every command that writes one file calls
:func:`check_output_file`. The rules:

* the output is never an input, inside an input folder, or a folder that holds an input (``make-task --data d
  --out d`` used to delete ``d/items.jsonl``);
* an existing non-empty folder is written into (or replaced) only when xlfact made it: the folder then holds
  :data:`MARKER`, written when the folder is first prepared. A folder of the user's (``--out .``, a folder with their
  ``notes.txt``) is refused unless the user passes ``--overwrite``.

A refusal is a :class:`xlfact.errors.UsageError`: one line naming the flag and the path, exit status 2.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from xlfact.errors import UsageError

MARKER = ".xlfact-output.json"


def check_not_input(out: Path, inputs: Iterable[str | Path | None], flag: str, shown: str | Path) -> None:
    """Refuse (UsageError) an output ``out`` (resolved) that is an input, holds one, or is inside an input folder."""
    for given in inputs:
        if given is None or str(given) == "":
            continue
        source = Path(given).resolve()
        if out == source:
            raise UsageError(f"{flag} {shown}: is the input {given}; write the output elsewhere")
        if out in source.parents:
            raise UsageError(f"{flag} {shown}: holds the input {given}; write the output elsewhere")
        if source.is_dir() and source in out.parents:
            raise UsageError(f"{flag} {shown}: is inside the input folder {given}; write the output elsewhere")


def made_by_xlfact(folder: str | Path) -> bool:
    """Whether ``folder`` was prepared by an xlfact command (it holds :data:`MARKER`)."""
    return (Path(folder) / MARKER).is_file()


def prepare_output_dir(path: str | Path, *, command: str, inputs: Iterable[str | Path | None] = (),
                       overwrite: bool = False, flag: str = "--output_path", create: bool = True) -> Path:
    """The output folder ``path``, checked (see the module docstring) and, with ``create``, made with its marker.

    Returns the folder. ``overwrite`` lets a command write into (or replace) a non-empty folder it did not make; the
    command decides whether writing into it means replacing it."""
    out = Path(path).resolve()
    check_not_input(out, inputs, flag, path)
    if out.exists() and not out.is_dir():
        raise UsageError(f"{flag} {path}: is a file, not a folder")
    if out.is_dir() and any(out.iterdir()) and not made_by_xlfact(out) and not overwrite:
        raise UsageError(f"{flag} {path}: exists, is not empty and was not written by xlfact; choose a new folder "
                         "or pass --overwrite to replace what is there")
    if create:
        out.mkdir(parents=True, exist_ok=True)
        mark(out, command)
    return out


def mark(folder: str | Path, command: str) -> None:
    """Write :data:`MARKER` into ``folder`` (kept when it is there already)."""
    marker = Path(folder) / MARKER
    if not marker.is_file():
        marker.write_text(json.dumps({"written_by": f"xlfact {command}"}) + "\n", encoding="utf-8")


def check_output_file(path: str | Path, *, inputs: Iterable[str | Path | None] = (),
                      flag: str = "--output_path") -> Path:
    """An output file ``path`` that is not an input, not inside an input folder and not a folder."""
    out = Path(path).resolve()
    check_not_input(out, inputs, flag, path)
    if out.is_dir():
        raise UsageError(f"{flag} {path}: is a folder; expected a file name")
    return out

"""One error family for bad input, so every command ends bad input the same way.

Every error a user can fix by changing an input (a data row, a samples file, a flag, a recipe) is an
:class:`XlfactError`. Its message is one line naming the file, the row (or item id) and the field, and what was
expected. The ``xlfact`` entry point prints that line and exits with :data:`EXIT_BAD_INPUT` (2); exit status 1 stays
reserved for "the release gate found a regression". ``xlfact --debug <command>`` shows the traceback instead.

The subclasses are ``ValueError`` subclasses too, so code that caught ``ValueError`` keeps working.
"""

from __future__ import annotations

EXIT_BAD_INPUT = 2
EXIT_REGRESSION = 1


class XlfactError(ValueError):
    """Bad input that the user can fix; ``str(err)`` is the one line the command prints."""


class DataError(XlfactError):
    """A benchmark data file (PolyFact, KLAR-CLC, CLiKA, Global-MMLU, a training corpus) with a bad row."""


class RunError(XlfactError):
    """An lm-eval output folder (results JSON, ``--log_samples`` files) that cannot be used as it is."""


class UsageError(XlfactError):
    """A flag or option value that cannot be used (an unknown metric, malformed ``--metadata``)."""


def find_xlfact_error(err: BaseException | None) -> XlfactError | None:
    """The :class:`XlfactError` behind ``err``, following ``__cause__``/``__context__`` (lm-eval and ``datasets``
    re-raise errors from dataset hooks inside their own), or None."""
    seen: set[int] = set()
    while err is not None and id(err) not in seen:
        if isinstance(err, XlfactError):
            return err
        seen.add(id(err))
        err = err.__cause__ or err.__context__
    return None


def one_line(err: BaseException) -> str:
    """The message as one line (a multi-line message keeps its first line plus a count of the rest)."""
    text = str(err).strip() or type(err).__name__
    lines = text.splitlines()
    return lines[0] if len(lines) == 1 else f"{lines[0]} (+{len(lines) - 1} more lines; --debug shows all)"

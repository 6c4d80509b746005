"""Per-checkpoint correctness for the tracing analyses: ``{checkpoint: {lang: set of correct fact indices}}``.

Two sources: an ``xlfact trace`` output folder (its ``trace.json`` lists the checkpoints in training order; the
per-item records of the ``klar_trace`` benchmark are read from each checkpoint's lm-eval folder), or a JSON Lines file
of ``{"checkpoint", "lang", "relation", "index", "correct"}`` rows (checkpoints ordered by the step in their name,
``step(\\d+)``, else by first appearance).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from xlfact.analysis.tracing import TracingInputError
from xlfact.analysis.tracing.trace import step_of
from xlfact.core.jsonl import read_json, read_jsonl
from xlfact.core.runs import load_run

TRACE_BENCHMARK = "klar_trace"
ROW_FIELDS = ("checkpoint", "lang", "relation", "index", "correct")


@dataclass
class CheckpointRecords:
    """One checkpoint: which facts each language got right, and which it was asked at all."""

    name: str
    step: float | None
    correct: dict[str, set[int]] = field(default_factory=dict)
    asked: dict[str, set[int]] = field(default_factory=dict)
    duplicates: int = 0  # records repeating an earlier one (same fact, language and answer): counted once
    seen_at: dict[tuple[str, int], str] = field(default_factory=dict, repr=False)

    def add(self, lang: str, index: int, ok: bool, where: str = "") -> None:
        """Record one answer; the same fact again with the same answer is counted in :attr:`duplicates`, with the
        other answer it is a TracingInputError naming both places (which one is right cannot be known)."""
        if index in self.asked.get(lang, ()):
            before = index in self.correct.get(lang, ())
            if before != ok:
                raise TracingInputError(f"{where or self.name}: fact {index} ({lang}) at checkpoint {self.name} is "
                                        f"correct={ok} here but correct={before} in {self.seen_at[(lang, index)]}; "
                                        "contradictory records for one fact and checkpoint")
            self.duplicates += 1
            return
        self.seen_at[(lang, index)] = where or self.name
        self.asked.setdefault(lang, set()).add(index)
        bucket = self.correct.setdefault(lang, set())
        if ok:
            bucket.add(index)


def _order(checkpoints: dict[str, CheckpointRecords]) -> list[CheckpointRecords]:
    items = list(checkpoints.values())
    for c in items:
        c.step = step_of(c.name)
    if all(c.step is not None for c in items) and len({c.step for c in items}) == len(items):
        return sorted(items, key=lambda c: c.step)
    return items


def read_rows(path: Path) -> list[CheckpointRecords]:
    """Records from a JSONL of ``{"checkpoint", "lang", "relation", "index", "correct"}`` rows."""
    checkpoints: dict[str, CheckpointRecords] = {}
    for line, row in read_jsonl(path, error=TracingInputError, unit="row"):
        for name in ROW_FIELDS:
            if name not in row:
                raise TracingInputError(f"{path} row {line}: missing field {name!r}; expected {', '.join(ROW_FIELDS)}")
        index, ok = row["index"], row["correct"]
        if isinstance(index, bool) or not isinstance(index, int):
            raise TracingInputError(f"{path} row {line}: field 'index' is {index!r}; expected an integer fact id")
        if not isinstance(ok, bool):
            raise TracingInputError(f"{path} row {line}: field 'correct' is {ok!r}; expected true or false")
        name = str(row["checkpoint"])
        checkpoints.setdefault(name, CheckpointRecords(name, None)).add(str(row["lang"]), index, ok,
                                                                        f"{path} row {line}")
    if not checkpoints:
        raise TracingInputError(f"{path}: no rows")
    return _order(checkpoints)


def read_trace_folder(folder: Path) -> list[CheckpointRecords]:
    """Records of the ``klar_trace`` tasks from every checkpoint of an ``xlfact trace`` output folder."""
    summary_path = folder / "trace.json"
    try:
        summary = read_json(summary_path, error=TracingInputError)
    except FileNotFoundError:
        raise TracingInputError(f"{folder}: no trace.json; expected an `xlfact trace` output folder") from None
    out = []
    for entry in summary.get("checkpoints", []):
        run = load_run(folder / "checkpoints" / entry["label"])
        rec = CheckpointRecords(entry["label"], entry.get("step"))
        for task in run.benchmarks.get(TRACE_BENCHMARK, []):
            for r in run.records(task):
                try:
                    rec.add(str(r["lang"]), int(r["item"]), bool(r["correct"]),
                            f"{folder}/checkpoints/{entry['label']} task {task}")
                except (KeyError, ValueError):
                    raise TracingInputError(f"{folder}/checkpoints/{entry['label']} task {task}: record "
                                            f"{r.get('item')!r} has no integer fact id") from None
        if not rec.asked:
            raise TracingInputError(f"{folder}/checkpoints/{entry['label']}: no {TRACE_BENCHMARK} records; trace "
                                    "with --tasks klar_trace_all (or klar_trace_<lang>) and --log_samples")
        out.append(rec)
    if not out:
        raise TracingInputError(f"{summary_path}: lists no checkpoints")
    return out


def read_records(path: str | Path) -> list[CheckpointRecords]:
    """Checkpoints in training order, from a trace folder or a JSONL file."""
    path = Path(path)
    if path.is_dir():
        return read_trace_folder(path)
    if not path.is_file():
        raise TracingInputError(f"{path}: no such file or folder (expected a trace folder or a JSONL of rows)")
    return read_rows(path)

"""The top-level parts of xlfact import each other in one direction: an independent check of the import graph (grimp,
the library import-linter builds on), beside the ``lint-imports`` contracts in pyproject.toml.

Imports inside functions count (grimp reads them too), so a lazy import cannot hide a loop."""

from __future__ import annotations

import importlib.util
from collections import defaultdict

import pytest

grimp = pytest.importorskip("grimp")

NOT_PARTS = {"tests", "benchmarks"}  # not in the wheel (setup.py EXCLUDE)


def _part_graph() -> dict[str, set[str]]:
    graph = grimp.build_graph("xlfact", include_external_packages=False)
    edges: dict[str, set[str]] = defaultdict(set)
    for module in graph.modules:
        parts = module.split(".")
        if len(parts) < 2 or parts[1] in NOT_PARTS:
            continue
        for imported in graph.find_modules_directly_imported_by(module):
            target = imported.split(".")
            if len(target) >= 2 and target[1] != parts[1] and target[1] not in NOT_PARTS:
                edges[parts[1]].add(target[1])
    return edges


def _cycles(edges: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components with more than one part (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.add(top)
                if top == node:
                    break
            if len(component) > 1:
                out.append(component)

    for node in sorted({*edges, *(t for ts in edges.values() for t in ts)}):
        if node not in index:
            visit(node)
    return out


def test_cycle_finder_finds_a_planted_loop():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_cycle_among_the_top_level_parts():
    assert importlib.util.find_spec("xlfact") is not None
    edges = _part_graph()
    seen = set(edges) | {t for targets in edges.values() for t in targets}
    assert {"core", "evaluators", "tasks", "leaderboard", "cli"} <= seen
    loops = _cycles(edges)
    detail = "; ".join(" <-> ".join(sorted(c)) for c in loops)
    assert not loops, f"import loops between top-level parts: {detail}"


def test_core_imports_nothing_above_it():
    edges = _part_graph()
    assert edges.get("core", set()) <= {"errors"}, edges.get("core")

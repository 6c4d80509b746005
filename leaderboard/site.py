"""Write the leaderboard: a static site (``index.html``, no server needed), ``leaderboard.json``, ``leaderboard.csv``
and ``leaderboard.md``; and the payload that ``--push-to-hub`` uploads to a Hugging Face dataset.

HTML is rendered by jinja2 with autoescaping on, so anything that comes from a results file — a model called
``<script>alert(1)</script>`` included — is text, never markup. The page's only script sorts table rows by the
``data-value`` attributes the template wrote; no data is embedded as script.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xlfact.core.atomic import write_csv_atomic, write_json_atomic, write_text_atomic
from xlfact.core.figures import slug
from xlfact.core.formatting import count, interval, markdown_cell, number, sort_value
from xlfact.core.runs import Run
from xlfact.leaderboard.site_figures import site_figures
from xlfact.leaderboard.table import CONSISTENCY_LABELS

TEMPLATES = Path(__file__).resolve().parent / "templates"
SITE_FILES = ("index.html", "leaderboard.json", "leaderboard.csv", "leaderboard.md")
META_COLUMNS = ("label", "backend", "backend_settings", "model", "revision", "sha", "dtype", "parameters", "date",
                "lm_eval_version")

METHODOLOGY = [
    ("Inputs", "Only lm-eval's results JSON and its --log_samples files (lm-eval 0.4.13). Per-language figures and "
               "the cross-lingual metrics are recomputed from the per-item records every xlfact task logs, so a "
               "multi-GPU run gives the same numbers as a single-process one."),
    ("Accuracy (PolyFact and other multiple-choice xlfact tasks)", "Prompt `Question: {question}\\nAnswer:`, each "
     "option scored as the continuation ` {option}`; the option with the highest mean log-probability per option "
     "token wins (ties: the first option). Token counts are those lm-eval scored, re-tokenised with the model's own "
     "tokenizer."),
    ("Average", "Macro average of the per-language accuracies of a benchmark (each language weighs the same)."),
    ("Total consistency", "Fraction of the facts present in every evaluated language that are answered correctly in "
                          "all of them."),
    ("en-CO", "Of the facts answered correctly in language X, the fraction also answered correctly in English; the "
              "mean is over the non-English languages."),
    ("RankC / RankC-en", "RankC@4 (Qi et al. 2023) over option slots aligned across languages, averaged over all "
                         "language pairs / over the pairs with English."),
    ("Answer agreement", "Fraction of facts whose top-1 option is the same slot in both languages, averaged over "
                         "language pairs."),
    ("95% confidence intervals", "Percentile bootstrap that resamples facts (all languages of a fact together), "
     "not rows. For tasks without per-item records (lm-eval built-ins): ±1.96 × lm-eval's standard error."),
    ("Comparability", "Runs are compared task by task on version, few-shot setting, --limit, number of samples and "
                      "lm-eval's task hash (of every document, prompt and target hash). A run that differs from "
                      "most runs, or lacks some of a benchmark's tasks, is flagged ⚠ with the reason."),
]


def fmt(value: Any, digits: int = 3) -> str:
    return number(value, digits)


fmt_ci = interval
_md_cell = markdown_cell


# --------------------------------------------------------------------------------------------------- writers
def csp_hash(text: str) -> str:
    """A CSP source for one inline ``<script>``/``<style>`` element: ``'sha256-<base64 digest of its text>'``."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def page_assets() -> dict[str, Any]:
    """The page's one script and one style sheet, and the Content-Security-Policy that allows exactly them (by hash;
    no 'unsafe-inline'), images only as data: URIs, and nothing else — no network, no plugins, no forms."""
    from markupsafe import Markup

    css = (TEMPLATES / "site.css").read_text(encoding="utf-8")
    js = (TEMPLATES / "site.js").read_text(encoding="utf-8")
    csp = (f"default-src 'none'; style-src {csp_hash(css)}; script-src {csp_hash(js)}; img-src data:; "
           "base-uri 'none'; form-action 'none'")
    return {"css": Markup(css), "js": Markup(js), "csp": csp}


def _environment() -> Any:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters.update(fmt=fmt, fmt_ci=fmt_ci, sort_value=sort_value, count=count)
    return env


def page_names(table: dict[str, Any]) -> None:
    """Give each benchmark and model its page (``bench-N-<name>.html``, ``model-<id>-<label>.html``)."""
    for k, bench in enumerate(table["benchmarks"], start=1):
        bench["page"] = f"bench-{k}-{slug(bench['name'])}.html"
    for m in table["models"]:
        m["page"] = f"model-{m['id']}-{slug(m['meta'].get('label') or m['meta']['model'])[:60]}.html"
    table["models_by_id"] = {m["id"]: m for m in table["models"]}


def render_pages(table: dict[str, Any], *, title: str = "xlfact leaderboard",
                 figures: dict[str, Any] | None = None) -> dict[str, str]:
    """Every page of the site: ``{file name: HTML}`` — the overview, one per benchmark, one per model."""
    page_names(table)
    env = _environment()
    common = {"table": table, "title": title, "methodology": METHODOLOGY, "labels": CONSISTENCY_LABELS,
              "figures": figures or {}, **page_assets()}
    pages = {"index.html": env.get_template("index.html.j2").render(**common)}
    for bench in table["benchmarks"]:
        pages[bench["page"]] = env.get_template("benchmark.html.j2").render(bench=bench, **common)
    for m in table["models"]:
        pages[m["page"]] = env.get_template("model.html.j2").render(m=m, **common)
    return pages


def render_html(table: dict[str, Any], *, title: str = "xlfact leaderboard") -> str:
    """The overview page (``index.html``) without figures."""
    return render_pages(table, title=title)["index.html"]


def render_markdown(table: dict[str, Any]) -> str:
    header = ["rank", "model", "backend", "revision", "dtype"]
    for bench in table["benchmarks"]:
        header.append(f"{bench['name']} avg")
        header += [f"{bench['name']} {CONSISTENCY_LABELS.get(c, c)}" for c in bench["consistency"]]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for m in table["models"]:
        cells = [str(m["rank"]), _md_cell(m["meta"]["label"]) + (" ⚠" if m["flags"] else ""),
                 _md_cell(m["meta"]["backend"]), _md_cell(fmt(m["meta"]["revision"])),
                 _md_cell(fmt(m["meta"]["dtype"]))]
        for bench in table["benchmarks"]:
            entry = m["benchmarks"].get(bench["name"])
            if entry is None:
                cells += ["–"] * (1 + len(bench["consistency"]))
                continue
            cells.append(fmt(entry["average"]) + (" ⚠" if entry["flags"] else ""))
            for c in bench["consistency"]:
                item = entry["consistency"].get(c, {})
                cells.append(f"{fmt(item.get('value'))} {fmt_ci(item.get('ci'))}".strip())
        lines.append("| " + " | ".join(cells) + " |")
    out = [f"# xlfact leaderboard ({table['generated']})", "", *lines, ""]
    for bench in table["benchmarks"]:
        out.append(f"## {bench['name']} ({bench['metric']}; {bench['scored_by']})")
        out.append("")
        head = ["model", "average", *bench["columns"]]
        out += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for m in table["models"]:
            entry = m["benchmarks"].get(bench["name"])
            if entry is None:
                continue
            cells = [_md_cell(m["meta"]["label"]), fmt(entry["average"])]
            for col in bench["columns"]:
                c = entry["columns"].get(col, {})
                cells.append(f"{fmt(c.get('value'))} {fmt_ci(c.get('ci'))}".strip())
            out.append("| " + " | ".join(cells) + " |")
        out.append("")
    if table["flags"]:
        out += ["## ⚠ Not comparable", ""] + [f"- {_md_cell(f['label'])}: {_md_cell(f['message'])}"
                                             for f in table["flags"]] + [""]
    return "\n".join(out)


def csv_rows(table: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """A wide table: one row per model, metadata then every benchmark figure with its CI bounds."""
    header = ["rank", *META_COLUMNS]
    for bench in table["benchmarks"]:
        name = bench["name"]
        header.append(f"{name}/average")
        for col in bench["columns"]:
            header += [f"{name}/{col}", f"{name}/{col}/ci_low", f"{name}/{col}/ci_high"]
        for c in bench["consistency"]:
            header += [f"{name}/{c}", f"{name}/{c}/ci_low", f"{name}/{c}/ci_high"]
    header.append("flags")
    rows = []
    for m in table["models"]:
        row: list[Any] = [m["rank"], *[m["meta"].get(k) for k in META_COLUMNS]]
        for bench in table["benchmarks"]:
            entry = m["benchmarks"].get(bench["name"], {})
            row.append(entry.get("average"))
            for group, names in (("columns", bench["columns"]), ("consistency", bench["consistency"])):
                for col in names:
                    item = entry.get(group, {}).get(col, {})
                    ci = item.get("ci") or [None, None]
                    row += [item.get("value"), ci[0], ci[1]]
        row.append("; ".join(m["flags"]))
        rows.append(row)
    return header, rows


def write_site(table: dict[str, Any], out_dir: str | Path, *, title: str = "xlfact leaderboard",
               with_figures: bool = True) -> list[Path]:
    """Write every site file atomically (pages, ``figures/*.svg``, JSON, CSV, Markdown); returns their paths."""
    out = Path(out_dir)
    header, rows = csv_rows(table)
    figures, figure_files = site_figures(table, out) if with_figures else ({}, [])
    pages = render_pages(table, title=title, figures=figures)
    data = {k: v for k, v in table.items() if k != "models_by_id"}
    return [
        *(write_text_atomic(out / name, html) for name, html in pages.items()),
        write_json_atomic(out / "leaderboard.json", data),
        write_csv_atomic(out / "leaderboard.csv", header, rows),
        write_text_atomic(out / "leaderboard.md", render_markdown(table)),
        *figure_files,
    ]


# ----------------------------------------------------------------------------------------------- the hub push
class HubError(RuntimeError):
    """The dataset could not be pushed (offline, not logged in, bad repo id); the message says what to do."""


@dataclass(frozen=True)
class HubFile:
    path_in_repo: str
    local_path: Path


def hub_payload(site_dir: str | Path, runs: list[Run], *, with_samples: bool = False) -> list[HubFile]:
    """What ``--push-to-hub`` uploads: the table files at the top, each run's results file (and, if asked, its
    samples files) under ``results/<model folder>/`` — the layout lm-eval's own hub logger uses."""
    site = Path(site_dir)
    files = [HubFile(name, site / name) for name in SITE_FILES]
    pages = sorted(p for p in site.glob("*.html") if p.name not in SITE_FILES)  # benchmark and model pages
    figures = sorted(site.glob("figures/*.svg"))
    files += [HubFile(p.relative_to(site).as_posix(), p) for p in [*pages, *figures]]
    used: set[str] = set()
    for run in runs:
        folder = run.folder.name
        prefix, k = f"results/{folder}", 1
        while prefix in used:  # two runs of one model name
            k += 1
            prefix = f"results/{folder}-{k}"
        used.add(prefix)
        files.append(HubFile(f"{prefix}/{run.results_path.name}", run.results_path))
        if with_samples:
            files += [HubFile(f"{prefix}/{p.name}", p) for _, p in sorted(run.sample_paths.items())]
    for f in files:
        if not f.local_path.is_file():
            raise HubError(f"{f.local_path}: missing; build the site before pushing")
    return files


def _offline() -> bool:
    from huggingface_hub import constants

    env = os.environ.get("HF_HUB_OFFLINE", "").strip().lower()
    return bool(constants.HF_HUB_OFFLINE) or env in {"1", "true", "yes", "on"}


def push_to_hub(repo_id: str, payload: list[HubFile], *, private: bool = False, token: str | None = None,
                api: Any = None) -> str:
    """Upload ``payload`` to the dataset ``repo_id`` in one commit; returns the commit URL."""
    parts = repo_id.split("/")
    if len(parts) != 2 or not all(parts):
        raise HubError(f"--push-to-hub {repo_id!r}: expected ORG/DATASET")
    if api is None:
        if _offline():
            raise HubError(
                f"cannot push to {repo_id}: Hugging Face Hub is offline (HF_HUB_OFFLINE is set). Unset it, log in "
                "with `hf auth login` or set HF_TOKEN, and run again; the site files are already written."
            )
        from huggingface_hub import HfApi

        api = HfApi(token=token)
    from huggingface_hub import CommitOperationAdd

    operations = [CommitOperationAdd(path_in_repo=f.path_in_repo, path_or_fileobj=str(f.local_path))
                  for f in payload]
    try:
        api.create_repo(repo_id=repo_id, repo_type="dataset", private=private, exist_ok=True)
        info = api.create_commit(repo_id=repo_id, repo_type="dataset", operations=operations,
                                 commit_message=f"xlfact leaderboard: {len(payload)} files")
    except Exception as err:  # noqa: BLE001 - network, auth and HTTP errors all end the push the same way
        raise HubError(f"could not push to the dataset {repo_id}: {type(err).__name__}: {err}") from err
    return str(getattr(info, "commit_url", info))

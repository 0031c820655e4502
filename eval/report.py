"""Reports people can read: ``report.md`` (PNG plots beside it) and a self-contained
``report.html`` (the same plots embedded as base64), both made from ``results.json`` alone."""

from __future__ import annotations

import base64
import html
import io
import json
import re
from pathlib import Path
from typing import Any

MAX_ROWS = 15  # example rows shown per suite
ROW_COLUMNS = (
    "dataset", "id", "question", "learner", "prompt", "answer", "reply", "choice", "gold_choice",
    "correct", "abstained", "citation_correct", "groundedness", "f1", "leak", "asks_question",
    "declined", "ranks",
)  # fmt: skip
PALETTE = ("#3b6ea5", "#e07b39", "#5a9e55", "#b84a62", "#8266b0", "#8c6d46")


# ---- plots ---------------------------------------------------------------------------------


def chart_png(chart: dict[str, Any]) -> bytes | None:
    """A PNG of one chart spec (see ``eval.suites.common``), or None when it has no data."""
    from matplotlib.figure import Figure

    kind = chart["kind"]
    width = max(7.5, 0.65 * len(chart.get("labels", [])))
    fig = Figure(figsize=(width, 3.8), dpi=100)
    ax = fig.subplots()
    if kind == "hist":
        values = chart["values"]
        if not values:
            return None
        ax.hist(values, bins=chart.get("bins", 20), color=PALETTE[0], edgecolor="white")
        ax.set_xlabel(chart.get("xlabel", ""))
        ax.set_ylabel("count")
    elif kind == "bar":
        labels, values = chart["labels"], chart["values"]
        if not labels:
            return None
        heights = [v if v is not None else 0 for v in values]
        bars = ax.bar(range(len(labels)), heights, color=PALETTE[0])
        for bar, value in zip(bars, values, strict=True):
            text = "missing" if value is None else f"{value:.2f}"
            ax.annotate(text, (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                        ha="center", va="bottom", fontsize=8)  # fmt: skip
        _labels(ax, labels)
        ax.set_ylabel(chart.get("ylabel", ""))
    elif kind == "grouped_bar":
        labels, series = chart["labels"], chart["series"]
        if not labels or not series:
            return None
        width = 0.8 / len(series)
        for i, (name, values) in enumerate(series.items()):
            xs = [x + (i - (len(series) - 1) / 2) * width for x in range(len(labels))]
            heights = [v if v is not None else 0 for v in values]
            ax.bar(xs, heights, width=width, label=name, color=PALETTE[i % len(PALETTE)])
            for x, value in zip(xs, values, strict=True):
                if value is None:
                    ax.annotate("n/a", (x, 0), ha="center", va="bottom", fontsize=7)
        _labels(ax, labels)
        ax.set_ylabel(chart.get("ylabel", ""))
        ax.legend(fontsize=8, framealpha=0.8)
    else:
        return None
    ax.set_title(chart["title"], fontsize=10)
    ax.grid(axis="y", alpha=0.3)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight", metadata={"Software": None})
    return buffer.getvalue()


def _labels(ax: Any, labels: list[str]) -> None:
    ax.set_xticks(range(len(labels)))
    rotate = max((len(str(label)) for label in labels), default=0) * len(labels) > 60
    ax.set_xticklabels(labels, rotation=30 if rotate else 0, ha="right" if rotate else "center",
                       fontsize=8)  # fmt: skip


# ---- tables --------------------------------------------------------------------------------


def fmt(value: Any) -> str:
    if value is None:
        return "missing"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def summary_tables(summary: dict[str, Any]) -> list[tuple[str, list[str], list[list[str]]]]:
    """(title, header, rows) tables: the scalar metrics, then one table per nested dict."""
    tables = []
    scalars = [[k, fmt(v)] for k, v in summary.items() if _scalar(v) and k != "missing"]
    if scalars:
        tables.append(("Summary", ["metric", "value"], scalars))
    for key, value in summary.items():
        if key == "missing" or not isinstance(value, dict) or not value:
            continue
        inner = list(value.values())
        same_keys = len({tuple(sorted(v)) for v in inner if isinstance(v, dict)}) == 1
        if all(isinstance(v, dict) for v in inner) and same_keys:
            columns: list[str] = []
            for v in inner:
                columns.extend(c for c in v if c not in columns and c != "missing")
            rows = [[str(k)] + [fmt(v.get(c)) for c in columns] for k, v in value.items()]
            tables.append((key, [key.replace("by_", ""), *columns], rows))
        else:
            rows = []
            for k, v in value.items():
                if isinstance(v, dict):
                    rows += [[f"{k} / {k2}", fmt(v2)] for k2, v2 in v.items() if k2 != "missing"]
                else:
                    rows.append([str(k), fmt(v)])
            tables.append((key, ["key", "value"], rows))
    if summary.get("missing"):
        rows = [[k, str(v)] for k, v in summary["missing"].items()]
        tables.append(
            ("Missing metrics (not computed, with the reason)", ["metric", "reason"], rows)
        )
    return tables


def example_rows(rows: list[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
    shown = rows[:MAX_ROWS]
    columns = [c for c in ROW_COLUMNS if any(c in r for r in shown)]
    body = []
    for r in shown:
        cells = []
        for c in columns:
            text = ("–" if r[c] is None else fmt(r[c])) if c in r else ""
            text = " ".join(text.split())
            cells.append(text[:160] + ("…" if len(text) > 160 else ""))
        body.append(cells)
    return columns, body


def _md_table(header: list[str], rows: list[list[str]]) -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(cell(h) for h in header) + " |",
             "|" + "|".join("---" for _ in header) + "|"]  # fmt: skip
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _html_table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


# ---- documents -----------------------------------------------------------------------------


def identity_rows(result: dict[str, Any]) -> list[list[str]]:
    ident = result.get("identity", {})
    machine = ident.get("machine", {})
    duration = result.get("timings", {}).get("duration_s")
    return [
        ["git commit", f"{ident.get('git_commit') or 'unknown'}"
                       f"{' (with uncommitted changes)' if ident.get('git_dirty') else ''}"],
        ["language model", fmt(ident.get("model"))],
        ["embedder", fmt(ident.get("embedder"))],
        ["prompt templates hash", fmt(ident.get("prompt_templates_hash"))],
        ["split", fmt(ident.get("split"))],
        ["limit per data set", "none (the whole split)" if ident.get("limit") is None
                               else str(ident["limit"])],
        ["fake models", fmt(ident.get("fake_models"))],
        ["machine", f"{machine.get('cpus')} CPUs, {machine.get('platform')}, "
                    f"Python {machine.get('python')}, torch {machine.get('torch')}"],
        ["started", fmt(ident.get("started_at"))],
        ["duration", f"{duration} s" if duration is not None else "missing"],
        ["machine load (1-min average, start → end)", _load(result)],
        ["command", " ".join(ident.get("command", []))],
    ]  # fmt: skip


def _load(result: dict[str, Any]) -> str:
    load = result.get("timings", {}).get("load_average") or {}
    return f"{fmt(load.get('start'))} → {fmt(load.get('end'))}"


def suite_parts(result: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    if result.get("suite") == "all":
        return [(name, sub) for name, sub in result.get("suites", {}).items()]
    return [(result["suite"], result)]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:50] or "plot"


def write_report(result: dict[str, Any], out: Path) -> tuple[Path, Path]:
    """Write ``report.md`` (+ ``plots/*.png``) and a self-contained ``report.html``."""
    plots_dir = out / "plots"
    md: list[str] = [f"# Tutor evaluation: {result['suite']}", ""]
    parts_html: list[str] = []
    md += ["## Run", "", _md_table(["", ""], identity_rows(result)), ""]
    parts_html.append("<h2>Run</h2>" + _html_table(["", ""], identity_rows(result)))
    for name, sub in suite_parts(result):
        md += [f"## {name}", ""]
        section = [f"<h2>{html.escape(name)}</h2>"]
        datasets = sub.get("datasets", [])
        if datasets:
            header = ["data set", "split", "n", "path"]
            rows = [[fmt(d.get("name")), fmt(d.get("split")), fmt(d.get("n")), fmt(d.get("path"))]
                    for d in datasets]  # fmt: skip
            md += ["Data (the split each figure comes from):", "", _md_table(header, rows), ""]
            section.append("<p>Data (the split each figure comes from):</p>")
            section.append(_html_table(header, rows))
        for title, header, rows in summary_tables(sub.get("summary", {})):
            md += [f"### {title}", "", _md_table(header, rows), ""]
            section.append(f"<h3>{html.escape(title)}</h3>" + _html_table(header, rows))
        for note in sub.get("notes", []):
            md.append(f"> {note}")
            section.append(f"<p class='note'>{html.escape(note)}</p>")
        md.append("")
        for i, chart in enumerate(sub.get("charts", [])):
            png = chart_png(chart)
            if png is None:
                continue
            plots_dir.mkdir(parents=True, exist_ok=True)
            file = plots_dir / f"{_slug(name)}-{i:02d}-{_slug(chart['title'])}.png"
            file.write_bytes(png)
            md += [f"![{chart['title']}](plots/{file.name})", ""]
            data = base64.b64encode(png).decode("ascii")
            section.append(
                f"<figure><img alt='{html.escape(chart['title'], quote=True)}' "
                f"src='data:image/png;base64,{data}'></figure>"
            )
        rows = sub.get("rows", [])
        if rows:
            header, body = example_rows(rows)
            md += [f"### Examples (first {len(body)} of {len(rows)}; all in results.json)", "",
                   _md_table(header, body), ""]  # fmt: skip
            section.append(f"<h3>Examples (first {len(body)} of {len(rows)})</h3>")
            section.append(_html_table(header, body))
        parts_html.append("\n".join(section))
    md_path = out / "report.md"
    md_path.write_text("\n".join(md).rstrip() + "\n", encoding="utf-8")
    html_path = out / "report.html"
    html_path.write_text(_page(f"Tutor evaluation: {result['suite']}", parts_html), "utf-8")
    return md_path, html_path


STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:72rem;margin:2rem auto;
padding:0 1rem;color:#1d232b;line-height:1.45}
table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.9rem}
th,td{border:1px solid #c9d1da;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#eef2f6} figure{margin:1rem 0} img{max-width:100%}
.note{color:#3f4a56;font-size:.9rem;border-left:3px solid #c9d1da;padding-left:.6rem}
"""


def _page(title: str, parts: list[str]) -> str:
    return (
        "<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>\n" + "\n".join(parts) + "\n</body></html>\n"
    )

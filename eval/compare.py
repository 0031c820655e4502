"""``tutor eval compare RUN_A RUN_B``: what got better or worse between two runs."""

from __future__ import annotations

from typing import Any

from eval.results import load_results

# Substrings of a metric's path: lower is better, or the number is a size, not a quality.
LOWER_IS_BETTER = ("_ms", "latency", "leak", "violation", "false_refusal", "injection_success",
                   "not_covered", "declined", "wall_s")  # fmt: skip
NEUTRAL = ("anchors", "reference_", "refused_rate", "chats", "completed", "leak_eligible")
NEUTRAL_LEAVES = {"n", "documents", "k_chunks"}
TOLERANCE = 1e-9


def flatten(value: Any, prefix: str = "") -> dict[str, float]:
    """Numeric leaves of a summary as ``{"by_method.dense.recall@5": 0.8, ...}``."""
    out: dict[str, float] = {}
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "missing":
                continue
            out.update(flatten(inner, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        out[prefix] = float(value)
    return out


def direction(metric: str) -> int:
    """+1 when higher is better, -1 when lower is better, 0 when neither."""
    leaf = metric.rsplit(".", 1)[-1]
    if leaf in NEUTRAL_LEAVES or any(s in metric for s in NEUTRAL):
        return 0
    if any(s in metric for s in LOWER_IS_BETTER):
        return -1
    return 1


def _missing(summary: Any, prefix: str = "") -> set[str]:
    found: set[str] = set()
    if isinstance(summary, dict):
        for key, inner in summary.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if key == "missing" and isinstance(inner, dict):
                found |= {f"{prefix}.{k}" if prefix else k for k in inner}
            else:
                found |= _missing(inner, path)
    return found


IDENTITY_KEYS = ("git_commit", "model", "embedder", "prompt_templates_hash", "split", "limit")


def compare(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    warnings = []
    if a["suite"] != b["suite"]:
        warnings.append(f"different suites: {a['suite']} and {b['suite']}")
    ia, ib = a.get("identity", {}), b.get("identity", {})
    changed = {
        key: {"a": ia.get(key), "b": ib.get(key)}
        for key in IDENTITY_KEYS
        if ia.get(key) != ib.get(key)
    }
    config_a, config_b = ia.get("config", {}), ib.get("config", {})
    for key in sorted(set(config_a) | set(config_b)):
        if key != "home" and config_a.get(key) != config_b.get(key):
            changed[f"config.{key}"] = {"a": config_a.get(key), "b": config_b.get(key)}
    if "split" in changed:
        warnings.append("the runs use different splits: the figures are not comparable")
    sets_a = {(d.get("name"), d.get("split"), d.get("n")) for d in _datasets(a)}
    sets_b = {(d.get("name"), d.get("split"), d.get("n")) for d in _datasets(b)}
    if sets_a != sets_b:
        warnings.append("the runs used different data sets or sample sizes")

    fa, fb = flatten(a["summary"]), flatten(b["summary"])
    missing_a, missing_b = _missing(a["summary"]), _missing(b["summary"])
    rows = []
    for metric in sorted(set(fa) | set(fb) | missing_a | missing_b):
        va, vb = fa.get(metric), fb.get(metric)
        sense = direction(metric)
        if va is None or vb is None:
            change = "missing in " + (
                "both" if va is None and vb is None else "A" if va is None else "B"
            )
            delta = None
        else:
            delta = vb - va
            if abs(delta) <= TOLERANCE:
                change = "same"
            elif sense == 0:
                change = "changed"
            else:
                change = "better" if delta * sense > 0 else "worse"
        rows.append({"metric": metric, "a": va, "b": vb, "delta": delta, "change": change})
    return {
        "a": {"suite": a["suite"], **{k: ia.get(k) for k in IDENTITY_KEYS}},
        "b": {"suite": b["suite"], **{k: ib.get(k) for k in IDENTITY_KEYS}},
        "identity_changes": changed,
        "warnings": warnings,
        "metrics": rows,
        "better": sum(r["change"] == "better" for r in rows),
        "worse": sum(r["change"] == "worse" for r in rows),
    }  # fmt: skip


def _datasets(result: dict[str, Any]) -> list[dict[str, Any]]:
    if result.get("suite") == "all":
        return [d for sub in result.get("suites", {}).values() for d in sub.get("datasets", [])]
    return list(result.get("datasets", []))


def render(report: dict[str, Any]) -> str:
    def num(v: float | None) -> str:
        return "missing" if v is None else f"{v:.4g}"

    lines = [f"A: {report['a']}", f"B: {report['b']}"]
    for key, change in report["identity_changes"].items():
        lines.append(f"changed {key}: {change['a']} -> {change['b']}")
    for warning in report["warnings"]:
        lines.append(f"warning: {warning}")
    lines += ["", "| metric | A | B | change | |", "|---|---|---|---|---|"]
    for r in report["metrics"]:
        delta = "" if r["delta"] is None else f"{r['delta']:+.4g}"
        lines.append(f"| {r['metric']} | {num(r['a'])} | {num(r['b'])} | {delta} | {r['change']} |")
    lines += ["", f"{report['better']} better, {report['worse']} worse"]
    return "\n".join(lines)


def compare_paths(a: Any, b: Any) -> dict[str, Any]:
    return compare(load_results(a), load_results(b))

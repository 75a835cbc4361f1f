"""Pure functions from reports to text: table, wide, json, yaml, and the single-pod detail.

Anything that came from the cluster (event messages, termination messages, names) is
sanitised before it reaches a terminal: escape sequences and control characters are removed,
so a hostile message cannot rewrite the screen.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import yaml
from tabulate import tabulate

from kubectl_podwhy.finding import Finding, PodReport
from kubectl_podwhy.timeutil import age, parse_time

API_VERSION = "podwhy/v1"

# CSI/OSC/other escape sequences first, then any remaining C0/C1 control character.
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?"
                      r"|\x9b[0-?]*[ -/]*[@-~]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def sanitize(text: str, *, single_line: bool = False) -> str:
    out = _CONTROL.sub("", _ESCAPES.sub("", text))
    if single_line:
        out = " ".join(out.split())
    return out


# --- machine-readable -------------------------------------------------------------------------

def finding_dict(f: Finding) -> dict[str, Any]:
    return {
        "rule": f.rule, "level": f.level, "severity": f.severity, "reason": f.reason,
        "container": f.container, "containerType": f.container_type,
        "summary": f.summary, "detail": f.detail, "hint": f.hint, "docs": f.docs,
        "evidence": [{"source": e.source, "text": e.text, "count": e.count,
                      "lastSeen": e.last_seen} for e in f.evidence],
    }


def report_dict(reports: Sequence[PodReport]) -> dict[str, Any]:
    return {
        "apiVersion": API_VERSION, "kind": "Report",
        "items": [{
            "pod": {"namespace": r.pod.namespace, "name": r.pod.name, "uid": r.pod.uid,
                    "node": r.pod.node_name or None, "phase": r.pod.phase, "status": r.status},
            "healthy": r.healthy,
            "verdict": finding_dict(r.verdict) if r.verdict else None,
            "findings": [finding_dict(f) for f in r.findings],
        } for r in reports],
    }


def render_json(reports: Sequence[PodReport], now: datetime, color: bool) -> str:
    return json.dumps(report_dict(reports), indent=2) + "\n"


def render_yaml(reports: Sequence[PodReport], now: datetime, color: bool) -> str:
    return yaml.safe_dump(report_dict(reports), sort_keys=False, allow_unicode=True, width=120)


# --- for people -------------------------------------------------------------------------------

RED, YELLOW, GREEN, BOLD, DIM, RESET = ("\x1b[31m", "\x1b[33m", "\x1b[32m", "\x1b[1m", "\x1b[2m",
                                        "\x1b[0m")


def _paint(text: str, code: str, color: bool) -> str:
    return f"{code}{text}{RESET}" if color and text else text


def _row(r: PodReport, wide: bool, color: bool) -> list[str]:
    f = r.verdict
    shown = f or next(iter(r.findings), None)
    if f is not None:
        status = _paint(sanitize(r.status, single_line=True), RED, color)
    elif shown is not None:
        status = _paint(sanitize(r.status, single_line=True), YELLOW, color)
    else:
        status = _paint(sanitize(r.status, single_line=True), GREEN, color)
    summary = sanitize(shown.summary, single_line=True) if shown else "healthy"
    if f is None and shown is not None:
        summary = f"healthy; warning: {summary}"
    cells = [sanitize(r.pod.namespace), sanitize(r.pod.name), status]
    if wide:
        cells.append(shown.rule if shown else "-")
    cells += [shown.level if shown else "-",
              sanitize(shown.container or "-") if shown else "-",
              sanitize(shown.reason, single_line=True) if shown else "-"]
    if wide:
        cells.append(sanitize(r.pod.node_name or "<none>"))
    cells.append(summary)
    return cells


def _table(reports: Sequence[PodReport], wide: bool, color: bool) -> str:
    headers = ["NAMESPACE", "NAME", "STATUS"] + (["RULE"] if wide else []) + \
        ["LEVEL", "CONTAINER", "REASON"] + (["NODE"] if wide else []) + ["SUMMARY"]
    rows = [_row(r, wide, color) for r in reports]
    return tabulate(rows, headers=headers, tablefmt="plain", disable_numparse=True) + "\n"


def _evidence_line(e: Any, now: datetime) -> str:
    meta = []
    if e.count and e.count > 1:
        meta.append(f"x{e.count}")
    seen = parse_time(e.last_seen)
    if seen is not None:
        meta.append(f"last {age(seen, now)} ago")
    head = sanitize(e.source) + (f" ({', '.join(meta)})" if meta else "")
    return f"  - {head}: {sanitize(e.text, single_line=True)}"


def render_detail(r: PodReport, now: datetime, color: bool) -> str:
    """The block shown for a single pod: verdict, evidence, fix, docs, next command."""
    lines: list[str] = []
    p = r.pod
    node = f" on node {p.node_name}" if p.node_name else " (not scheduled)"
    lines.append(f"Pod:       {sanitize(p.namespace)}/{sanitize(p.name)}{sanitize(node)}")
    lines.append(f"Status:    {sanitize(r.status)} (phase {p.phase})")
    for note in p.notes:
        lines.append(_paint(f"Note:      {sanitize(note, single_line=True)}", YELLOW, color))
    f = r.verdict
    if f is None:
        lines.append("Verdict:   " + _paint("healthy", GREEN, color)
                     + ("" if not r.findings else " (with warnings)"))
    else:
        where = f"{f.level} level"
        if f.container:
            where += f", {f.container_type} container {sanitize(f.container)}"
        lines.append("Verdict:   " + _paint(f"{f.rule} {f.reason}", RED + BOLD, color)
                     + f" ({where})")
        lines.append(f"           {sanitize(f.summary, single_line=True)}")
        lines += _finding_body(f, now)
    others = [x for x in r.findings if x is not f]
    if others:
        lines.append("Also found:" if f is not None else "Warnings:")
        for x in others:
            sev = _paint(x.severity, RED if x.severity == "error" else YELLOW, color)
            lines.append(f"  - {x.rule} {sanitize(x.reason)} [{sev}]: "
                         f"{sanitize(x.summary, single_line=True)}")
            if f is None:
                lines += ["  " + ln for ln in _finding_body(x, now)]
    return "\n".join(lines) + "\n"


def _finding_body(f: Finding, now: datetime) -> list[str]:
    lines = []
    detail = sanitize(f.detail).strip()
    if detail and detail not in f.summary:
        lines.append("Message:   " + "\n           ".join(detail.splitlines()[:8]))
    if f.evidence:
        lines.append("Evidence:")
        lines += [_evidence_line(e, now) for e in f.evidence]
    lines.append(f"Fix:       {sanitize(f.hint)}")
    lines.append(f"Docs:      {f.docs}")
    if f.next_command:
        lines.append(f"Next:      {sanitize(f.next_command)}")
    return lines


def render_table(reports: Sequence[PodReport], now: datetime, color: bool) -> str:
    out = _table(reports, wide=False, color=color)
    if len(reports) == 1:
        out += "\n" + render_detail(reports[0], now, color)
    return out


def render_wide(reports: Sequence[PodReport], now: datetime, color: bool) -> str:
    out = _table(reports, wide=True, color=color)
    if len(reports) == 1:
        out += "\n" + render_detail(reports[0], now, color)
    return out


Renderer = Callable[[Sequence[PodReport], datetime, bool], str]

RENDERERS: dict[str, Renderer] = {
    "table": render_table,
    "wide": render_wide,
    "json": render_json,
    "yaml": render_yaml,
}

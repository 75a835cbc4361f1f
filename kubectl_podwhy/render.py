"""Pure functions from reports to text: table, wide, json, yaml, and the single-pod detail.

Anything that came from the cluster (event messages, termination messages, names) is
sanitised before it reaches a terminal: escape sequences and control characters are removed,
so a hostile message cannot rewrite the screen.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kubectl_podwhy.crashlog import SGR
from kubectl_podwhy.report import (
    Change,
    Evidence,
    Finding,
    OwnerView,
    PodGroup,
    PodReport,
    Report,
    State,
    WaitSummary,
    WorkloadReport,
)
from kubectl_podwhy.rules.workload import group_text
from kubectl_podwhy.timeutil import (
    age,
    format_time,
    human_duration,
    kubectl_duration,
    parse_time,
)
from kubectl_podwhy.verdict import overall_state
from kubectl_podwhy.workloads import (
    owner_standing,
    owner_state,
    sort_key_severity,
    workload_sort_key,
)
from kubectl_podwhy.yamlout import dump_yaml

API_VERSION = "podwhy/v1"


@dataclass(frozen=True)
class RenderOptions:
    """How the reader asked to see a report (what was found, and when, is in the report)."""

    color: bool = False
    #: list healthy pods without warnings too (--show-healthy)
    show_healthy: bool = False
    #: table and wide: the pod rows alone, as kubectl get --no-headers prints them
    no_headers: bool = False

#: what must never reach a terminal as it is: C0 and C1 controls and DEL (escape sequences
#: start with them: CSI, OSC 52 clipboard writes, ...), bidi and invisible formatting
#: characters (Trojan Source: U+202A-U+202E, U+2066-U+2069, marks, joiners, BOM, line and
#: paragraph separators), and lone surrogates (not printable at all)
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\xad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f"
                     "\u200b-\u200f\u2028-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff"
                     "\uffa0\ufff0-\ufffb\ud800-\udfff\U000e0000-\U000e0fff]")
#: names printed as they are; anything else is shown quoted
_PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/@-]*|<none>|-")


def _visible(ch: str) -> str:
    o = ord(ch)
    if o < 0x100:
        return f"\\x{o:02x}"
    return f"\\u{o:04x}" if o <= 0xFFFF else f"\\U{o:08x}"


#: the longest text shown from input: a termination message holds at most 4096 bytes
#: (core/v1 TerminationMessagePath), event messages are cut at 1 KB by the recorder
MAX_TEXT_CHARS = 4096
#: the longest name shown: object names are at most 253 characters (DNS-1123 subdomain)
MAX_NAME_CHARS = 253


def shorten(text: str, limit: int) -> str:
    """``text`` if it fits in ``limit`` characters, else its start and end around a note of
    how much was left out (what is longer than any real value comes from damaged input)."""
    if len(text) <= limit:
        return text
    head, tail = text[:limit * 3 // 4], text[-(limit // 5):]
    return f"{head}...({len(text) - len(head) - len(tail)} characters left out)...{tail}"


def sanitize(text: str, *, single_line: bool = False, limit: int = MAX_TEXT_CHARS) -> str:
    """Text from the cluster or a file, made harmless for a terminal: every character of
    _UNSAFE shown as an escape (``\\x1b``, ``\\u202e``), so it can neither move the cursor,
    rewrite the screen, write the clipboard nor reorder the line, and stays visible.
    Multi-line text keeps its newlines and tabs; ``single_line`` folds whitespace runs into
    one space. Longer than ``limit`` characters, the middle is left out (see shorten)."""
    if single_line:
        text = " ".join(text.split())
    text = shorten(text, limit)
    return _UNSAFE.sub(lambda m: m.group() if m.group() in "\n\t" and not single_line
                       else _visible(m.group()), text)


def name(text: str) -> str:
    """A name (namespace, pod, container, node, owner): escapes for everything unsafe,
    newlines and tabs included (they would split a table row), and quoted unless it is a
    plain Kubernetes name."""
    text = shorten(text, MAX_NAME_CHARS)
    if _PLAIN_NAME.fullmatch(text):
        return text
    return '"' + _UNSAFE.sub(lambda m: _visible(m.group()), text.replace('"', '\\"')) + '"'


# --- machine-readable -------------------------------------------------------------------------

def finding_dict(f: Finding) -> dict[str, Any]:
    return {
        "rule": f.rule, "level": f.level, "severity": f.severity, "reason": f.reason,
        "container": f.container, "containerType": f.container_type,
        "summary": f.summary, "detail": f.detail, "hint": f.hint, "docs": f.docs,
        # the table's "Next:" line: kubectl logs POD -n NS -c app --previous, ...
        "nextCommand": f.next_command,
        "since": format_time(f.since), "deadline": format_time(f.deadline),
        "evidence": [_evidence_dict(e) for e in f.evidence],
    }


def _evidence_dict(e: Evidence) -> dict[str, Any]:
    doc: dict[str, Any] = {"source": e.source, "text": e.text, "count": e.count,
                           "lastSeen": e.last_seen}
    if e.from_log:  # a container log: its last lines
        doc["lines"] = list(e.lines)
    return doc


def _pod_item(r: PodReport) -> dict[str, Any]:
    return {
        "pod": {"namespace": r.pod.namespace, "name": r.pod.name, "uid": r.pod.uid,
                "node": r.pod.node_name or None, "phase": r.pod.phase, "status": r.status},
        "state": r.state,
        "healthy": r.healthy,
        "verdict": finding_dict(r.verdict) if r.verdict else None,
        "findings": [finding_dict(f) for f in r.findings],
    }


def _group_dict(g: PodGroup, total: int) -> dict[str, Any]:
    v = g.verdict
    return {
        "count": g.count, "of": total, "state": g.state,
        "pods": [r.pod.key for r in g.reports],
        "verdict": None if v is None else {
            "rule": v.rule, "level": v.level, "reason": v.reason, "container": v.container,
            "containerType": v.container_type, "summary": v.summary},
        "text": group_text(g, total),
    }


def _owner_dict(o: OwnerView) -> dict[str, Any]:
    return {"kind": o.kind, "name": o.name, "note": o.note, "pods": o.pod_count,
            "groups": [_group_dict(g, o.pod_count) for g in o.groups]}


def _workload_dict(w: WorkloadReport) -> dict[str, Any]:
    wl = w.view.workload
    total = len(w.view.reports)
    return {
        "kind": wl.kind, "namespace": wl.namespace, "name": wl.name, "uid": wl.uid,
        "replicas": {"desired": wl.desired, "ready": wl.ready, "available": wl.available,
                     "updated": wl.updated, "pods": total},
        "state": w.state,
        "healthy": w.healthy,
        "verdict": finding_dict(w.verdict) if w.verdict else None,
        "findings": [finding_dict(f) for f in w.findings],
        "groups": [_group_dict(g, total) for g in w.view.groups],
        "owners": [_owner_dict(o) for o in w.view.owners],
    }


def _owner_group_dict(o: OwnerView, gone: frozenset[str]) -> dict[str, Any]:
    """A namespace-wide run's owner group, in the same shape as a workload."""
    state, worst = owner_standing(o, gone)
    return {
        "kind": o.kind, "namespace": o.namespace, "name": o.name, "uid": None, "replicas": None,
        "state": state,
        "healthy": state == "healthy",
        "verdict": finding_dict(worst.verdict) if worst and worst.verdict else None,
        "findings": [],
        "groups": [_group_dict(g, o.pod_count) for g in o.groups],
        "owners": [],
    }


def _counts(states: list[State]) -> dict[str, int]:
    return {s: states.count(s) for s in ("healthy", "progressing", "failing")}


def workload_states(result: Report) -> list[State]:
    """The state of every workload in the report: the ones read as objects, then the owners
    known only from their pods' ownerReferences. JSON's counts and the table's line agree."""
    return ([w.state for w in result.workloads]
            + [owner_state(o, result.replaced) for o in result.owners])


def wait_dict(w: WaitSummary) -> dict[str, Any]:
    return {"outcome": w.outcome, "startedAt": format_time(w.started),
            "elapsedSeconds": w.elapsed, "reason": w.reason, "waitingFor": list(w.waiting_for)}


def report_dict(result: Report) -> dict[str, Any]:
    doc = {
        "apiVersion": API_VERSION, "kind": "Report",
        "asOf": format_time(result.as_of), "asOfBasis": result.as_of_basis,
        "state": overall_state(result),
        "counts": {"pods": _counts([r.state for r in result.pods]),
                   "workloads": _counts(workload_states(result))},
        "items": [_pod_item(r) for r in result.pods],
        "workloads": [_workload_dict(w) for w in result.workloads]
        + [_owner_group_dict(o, result.replaced) for o in result.owners],
    }
    if result.wait is not None:
        doc["wait"] = wait_dict(result.wait)
        # what the exit code reports: a wait that did not end healthy is not healthy
        if result.wait.outcome != "healthy" and doc["state"] == "healthy":
            doc["state"] = "failing" if result.wait.outcome == "failing" else "progressing"
    return doc


def render_json(result: Report, options: RenderOptions) -> str:
    return json.dumps(report_dict(result), indent=2) + "\n"


def render_yaml(result: Report, options: RenderOptions) -> str:
    # non-ASCII text is escaped ("\u202E"), as -o json does: a bidi control or an invisible
    # character from the input must not reach the terminal raw
    text: str = dump_yaml(report_dict(result), width=120)
    return text


# --- for people -------------------------------------------------------------------------------

RED, YELLOW, GREEN, BOLD, DIM, RESET = ("\x1b[31m", "\x1b[33m", "\x1b[32m", "\x1b[1m", "\x1b[2m",
                                        "\x1b[0m")
STATE_COLOR: dict[State, str] = {"failing": RED, "progressing": YELLOW, "healthy": GREEN}


def _paint(text: str, code: str, color: bool) -> str:
    return f"{code}{text}{RESET}" if color and text else text


def _state(state: State, color: bool) -> str:
    return _paint(state, STATE_COLOR[state], color)


def _shown(r: PodReport) -> Finding | None:
    """The finding a pod's row shows: its verdict, else its first warning."""
    return r.verdict or next(iter(r.findings), None)


#: a cell of the pod table: its text for a pod, at the report's reference time
Cell = Callable[[PodReport, datetime], str]


def _of_shown(text: Callable[[Finding], str]) -> Cell:
    """A cell taken from the finding the row shows; "-" when there is none."""
    def cell(r: PodReport, now: datetime) -> str:
        shown = _shown(r)
        return text(shown) if shown else "-"
    return cell


def _summary(r: PodReport, now: datetime) -> str:
    shown = _shown(r)
    if shown is None:
        return "healthy"
    summary = sanitize(shown.summary, single_line=True)
    return summary if r.verdict is not None else f"healthy; warning: {summary}"


def _restarts(r: PodReport, now: datetime) -> str:
    """RESTARTS as kubectl prints it: ``5 (2m ago)``, or ``0``."""
    if r.restarts and r.last_restart is not None:
        return f"{r.restarts} ({kubectl_duration((now - r.last_restart).total_seconds())} ago)"
    return str(r.restarts)


def _age(r: PodReport, now: datetime) -> str:
    """AGE as kubectl prints it (translateTimestampSince), at the report's reference time, so
    that -f output does not change with the clock."""
    created = r.pod.created
    return "<unknown>" if created is None else kubectl_duration((now - created).total_seconds())


@dataclass(frozen=True)
class Column:
    """A column of the pod table, as kubectl's TableColumnDefinition: priority 0 is shown in
    every table, priority 1 only with -o wide."""

    header: str
    cell: Cell
    priority: int = 0
    #: painted in the colour of the pod's state when colour is on
    painted: bool = False

    def text(self, r: PodReport, now: datetime, color: bool) -> str:
        return _paint(self.cell(r, now), STATE_COLOR[r.state], color and self.painted)


#: the pod table's columns, in order: -o table shows those of priority 0, -o wide all
#: (READY, STATUS, RESTARTS and AGE where kubectl get pods puts them)
POD_COLUMNS: tuple[Column, ...] = (
    Column("NAMESPACE", lambda r, _: name(r.pod.namespace)),
    Column("NAME", lambda r, _: name(r.pod.name)),
    Column("READY", lambda r, _: f"{r.ready[0]}/{r.ready[1]}", priority=1),
    Column("STATUS", lambda r, _: sanitize(r.status, single_line=True), painted=True),
    Column("RESTARTS", _restarts, priority=1),
    Column("AGE", _age, priority=1),
    Column("STATE", lambda r, _: r.state, painted=True),
    Column("RULE", _of_shown(lambda f: f.rule), priority=1),
    Column("LEVEL", _of_shown(lambda f: f.level)),
    Column("CONTAINER", _of_shown(lambda f: name(f.container or "-"))),
    Column("REASON", _of_shown(lambda f: sanitize(f.reason, single_line=True))),
    Column("NODE", lambda r, _: name(r.pod.node_name or "<none>"), priority=1),
    Column("SUMMARY", _summary),
)


def _table(reports: Sequence[PodReport], now: datetime, wide: bool, color: bool,
           headers: bool = True) -> str:
    from tabulate import tabulate  # costs ~40 ms (importlib.metadata): only for tables

    columns = [c for c in POD_COLUMNS if c.priority == 0 or wide]
    rows = [[c.text(r, now, color) for c in columns] for r in reports]
    return tabulate(rows, headers=[c.header for c in columns] if headers else (),
                    tablefmt="plain", disable_numparse=True) + "\n"


def _evidence_line(e: Evidence, now: datetime) -> str:
    meta = []
    if e.count and e.count > 1:
        meta.append(f"x{e.count}")
    seen = parse_time(e.last_seen)
    if seen is not None:
        meta.append(f"last {age(seen, now)} ago")
    head = sanitize(e.source, single_line=True) + (f" ({', '.join(meta)})" if meta else "")
    return f"  - {head}: {sanitize(e.text, single_line=True)}"


_BASIS_TEXT = {
    "flag": "set with --now",
    "capture": "the capture time recorded by --dump",
    "inferred": "capture time unknown: the latest moment the input shows; ages may be longer",
    "none": "capture time unknown and no timestamp in the input: ages unknown; "
            "the current time",
}


def as_of_line(result: Report) -> str:
    """"As of ..." for runs not judged against the clock, else ""."""
    if result.as_of_basis == "clock":
        return ""
    if result.as_of_earliest is not None:
        return (f"As of:     each capture's own time, {format_time(result.as_of_earliest)} "
                f"to {format_time(result.as_of)} (recorded by --dump)\n")
    return f"As of:     {format_time(result.as_of)} ({_BASIS_TEXT[result.as_of_basis]})\n"


def render_detail(r: PodReport, now: datetime, color: bool) -> str:
    """The block shown for a single pod: state, verdict, evidence, fix, docs, next command."""
    lines: list[str] = []
    p = r.pod
    node = f" on node {name(p.node_name)}" if p.node_name else " (not scheduled)"
    lines.append(f"Pod:       {name(p.namespace)}/{name(p.name)}{node}")
    lines.append(f"Status:    {sanitize(r.status, single_line=True)} "
                 f"(phase {sanitize(p.phase, single_line=True)})")
    lines.append(f"State:     {_state(r.state, color)}")
    for note in p.notes:
        lines.append(_paint(f"Note:      {sanitize(note, single_line=True)}", YELLOW, color))
    f = r.verdict
    if f is None:
        lines.append("Verdict:   " + _paint("healthy", GREEN, color)
                     + ("" if not r.findings else " (with warnings)"))
    else:
        where = f"{f.level} level"
        if f.container:
            where += f", {f.container_type} container {name(f.container)}"
        lines.append("Verdict:   " + _paint(f"{f.rule} {sanitize(f.reason, single_line=True)}",
                                            STATE_COLOR[r.state] + BOLD, color)
                     + f" ({where})")
        lines.append(f"           {sanitize(f.summary, single_line=True)}")
        lines += _finding_body(f, now)
    others = [x for x in r.findings if x is not f]
    if others:
        lines.append("Also found:" if f is not None else "Warnings:")
        for x in others:
            sev = _paint(x.severity, RED if x.severity == "error" else YELLOW, color)
            lines.append(f"  - {x.rule} {sanitize(x.reason, single_line=True)} [{sev}]: "
                         f"{sanitize(x.summary, single_line=True)}")
            if f is None:
                lines += ["  " + ln for ln in _finding_body(x, now)]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class _Labels:
    """How a finding's labelled lines are laid out: what comes before the label, and the width
    of the label column its text starts after."""

    indent: str
    width: int

    def line(self, label: str, text: str) -> str:
        return f"{self.indent}{label + ':':<{self.width}}{text}"

    def lines(self, label: str, texts: Sequence[str]) -> str:
        """A labelled text of several lines, each one below the last under the text column."""
        return self.line(label, ("\n" + " " * (len(self.indent) + self.width)).join(texts))


#: a finding in a pod's block ("Fix:       ...") and under a workload ("    Fix:     ...")
POD_LABELS = _Labels("", 11)
WORKLOAD_LABELS = _Labels("    ", 9)


def _advice(f: Finding, labels: _Labels) -> list[str]:
    """What to do about a finding, in a pod's block and under a workload alike: the fix, the
    docs, and the next command worth running."""
    lines = [labels.line("Fix", sanitize(f.hint)), labels.line("Docs", f.docs)]
    if f.next_command:
        lines.append(labels.line("Next", sanitize(f.next_command, single_line=True)))
    return lines


def _since_line(f: Finding, now: datetime) -> str | None:
    """"Waiting:" with its deadline ahead, or "Stuck:" once the deadline has passed."""
    if f.since is None and f.deadline is None:
        return None
    parts = []
    if f.since is not None:
        parts.append(f"since {format_time(f.since)} ({age(f.since, now)} ago)")
    if f.deadline is not None:
        left = (f.deadline - now).total_seconds()
        parts.append(f"stuck after {format_time(f.deadline)} (in {human_duration(left)})"
                     if f.severity == "waiting" else
                     f"its deadline passed at {format_time(f.deadline)}")
    return POD_LABELS.line("Waiting" if f.severity == "waiting" else "Stuck", "; ".join(parts))


def _finding_body(f: Finding, now: datetime) -> list[str]:
    lines = []
    since = _since_line(f, now)
    if since:
        lines.append(since)
    detail = sanitize(f.detail).strip()
    if detail and detail.rstrip(". ") not in f.summary:
        lines.append(POD_LABELS.lines("Message", detail.splitlines()[:8]))
    if f.evidence:
        lines.append("Evidence:")
        lines += [_evidence_line(e, now) for e in f.evidence]
    for e in f.evidence:
        if e.from_log:
            lines.append(_log_block(f, e))
    return lines + _advice(f, POD_LABELS)


#: the longest log line shown in a pod's block (-o json has them whole, up to 2,000
#: characters each)
MAX_LOG_LINE_SHOWN = 300


def _log_block(f: Finding, e: Evidence) -> str:
    """``Logs:`` the last lines of the log a verdict names, each behind "| " so that no
    log line can pass for podwhy's own."""
    run = "previous run" if e.source == "logs:previous" else "last run"
    n = len(e.lines)
    if not n:
        return POD_LABELS.line("Logs", f"{run} of {name(f.container or '-')}: "
                                       f"{sanitize(e.text, single_line=True)}")
    head = f"{run} of {name(f.container or '-')}, last {n} line{'s' if n != 1 else ''}:"
    # colours are left off; every other control character is shown escaped
    return POD_LABELS.lines("Logs", [head, *(
        "| " + sanitize(SGR.sub("", line).expandtabs(4).replace("\n", "\\n"),
                        limit=MAX_LOG_LINE_SHOWN)
        for line in e.lines)])


def _workload_block(w: WorkloadReport, now: datetime, color: bool) -> str:
    wl = w.view.workload
    lines = []
    if wl.kind == "Job":  # a Job completes; its pods are not meant to stay ready
        counts = (f"{wl.available}/{wl.desired} completed" if wl.desired is not None
                  else f"{wl.available} completed") + f", {wl.current} active"
    elif wl.desired is not None:
        counts = f"{wl.ready}/{wl.desired} ready"
    else:
        n = len(w.view.reports)
        counts = f"{n} pod{'s' if n != 1 else ''}"
        if wl.stand_in:
            counts += " (not in the input: known from its events)"
    head = f"{wl.kind} {name(wl.namespace)}/{name(wl.name)}  {counts}"
    lines.append(_paint(head, BOLD, color) + f"  ({_state(w.state, color)})")
    # What is wrong now first; history (warnings) after it, and marked as such.
    order = {"error": 0, "waiting": 1, "warning": 2}
    for f in sorted(w.findings, key=lambda f: order[f.severity]):
        sev = _paint(f"{f.rule} {sanitize(f.reason, single_line=True)}",
                     RED if f.severity == "error" else YELLOW, color)
        tag = " [warning]" if f.severity == "warning" else ""
        lines.append(f"  {sev}{tag}: {sanitize(f.summary, single_line=True)}")
        if f.detail and f.detail.rstrip(". ") not in f.summary:
            lines.append(WORKLOAD_LABELS.line("Message",
                                              sanitize(f.detail, single_line=True)[:300]))
        lines += _advice(f, WORKLOAD_LABELS)
    if not w.view.owners:
        lines.append("  (no pods)")
    for o in w.view.owners:
        pods = f"{o.pod_count} pod{'s' if o.pod_count != 1 else ''}"
        if o.workload is wl:
            lines.append(f"  └─ {pods}")
        else:
            lines.append(f"  └─ {name(o.kind)} {name(o.name)} ({sanitize(o.note)}): {pods}")
        for g in o.groups:
            text = sanitize(group_text(g, o.pod_count), single_line=True)
            lines.append(f"       {_paint(text, STATE_COLOR[g.state], color)}")
            names = [name(r.pod.name) for r in g.reports]
            shown = ", ".join(names[:6]) + (f", ... ({len(names) - 6} more)" if len(names) > 6
                                            else "")
            lines.append(f"         {shown}")
    return "\n".join(lines) + "\n"


def _pod_counts(pods: Sequence[PodReport], show_healthy: bool,
                replaced: frozenset[str]) -> str:
    n = {s: sum(1 for r in pods if r.state == s) for s in ("failing", "progressing",
                                                          "healthy")}
    warn = sum(1 for r in pods if r.state == "healthy" and r.findings)
    gone = len(replaced)
    tail = (f"{len(pods)} pod{'s' if len(pods) != 1 else ''}: {n['failing']} failing"
            + (f" ({gone} replaced by {'their controllers' if gone > 1 else 'its controller'}:"
               " history, not in the exit code)" if gone else "")
            + f", {n['progressing']} progressing, {n['healthy']} healthy")
    notes = []
    if warn:
        notes.append(f"{warn} with warnings")
    if n["healthy"] - warn and not show_healthy:
        notes.append("not listed; --show-healthy lists them")
    return tail + (f" ({'; '.join(notes)})" if notes else "")


def _many(result: Report, options: RenderOptions, wide: bool) -> str:
    now, color, show_healthy = result.as_of, options.color, options.show_healthy
    workloads = sorted(result.workloads, key=lambda w: workload_sort_key(
        w.state, max((w.view.workload.desired or 0) - w.view.workload.available, 0),
        w.view.workload.key))
    out = "".join(_workload_block(w, now, color) + "\n" for w in workloads)
    pods = sorted(result.pods, key=sort_key_severity)
    listed = [r for r in pods if show_healthy or not r.healthy or r.findings]
    if listed:
        out += _table(listed, now, wide=wide, color=color)
    out += ("\n" if listed else "") + _pod_counts(pods, show_healthy, result.replaced) + "\n"
    states = workload_states(result)
    if states:
        n = {s: states.count(s) for s in STATE_COLOR}
        seen = len(result.owners)
        out += (f"{len(states)} workload{'s' if len(states) != 1 else ''}: "
                f"{n['failing']} failing, {n['progressing']} progressing, "
                f"{n['healthy']} healthy"
                + (f" ({seen} known from their pods' owner references)" if seen else "")
                + "\n")
    owners = sorted(result.owners, key=lambda o: workload_sort_key(
        owner_state(o, result.replaced), sum(g.count for g in o.groups if g.state != "healthy"),
        f"{o.namespace}/{o.name}"))
    groups = [(o, g) for o in owners for g in o.groups
              if g.verdict is not None and g.count > 1]
    if groups:
        out += "\nPods with the same verdict, by owner:\n"
        for o, g in groups:
            others = [x for x in o.groups if x is not g]
            outliers = "; ".join(
                f"{', '.join(name(r.pod.name) for r in x.reports[:3])} "
                f"({sanitize(x.verdict.reason, single_line=True) if x.verdict else 'healthy'})"
                for x in others)
            out += (f"  {name(o.kind)} {name(o.namespace)}/{name(o.name)}: "
                    f"{sanitize(group_text(g, o.pod_count), single_line=True)}"
                    + (f"; outliers: {outliers}" if outliers else "") + "\n")
    as_of = as_of_line(result)
    return out + (f"\n{as_of}" if as_of else "")


def _single(result: Report, options: RenderOptions, wide: bool) -> str:
    return (_table(result.pods, result.as_of, wide=wide, color=options.color) + "\n"
            + render_detail(result.pods[0], result.as_of, options.color) + as_of_line(result))


def _rows(result: Report, options: RenderOptions, wide: bool) -> str:
    """--no-headers: only the rows of the pod table the text for people shows (one pod's
    row; else the listed pods, in its order), as ``kubectl get --no-headers`` prints only
    rows: no header, workload blocks, pod block, counts, groups, reference time or --wait
    summary. Nothing at all when no pod is listed."""
    if len(result.pods) == 1 and not result.workloads:
        listed: Sequence[PodReport] = result.pods
    else:
        listed = [r for r in sorted(result.pods, key=sort_key_severity)
                  if options.show_healthy or not r.healthy or r.findings]
    if not listed:
        return ""
    return _table(listed, result.as_of, wide=wide, color=options.color, headers=False)


def _for_people(result: Report, options: RenderOptions, wide: bool) -> str:
    """The text for people: one pod's row and block, else the workloads and the pod table;
    ``wide`` adds the pod table's columns of priority 1."""
    if len(result.pods) == 1 and not result.workloads:
        return _single(result, options, wide)
    return _many(result, options, wide)


_WAIT_HEAD = {"healthy": "healthy after", "failing": "failing after", "timeout": "timed out after"}
_WAIT_COLOR: dict[str, str] = {"healthy": GREEN, "failing": RED, "timeout": YELLOW}


def wait_text(w: WaitSummary, color: bool) -> str:
    """The lines that end a --wait for people: how it ended, after how long, and why."""
    head = _paint(f"--wait: {_WAIT_HEAD[w.outcome]} {human_duration(w.elapsed)}",
                  _WAIT_COLOR[w.outcome], color)
    lines = [f"{head}: {sanitize(w.reason, single_line=True)}"]
    rest = w.waiting_for[1:] if w.outcome == "timeout" else w.waiting_for
    if rest:
        lines.append("Still waiting for:" if w.outcome == "timeout" else "Not healthy either:")
        lines += [f"  {sanitize(x, single_line=True)}" for x in rest]
    return "\n".join(lines) + "\n"


def _with_wait(result: Report, options: RenderOptions, text: str) -> str:
    if result.wait is None:
        return text
    if not result.pods and not result.workloads:
        return wait_text(result.wait, options.color)
    return text + "\n" + wait_text(result.wait, options.color)


def render_table(result: Report, options: RenderOptions) -> str:
    if options.no_headers:
        return _rows(result, options, wide=False)
    return _with_wait(result, options, _for_people(result, options, wide=False))


def render_wide(result: Report, options: RenderOptions) -> str:
    if options.no_headers:
        return _rows(result, options, wide=True)
    return _with_wait(result, options, _for_people(result, options, wide=True))


def change_line(c: Change, output: str, color: bool) -> str:
    """--watch: one change as a line (table, wide), a JSON line (json) or a YAML document."""
    if output in ("json", "yaml"):
        doc = {"time": format_time(c.at), "object": c.object, "from": c.old, "to": c.new,
               "verdict": finding_dict(c.verdict) if c.verdict else None}
        if output == "json":
            return json.dumps(doc) + "\n"
        text: str = dump_yaml(doc, width=120)
        return "---\n" + text
    old = c.old or "-"
    painted = STATE_COLOR.get(c.new)  # type: ignore[call-overload]
    new = _paint(c.new, painted, color) if painted else c.new
    line = f"{format_time(c.at)}  {name(c.object)}  {old} -> {new}"
    if c.verdict is not None:
        line += "  " + verdict_text(c.verdict)
    return line + "\n"


def verdict_text(f: Finding | None, limit: int = 300) -> str:
    """A verdict on one line: ``RULE REASON: SUMMARY``, sanitised and cut at ``limit``
    ("" for none)."""
    if f is None:
        return ""
    return sanitize(f"{f.rule} {f.reason}: {f.summary}", single_line=True, limit=limit)


#: a report to text; what the report holds (its reference time too) is all it shows
Renderer = Callable[[Report, RenderOptions], str]

RENDERERS: dict[str, Renderer] = {
    "table": render_table,
    "wide": render_wide,
    "json": render_json,
    "yaml": render_yaml,
}

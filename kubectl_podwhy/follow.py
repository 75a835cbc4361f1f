"""``--wait`` and ``--watch``: follow the targets as the cluster changes.

Both re-run the one-shot pipeline (gather, engine) on a following source, whose reads are
served by watched stores (:mod:`kubectl_podwhy.sources.watching`): a gather sends no request
once the stores are filled. They re-judge after each change the watches bring, and at least
every IDLE_SECONDS (TICK_SECONDS while a status line counts the seconds on a terminal), since
deadlines pass with time alone.

``--wait`` ends (:func:`wait`):

- ``healthy`` when every target is healthy, as a one-shot run judges it (a Deployment's rollout
  as kubectl rollout status judges it, plus the verdicts on its new pods; a Job when complete);
- ``failing`` when one is failing and the verdict is terminal (:func:`kubectl_podwhy.gate.
  is_terminal`: Kubernetes will not fix it by itself), or has been failing for ``fail_after``
  seconds;
- ``timeout`` when ``timeout`` seconds pass first. A target that does not exist is waited for.

``--watch`` (:func:`watch`) reports each change of an object's state or verdict until
interrupted (or ``timeout``).
"""
from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Protocol, TextIO

from kubectl_podwhy.errors import NotFoundError
from kubectl_podwhy.gate import DEFAULT_MAX_RESTARTS, Standing, standings
from kubectl_podwhy.render import sanitize, verdict_text
from kubectl_podwhy.report import Change, Finding, Report, WaitOutcome, WaitSummary
from kubectl_podwhy.snapshot import Gathered, LogRequest, reference
from kubectl_podwhy.targets import Target
from kubectl_podwhy.timeutil import format_time, human_duration
from kubectl_podwhy.verdict import assemble
from kubectl_podwhy.workloads import owner_standing

#: re-judge at least this often (seconds): waits turn into failures with time alone
TICK_SECONDS = 1.0
#: without a status line to update, re-judge an unchanged cluster this often (a deadline
#: passing is seen this late at most; a change is seen at once)
IDLE_SECONDS = 5.0
#: after a change, wait this long for the rest of its burst (a rollout changes many objects)
SETTLE_SECONDS = 0.2
#: a judgement that takes long (thousands of pods with -A) is repeated at most every this
#: many times its own duration: following must not keep a core busy
PACE = 4.0


def pause(src: Following, took: float, left: float | None, tick: float = TICK_SECONDS) -> None:
    """Between two judgements: wait for a change, at most TICK_SECONDS (or PACE times the last
    judgement's duration ``took``), cut to ``left`` seconds; after a change, wait for the rest
    of its burst, and so that judgements start at most once per PACE times ``took``."""
    budget = max(tick, PACE * took)
    if left is not None:
        budget = max(0.0, min(budget, left))
    start = time.monotonic()
    if src.wait_changed(budget):
        rest = max(SETTLE_SECONDS, PACE * took - (time.monotonic() - start))
        if left is not None:
            rest = min(rest, max(0.0, left - (time.monotonic() - start)))
        time.sleep(rest)


#: default --timeout of --wait, and --fail-after, in seconds
DEFAULT_TIMEOUT_SECONDS = 300.0
DEFAULT_FAIL_AFTER_SECONDS = 120.0


class Following(Protocol):
    """What following needs of a source (sources.watching.FollowingSource)."""

    def gather(self, namespace: str | None, targets: Sequence[Target] = (),
               all_namespaces: bool = False, selector: str | None = None) -> Gathered: ...

    def read_logs(self, g: Gathered, requests: Sequence[LogRequest]) -> None: ...

    def wait_changed(self, timeout: float) -> bool: ...

    def sweep(self) -> None: ...


@dataclass(frozen=True)
class Request:
    """What to follow: the command line's targets and scope."""

    namespace: str | None
    targets: tuple[Target, ...]
    all_namespaces: bool
    selector: str | None


@dataclass(frozen=True)
class Observation:
    """One judgement: the report of what exists (None if nothing does) and, for what does
    not exist yet, the not-found messages (a missing target, the namespace, -l matching
    nothing)."""

    report: Report | None
    missing: tuple[str, ...]
    at: datetime
    notes: tuple[str, ...] = ()
    #: the targets that exist, and the missing ones with their messages
    present: tuple[Target, ...] = ()
    missing_targets: tuple[tuple[Target, str], ...] = ()


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def observe(src: Following, req: Request, clock: Callable[[], datetime] = utcnow,
            log_lines: int = 0) -> Observation:
    """Gather and judge once. Targets that do not exist are set aside (each gathered alone to
    tell which), the others judged. ``log_lines`` > 0: with crashed containers' logs."""
    targets = req.targets
    missing: list[tuple[Target, str]] = []
    present = list(targets)
    try:
        g = src.gather(req.namespace, targets, req.all_namespaces, req.selector)
    except NotFoundError as exc:
        if not targets:
            return Observation(None, (exc.message,), clock())
        present = []
        for t in targets:
            try:
                src.gather(req.namespace, (t,), req.all_namespaces, req.selector)
                present.append(t)
            except NotFoundError as one:
                missing.append((t, one.message))
        messages = tuple(m for _, m in missing)
        if not present:
            return Observation(None, messages, clock(), missing_targets=tuple(missing))
        g = src.gather(req.namespace, present, req.all_namespaces, req.selector)
    ref, basis, _ = reference(g, None, clock())
    report = assemble(g, g.workload_targets, ref, basis=basis, pod_targets=g.pod_targets,
                      log_lines=log_lines, read_logs=src.read_logs if log_lines else None)
    return Observation(report, tuple(m for _, m in missing), ref, tuple(g.notes.get("", [])),
                       tuple(present), tuple(missing))


def _standing_line(s: Standing, brief: bool = False) -> str:
    """``KEY: STATE: RULE REASON: SUMMARY (since TIME)``; ``brief`` (the live status line):
    ``KEY: STATE: SUMMARY``."""
    text = f"{s.key}: {s.state}"
    if s.pending is not None:
        return f"{text}: not rolled out: {s.pending}"
    if s.verdict is not None and brief:
        return text + ": " + sanitize(s.verdict.summary, single_line=True, limit=300)
    if s.verdict is not None:
        text += f": {verdict_text(s.verdict)}"
        if s.state != "failing" and s.verdict.since is not None:
            text += f" (since {format_time(s.verdict.since)})"
    return text


# --- --wait -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class WaitOptions:
    timeout: float | None = DEFAULT_TIMEOUT_SECONDS  # seconds; None: no limit
    fail_after: float = DEFAULT_FAIL_AFTER_SECONDS
    max_restarts: int = DEFAULT_MAX_RESTARTS
    #: the longest pause between judgements of an unchanged cluster
    tick: float = IDLE_SECONDS
    #: a wait that does not end healthy shows this many lines of a crashed container's log
    #: (--log-lines; kubectl_podwhy.crashlog), read once, at the end
    log_lines: int = 0


StatusSink = Callable[[list[str]], None]


def _cut(line: str, width: int) -> str:
    return line if len(line) <= width else line[:width - 3] + "..."


class StatusBoard:
    """The live status lines of a --wait on a terminal (stderr): each update replaces the
    previous lines (ANSI cursor-up and erase, as kubectl's and docker's progress do)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.shown = 0
        self.last: list[str] = []

    def show(self, lines: list[str]) -> None:
        try:  # the width of the terminal the lines go to (stderr), not stdout's
            columns = os.get_terminal_size(self.stream.fileno()).columns
        except (OSError, ValueError, AttributeError):
            columns = shutil.get_terminal_size((100, 20)).columns
        width = max(columns - 1, 20)
        cut = [_cut(sanitize(line, single_line=True), width) for line in lines]
        if cut == self.last:
            return
        self.last = cut
        out = self._erase() + "".join(line + "\n" for line in cut)
        self.shown = len(lines)
        self.stream.write(out)
        self.stream.flush()

    def clear(self) -> None:
        self.last = []
        if self.shown:
            self.stream.write(self._erase())
            self.stream.flush()
            self.shown = 0

    def _erase(self) -> str:
        return f"\x1b[{self.shown}F\x1b[J" if self.shown else ""


def status_lines(obs: Observation, sts: Sequence[Standing], req: Request,
                 elapsed: float) -> list[str]:
    """The live status: one line per target (or counts for a namespace run)."""
    head = f"[{human_duration(elapsed):>5}] "
    lines = [head + sanitize(m, single_line=True, limit=200) + " (waiting for it)"
             for m in obs.missing]
    if req.targets:
        lines += [head + _standing_line(s, brief=True) for s in sts]
    elif obs.report is not None:
        n = {s: sum(1 for x in sts if x.state == s) for s in ("failing", "progressing",
                                                             "healthy")}
        scope = "all namespaces" if req.all_namespaces else \
            f"namespace {req.namespace}" if req.namespace else "the namespace"
        lines.append(head + f"{scope}: {n['failing']} failing, {n['progressing']} progressing, "
                     f"{n['healthy']} healthy (pods and workloads)")
        lines += [head + "  " + _standing_line(s, brief=True) for s in sts
                  if s.state != "healthy"][:5]
    return lines


def wait(src: Following, req: Request, opts: WaitOptions, status: StatusSink | None = None,
         clock: Callable[[], datetime] = utcnow,
         monotonic: Callable[[], float] = time.monotonic) -> Report:
    """Follow until healthy, failing or the timeout; the last report with its WaitSummary."""
    started, t0 = clock(), monotonic()
    failing_since: dict[str, float] = {}
    seen_targets: set[Target] = set()
    while True:
        began = time.monotonic()
        obs = observe(src, req, clock)
        took = time.monotonic() - began
        now = monotonic()
        elapsed = now - t0
        sts = standings(obs.report, opts.max_restarts) if obs.report is not None else []
        failing = [s for s in sts if s.state == "failing"]
        for key in [k for k in failing_since if k not in {s.key for s in failing}]:
            del failing_since[key]
        for s in failing:
            # failing since the verdict's own start when it says one (a fault older than
            # the wait has already lasted), else since the wait saw it
            age = (obs.at - s.verdict.since).total_seconds() \
                if s.verdict is not None and s.verdict.since is not None else 0.0
            failing_since.setdefault(s.key, now - max(age, 0.0))
        seen_targets |= set(obs.present)
        deleted = [m for t, m in obs.missing_targets if t in seen_targets]
        end: tuple[WaitOutcome, str, str] | None = None  # outcome, reason, key it is about
        terminal = next((s for s in failing if s.terminal), None)
        overdue = next((s for s in failing if now - failing_since[s.key] >= opts.fail_after),
                       None)
        if terminal is not None:
            end = ("failing", f"{terminal.key} is failing and Kubernetes will not fix it by "
                              f"itself: {verdict_text(terminal.verdict)}", terminal.key)
        elif overdue is not None:
            lasted = human_duration(now - failing_since[overdue.key])
            end = ("failing", f"{overdue.key} has been failing for {lasted} (--fail-after "
                              f"{human_duration(opts.fail_after)}): "
                              f"{verdict_text(overdue.verdict)}", overdue.key)
        elif deleted:
            end = ("failing", f"{deleted[0]} (it existed when the wait began: deleted)", "")
        elif not obs.missing and obs.report is not None and \
                all(s.state == "healthy" for s in sts):  # what overall_state judges
            end = ("healthy", "every target is healthy" if req.targets else
                   "every pod and workload is healthy", "")
        elif opts.timeout is not None and elapsed >= opts.timeout:
            still = [*obs.missing, *(_standing_line(s) for s in sts if s.state != "healthy")]
            end = ("timeout", f"still waiting for {still[0]}" if still else
                   "still waiting", "")
        if end is not None:
            if end[0] != "healthy" and opts.log_lines > 0 and obs.report is not None:
                obs, sts, end = _with_logs(src, req, clock, opts, obs, sts, end)
            return _finish(obs, sts, end, started, elapsed)
        if status is not None:
            status(status_lines(obs, sts, req, elapsed))
        src.sweep()
        pause(src, took, None if opts.timeout is None else opts.timeout - (monotonic() - t0),
              opts.tick)


def _with_logs(src: Following, req: Request, clock: Callable[[], datetime],
               opts: WaitOptions, obs: Observation, sts: Sequence[Standing],
               end: tuple[WaitOutcome, str, str]
               ) -> tuple[Observation, list[Standing], tuple[WaitOutcome, str, str]]:
    """The last judgement once more, with the crashed containers' logs (read once, at the
    end: a wait never reads logs while it waits); the reason then quotes the verdict with
    its log line. The first judgement stands if the second finds nothing."""
    again = observe(src, req, clock, opts.log_lines)
    if again.report is None:
        return obs, list(sts), end
    new = standings(again.report, opts.max_restarts)
    outcome, reason, about = end
    old_v = next((s.verdict for s in sts if s.key == about), None)
    new_v = next((s.verdict for s in new if s.key == about), None)
    if old_v is not None and new_v is not None and old_v.rule == new_v.rule:
        reason = reason.replace(verdict_text(old_v), verdict_text(new_v))
    return again, new, (outcome, reason, about)


def _finish(obs: Observation, sts: Sequence[Standing], end: tuple[WaitOutcome, str, str],
            started: datetime, elapsed: float) -> Report:
    outcome, reason, about = end
    waiting = tuple(f"{m} (waited for it)" for m in obs.missing) + tuple(
        _standing_line(s) for s in sts if s.state != "healthy" and s.key != about)
    summary = WaitSummary(outcome=outcome, started=started, elapsed=round(elapsed, 1),
                          reason=reason, waiting_for=waiting, notes=obs.notes)
    report = obs.report or Report(pods=(), as_of=obs.at)
    return replace(report, wait=summary)


# --- --watch ----------------------------------------------------------------------------------

Seen = tuple[str, str, str]  # state, rule, container: what a change is about


def objects(obs: Observation) -> dict[str, tuple[str, Finding | None]]:
    """Every object a watch reports on, by key: its state and verdict."""
    out: dict[str, tuple[str, Finding | None]] = dict.fromkeys(obs.missing, ("not found", None))
    report = obs.report
    if report is None:
        return out
    for r in report.pods:
        out[f"pod/{r.pod.key}"] = (r.state, r.verdict)
    for w in report.workloads:
        out[w.view.workload.key] = (w.state, w.verdict)
    for o in report.owners:
        state, group = owner_standing(o, report.replaced)
        out[f"{o.kind}/{o.namespace}/{o.name}"] = (state, group.verdict if group else None)
    return out


def _seen(state: str, f: Finding | None) -> Seen:
    return (state, f.rule if f else "", (f.container or "") if f else "")


def watch(src: Following, req: Request, emit: Callable[[Change], None],
          show_healthy: bool = False, timeout: float | None = None,
          tick: float = IDLE_SECONDS,
          clock: Callable[[], datetime] = utcnow,
          monotonic: Callable[[], float] = time.monotonic) -> None:
    """Emit a Change whenever an object's state or verdict changes, until ``timeout``
    seconds (None: until interrupted). The first judgement emits every target, or for a
    namespace run what is not healthy (everything with ``show_healthy``)."""
    before: dict[str, Seen] = {}
    t0 = monotonic()
    first = True
    while True:
        began = time.monotonic()
        obs = observe(src, req, clock)
        took = time.monotonic() - began
        now = obs.at
        current = objects(obs)
        for key, (state, verdict) in current.items():
            seen = _seen(state, verdict)
            old = before.get(key)
            if old == seen:
                continue
            if old is None and first and not req.targets and state == "healthy" \
                    and not show_healthy:
                continue
            emit(Change(at=now, object=key, old=old[0] if old else None, new=state,
                        verdict=verdict))
        for key in [k for k in before if k not in current]:
            if before[key][0] != "not found":
                emit(Change(at=now, object=key, old=before[key][0], new="deleted",
                            verdict=None))
        before = {k: _seen(s, v) for k, (s, v) in current.items()}
        first = False
        src.sweep()
        left = None if timeout is None else timeout - (monotonic() - t0)
        if left is not None and left <= 0:
            return
        pause(src, took, left, tick)

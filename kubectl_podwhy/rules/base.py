"""What the rule families share: the Rule row, and helpers that build findings, evidence and
waiting states consistently."""
from __future__ import annotations

import shlex
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from kubectl_podwhy.report import Evidence, Finding, Level, LogSource, Severity, Symptom
from kubectl_podwhy.rules import messages as m
from kubectl_podwhy.snapshot import Container, Event, PodSnapshot, Terminated
from kubectl_podwhy.timeutil import format_time, human_duration, shift

K8S = "https://kubernetes.io/docs"

FailFast = Literal["yes", "past-restarts", "no"]


@dataclass(frozen=True, kw_only=True)
class Rule:
    """One rule's words: its stable ID (never reused; PW1xx pod, PW2xx container, PW3xx
    workload), name, level, severity and user-facing docs. Each family module defines its
    rows beside the checks that report them."""

    id: str
    name: str
    level: Level
    title: str
    why: str
    fix: str
    docs: str
    severity: Severity = "error"
    #: for rules about a waiting state: how long it may wait (severity "waiting") before it
    #: counts as stuck (the rule's severity); "" for rules without a waiting phase
    deadline: str = ""
    #: what ``--wait`` does when this rule's finding is a failing verdict (kubectl_podwhy.gate):
    #: "yes": Kubernetes will not fix it by itself, fail at once; "past-restarts": the same
    #: once the finding's container restarted --max-restarts times (the kubelet restarts a
    #: crashed container after a back-off of 10 s, doubling to 5 min: kubelet's
    #: CrashLoopBackOff, pkg/kubelet/kuberuntime/kuberuntime_manager.go); "no": it may clear
    #: by itself, tolerated up to --fail-after
    fail_fast: FailFast = "no"


#: a check inspects one pod at ``now`` and returns findings (usually zero or one)
Check = Callable[[PodSnapshot, datetime], list[Finding]]

#: events older than this are history, not a current cause (the default event TTL is 1h)
RECENT_SECONDS = 3600

#: which current state corroborates a finding drawn from events alone, by level
_SYMPTOM_OF_LEVEL: dict[Level, Symptom] = {
    "pod": "pod-not-ready", "container": "container-troubled",
    "workload": "workload-unavailable"}


@dataclass(frozen=True)
class Wait:
    """A waiting state: since when (None: unknown) and how long it may last, in seconds.

    An unknown start never counts as stuck: podwhy cannot tell how long the object waited.
    """

    since: datetime | None
    limit: float

    def elapsed(self, now: datetime) -> float | None:
        return None if self.since is None else max((now - self.since).total_seconds(), 0.0)

    def stuck(self, now: datetime) -> bool:
        e = self.elapsed(now)
        return e is not None and e >= self.limit

    @property
    def deadline(self) -> datetime | None:
        return shift(self.since, self.limit)

    def how_long(self, now: datetime) -> str:
        """"5m" / "an unknown time" (no timestamp to measure from)."""
        e = self.elapsed(now)
        return "an unknown time" if e is None else human_duration(e)

    def for_how_long(self, now: datetime) -> str:
        return f"for {self.how_long(now)}"

    def budget(self) -> str:
        return human_duration(self.limit)

    def says(self, now: datetime, *, stuck: str, waiting: str) -> str:
        """The text for a stuck wait, or for one still within its limit."""
        return stuck if self.stuck(now) else waiting


def finding(rule: Rule, reason: str, summary: str, *, detail: str = "",
            evidence: Iterable[Evidence] = (), container: Container | None = None,
            hint: str | None = None, next_command: str | None = None,
            explains_containers: bool = False, wait: Wait | None = None,
            now: datetime | None = None, severity: Severity | None = None,
            holds_while: Symptom | Literal["auto"] | None = "auto", docs: str | None = None,
            subject: str | None = None, terminal: bool | None = None,
            log_source: LogSource | None = None) -> Finding:
    """Build a finding for ``rule`` with its level, severity, fix and docs.

    ``log_source``: the container log that tells why the container terminated (see
    Finding.log_source); the run attaches its last lines to a verdict.
    ``terminal``: whether --wait may fail at once on it, when this finding knows better than
    its rule's ``fail_fast`` (a FailedCreate by a quota is terminal, one by a timeout not).
    ``wait`` (with ``now``): a waiting state; the finding's severity is "waiting" until the
    wait reaches its limit, the rule's severity after. ``holds_while``: "auto" (default) lets
    a finding whose evidence is all events be corroborated by its level's current state (the
    pod not serving, the container troubled, the workload short of available replicas); a
    Symptom names another; None: the finding comes from the object's status and is current
    by construction.
    """
    ev_tuple = tuple(evidence)
    sev: Severity = severity or rule.severity
    since = deadline = None
    if wait is not None:
        since, deadline = wait.since, wait.deadline
        if severity is None and now is not None and not wait.stuck(now):
            sev = "waiting"
    symptom: Symptom | None = holds_while if holds_while != "auto" else None
    if holds_while == "auto" and ev_tuple and all(e.from_event for e in ev_tuple):
        symptom = _SYMPTOM_OF_LEVEL[rule.level]
    return Finding(
        rule=rule.id, level=rule.level, severity=sev, reason=reason, summary=summary,
        detail=detail, hint=hint or rule.fix, docs=docs or rule.docs,
        container=container.name if container else None,
        container_type=container.type if container else None,
        evidence=ev_tuple, next_command=next_command,
        explains_containers=explains_containers, since=since, deadline=deadline,
        holds_while=symptom, subject=subject, terminal=terminal, log_source=log_source)


def ev(e: Event) -> Evidence:
    return Evidence(source=f"event:{e.reason}", text=e.message, count=e.count,
                    last_seen=format_time(e.last_seen))


def field(path: str, text: str) -> Evidence:
    return Evidence(source=path, text=text)


def recent(e: Event, now: datetime, seconds: int = RECENT_SECONDS) -> bool:
    return e.last_seen is None or (now - e.last_seen).total_seconds() <= seconds


def newest(events: list[Event]) -> Event | None:
    return events[-1] if events else None


#: the flags podwhy writes into commands; those taking a value read the next argument as it,
#: whatever it looks like (pflag), so a name there is safe
_VALUE_FLAGS = frozenset({"-n", "-c", "-o", "-p", "-l", "--field-selector"})
_FLAGS = frozenset({"-A", "--previous", "--replicas=N"})


def kubectl(*args: str) -> str:
    """A kubectl command to copy and paste: every argument shell-quoted (names come from the
    cluster or a file and may hold spaces, quotes or `$(...)`). A name that starts with "-"
    (no API server accepts one; a damaged or hostile input may hold "--server=...") would
    read as a flag: the flags then come first and such names after "--", where kubectl
    (pflag) takes every argument as a name."""
    flags: list[str] = []
    names: list[str] = []
    it = iter(args)
    for a in it:
        if a in _VALUE_FLAGS:
            flags += [a, next(it, "")]
        elif a in _FLAGS:
            flags.append(a)
        else:
            names.append(a)
    risky = next((i for i, a in enumerate(names) if a.startswith("-")), None)
    parts = list(args) if risky is None else [*names[:risky], *flags, "--", *names[risky:]]
    return " ".join(["kubectl", *(shlex.quote(a) for a in parts)])


def damaged_finding(rule: Rule, what: str, damaged: list[str] | tuple[str, ...],
                    next_command: str) -> Finding:
    """The finding for an object with fields read as absent for their wrong type (PW190 for
    a pod, PW315 for a workload): the first three named, each as evidence."""
    more = f" (and {len(damaged) - 3} more)" if len(damaged) > 3 else ""
    return finding(rule, "WrongFieldTypes",
                   f"{what} is damaged, so podwhy cannot call it healthy: "
                   f"{'; '.join(damaged[:3])}{more} (read as absent)",
                   evidence=[field(d.split(" is ", 1)[0], d.split(" is ", 1)[-1])
                             for d in damaged[:3]],
                   next_command=next_command)


def describe_cmd(pod: PodSnapshot) -> str:
    return kubectl("describe", "pod", pod.name, "-n", pod.namespace)


def plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


# --- containers -------------------------------------------------------------------------------

def where(c: Container) -> str:
    """"init container x" / "sidecar x" / "container x" / "debug container x"."""
    return {"init": "init container", "sidecar": "sidecar", "app": "container",
            "ephemeral": "debug container"}[c.type] + f" {c.name}"


def logs_cmd(pod: PodSnapshot, c: Container, previous: bool = True) -> str:
    return kubectl("logs", pod.name, "-n", pod.namespace, "-c", c.name,
                   *(["--previous"] if previous else []))


def restarts(c: Container) -> str:
    return f"restarted {c.restart_count} time{'s' if c.restart_count != 1 else ''}"


def container_events(pod: PodSnapshot, c: Container, *reasons: str) -> list[Event]:
    return pod.events_with(*reasons, container=c.name)


def waiting_evidence(c: Container) -> Evidence:
    return field(f"{c.status_path}.state.waiting",
                 f"{c.state.reason}: {c.state.message}".strip(": "))


def term_evidence(c: Container, t: Terminated, last: bool) -> Evidence:
    path = f"{c.status_path}.{'lastState' if last else 'state'}.terminated"
    text = f"reason={t.reason or '-'} exitCode={t.exit_code}"
    if t.signal:
        text += f" signal={t.signal}"
    if t.finished_at:
        text += f" finishedAt={format_time(t.finished_at)}"
    if t.message:
        text += f" message={t.message.strip()[:300]}"
    return field(path, text)


def exit_text(t: Terminated) -> str:
    if t.reason == "ContainerStatusUnknown":
        return (f"status unknown (exit code {t.exit_code} was set by the kubelet: the container "
                "could not be located; not an OOM or a kill)")
    if t.signal:
        return f"signal {t.signal} ({m.exit_meaning(0, t.signal)})"
    return f"exit code {t.exit_code} ({m.exit_meaning(t.exit_code)})"


def memory_limit(pod: PodSnapshot, c: Container) -> str:
    """"; memory limit 512Mi", the pod-level limit when the container has none (KEP-2837
    pod-level resources), or ""."""
    if c.memory_limit:
        return f"; memory limit {c.memory_limit}"
    if pod.memory_limit:
        return f"; no container memory limit, the pod-level limit is {pod.memory_limit}"
    return ""


def completed(c: Container) -> bool:
    """Terminated with exit code 0 and no signal: a regular init container that is done."""
    t = c.state.terminated
    return c.state.kind == "terminated" and t is not None and t.exit_code == 0 \
        and not t.signal

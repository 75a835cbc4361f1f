"""The output model: what a rule reports (a finding with its evidence) and what the engine
decides for a pod.

Three states, decided in :mod:`kubectl_podwhy.verdict`:

- ``healthy``: Succeeded, or Running and Ready (readiness gates included) with no error finding;
- ``failing``: at least one error finding that the current state corroborates;
- ``progressing``: anything else; the verdict then says what the pod waits for and since when.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from kubectl_podwhy.rawjson import as_dict, as_list, as_str, controller_uid
from kubectl_podwhy.snapshot import (
    ContainerType,
    NodeInfo,
    PodSnapshot,
    ReferenceBasis,
    Workload,
)

Level = Literal["workload", "pod", "container"]
#: error: a fault; waiting: what the object waits for, within its deadline (not a fault yet);
#: warning: worth knowing, never changes the state
Severity = Literal["error", "waiting", "warning"]
State = Literal["healthy", "progressing", "failing"]
LogSource = Literal["previous", "current"]
#: The current state that must still show the problem for a finding drawn from events alone
#: to count (events outlive the problem by up to an hour): see verdict.corroborated.
Symptom = Literal["pod-not-ready", "container-troubled", "workload-short",
                  "workload-unavailable"]

STATES: tuple[State, ...] = ("failing", "progressing", "healthy")


@dataclass(frozen=True)
class Evidence:
    source: str  # a field path (status.containerStatuses[app].lastState) or event:Reason
    text: str
    count: int | None = None
    last_seen: str | None = None  # RFC 3339
    #: a container log's last lines, oldest first (source logs:previous / logs:current);
    #: ``text`` is then the line that tells the most (crashlog.telling_line)
    lines: tuple[str, ...] = ()

    @property
    def from_event(self) -> bool:
        return self.source.startswith("event:")

    @property
    def from_log(self) -> bool:
        """A container log (logs:previous, logs:current; kubectl_podwhy.crashlog)."""
        return self.source.startswith("logs:")


@dataclass(frozen=True)
class Finding:
    rule: str
    level: Level
    severity: Severity
    reason: str
    summary: str
    detail: str
    hint: str
    docs: str
    container: str | None = None
    container_type: ContainerType | None = None
    evidence: tuple[Evidence, ...] = ()
    #: the next command worth running, e.g. kubectl logs ... --previous
    next_command: str | None = None
    #: a pod-level finding that makes container states meaningless (eviction, termination,
    #: a dead node): container findings are then not reported at all
    explains_containers: bool = False
    #: waiting states: since when the object waits, and when it counts as stuck
    since: datetime | None = None
    deadline: datetime | None = None
    #: set for findings drawn from events alone: the state that must corroborate them
    holds_while: Symptom | None = None
    #: workload findings: the key (Kind/namespace/name) of the object the finding is about
    subject: str | None = None
    #: --wait: True/False when the finding itself knows whether Kubernetes will fix it by
    #: itself (None: its rule's fail_fast decides; kubectl_podwhy.gate)
    terminal: bool | None = None
    #: a finding about a container that terminated: the log that tells why, "previous" (the
    #: crashed run, kubectl logs --previous) or "current" (a terminated container that was not
    #: restarted); the run reads it for the verdict (kubectl_podwhy.crashlog)
    log_source: LogSource | None = None


@dataclass(frozen=True)
class PodReport:
    pod: PodSnapshot
    status: str  # kubectl's STATUS column
    state: State
    verdict: Finding | None
    findings: tuple[Finding, ...] = field(default=())
    #: kubectl's READY column: (ready, containers), sidecars counted (status.PodColumns)
    ready: tuple[int, int] = (0, 0)
    #: kubectl's RESTARTS column: the restarts, and when the latest restarted container last
    #: terminated (None: no status says)
    restarts: int = 0
    last_restart: datetime | None = None

    @property
    def healthy(self) -> bool:
        return self.state == "healthy"


# --- workloads: pods grouped by verdict, and what workload rules look at ---------------------

@dataclass(frozen=True)
class PodGroup:
    """Pods that share a state and verdict (rule, reason, container); verdict None =
    healthy."""

    verdict: Finding | None
    reports: tuple[PodReport, ...]

    @property
    def count(self) -> int:
        return len(self.reports)

    @property
    def state(self) -> State:
        return self.reports[0].state if self.reports else "healthy"


def group_key(r: PodReport) -> tuple[int, str, str, str]:
    v = r.verdict
    rank = STATES.index(r.state)
    if v is None:
        return (rank, "", "", "")
    return (rank, v.rule, v.reason, v.container or "")


def group_reports(reports: Sequence[PodReport]) -> tuple[PodGroup, ...]:
    """Group by state and verdict: failing first, then progressing (largest groups first),
    healthy pods last."""
    groups: dict[tuple[int, str, str, str], list[PodReport]] = {}
    for r in reports:
        groups.setdefault(group_key(r), []).append(r)
    ordered = sorted(groups.items(), key=lambda kv: (kv[0][0], -len(kv[1]), kv[0]))
    return tuple(PodGroup(rs[0].verdict, tuple(rs)) for _, rs in ordered)


@dataclass(frozen=True)
class OwnerView:
    """The pods of one direct owner (a ReplicaSet of a Deployment, a Job of a CronJob)."""

    kind: str
    namespace: str
    name: str
    note: str  # "revision 2, new", "Job, failed"; "" when only the ownerReference is known
    workload: Workload | None
    groups: tuple[PodGroup, ...]

    @property
    def pod_count(self) -> int:
        return sum(g.count for g in self.groups)


@dataclass(frozen=True)
class WorkloadView:
    """What workload rules look at: the workload, its children and its pods' reports."""

    workload: Workload
    children: tuple[Workload, ...]
    #: the newest child: a Deployment's current ReplicaSet, a CronJob's latest Job
    newest: Workload | None
    owners: tuple[OwnerView, ...]
    reports: tuple[PodReport, ...]
    nodes: Mapping[str, NodeInfo]

    @property
    def groups(self) -> tuple[PodGroup, ...]:
        return group_reports(self.reports)

    @property
    def current_reports(self) -> tuple[PodReport, ...]:
        """The pods the workload stands on now: of its current revision (a Deployment's
        newest ReplicaSet, a CronJob's newest Job; all pods of the others), and active.
        Controllers ignore pods that ended or are being deleted (controller_utils
        FilterActivePods): an evicted pod its ReplicaSet replaced, a Job's failed attempt, a
        pod on its way out, are history for the workload."""
        if self.workload.kind == "Deployment":
            pods = pods_of(self, self.newest) if self.newest is not None else []
        elif self.workload.kind == "CronJob":
            # its newest Job, and every Job it still counts as active (concurrencyPolicy
            # Allow runs several at once)
            active = {as_str(as_dict(ref).get("uid"))
                      for ref in as_list(self.workload.status.get("active"))}
            pods = [r for j in self.children if j is self.newest or j.uid in active
                    for r in pods_of(self, j)]
        else:
            pods = list(self.reports)
        return tuple(r for r in pods if not r.pod.terminal and r.pod.deletion_timestamp is None)

    @property
    def current_groups(self) -> tuple[PodGroup, ...]:
        return group_reports(self.current_reports)


def pods_of(view: WorkloadView, w: Workload) -> list[PodReport]:
    """The view's pods whose controller is ``w``."""
    return [r for r in view.reports if controller_uid(r.pod.raw) == w.uid]


@dataclass(frozen=True)
class WorkloadReport:
    view: WorkloadView
    state: State
    verdict: Finding | None
    findings: tuple[Finding, ...]

    @property
    def healthy(self) -> bool:
        return self.state == "healthy"


#: how a --wait ended: every target healthy; one failing (at once when terminal, else after
#: --fail-after); the timeout passed first
WaitOutcome = Literal["healthy", "failing", "timeout"]


@dataclass(frozen=True)
class WaitSummary:
    """How a ``--wait`` ended. ``elapsed`` in seconds since ``started``; ``reason`` one line
    (what failed and why it ended the wait, or what it still waited for); ``waiting_for``:
    the targets not healthy at the end, one line each (missing ones say so)."""

    outcome: WaitOutcome
    started: datetime
    elapsed: float
    reason: str
    waiting_for: tuple[str, ...] = ()
    #: what the last gather could not read (events, nodes): warnings for stderr
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Change:
    """--watch: an object's state or verdict changed. ``object`` is its key as in
    Report.targets ("pod/NS/NAME", "Deployment/NS/NAME", or a not-found message); ``old``
    None when first seen; ``new`` a State, "deleted" or "not found"."""

    at: datetime
    object: str
    old: str | None
    new: str
    verdict: Finding | None


@dataclass(frozen=True)
class Report:
    """Everything one run found: pods, the workloads above them, pods grouped by owner."""

    pods: tuple[PodReport, ...]
    workloads: tuple[WorkloadReport, ...] = ()
    #: namespace-wide runs: pods grouped by their controller ownerReference
    owners: tuple[OwnerView, ...] = ()
    #: the reference time ages and deadlines were judged against, and where it came from
    as_of: datetime = field(kw_only=True)
    as_of_basis: ReferenceBasis = "clock"
    #: what the exit code is about: the named pods and workloads, else everything
    targets: tuple[str, ...] = ()
    #: several captures read together, each judged at its own time: the earliest of them
    #: (as_of is the latest)
    as_of_earliest: datetime | None = None
    #: keys of failed pods their controller has replaced (workloads.replaced)
    replaced: frozenset[str] = frozenset()
    #: --wait: how the wait ended (None for a one-shot run)
    wait: WaitSummary | None = None


# --- pods -------------------------------------------------------------------------------------

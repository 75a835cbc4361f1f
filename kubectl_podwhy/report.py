"""The output model: what a rule reports (a finding with its evidence) and what the engine
decides for a pod.

Three states, decided in :mod:`kubectl_podwhy.verdict`:

- ``healthy``: Succeeded, or Running and Ready (readiness gates included) with no error finding;
- ``failing``: at least one error finding that the current state corroborates;
- ``progressing``: anything else; the verdict then says what the pod waits for and since when.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from kubectl_podwhy.snapshot import ContainerType, PodSnapshot

Level = Literal["workload", "pod", "container"]
#: error: a fault; waiting: what the object waits for, within its deadline (not a fault yet);
#: warning: worth knowing, never changes the state
Severity = Literal["error", "waiting", "warning"]
State = Literal["healthy", "progressing", "failing"]
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

    @property
    def from_event(self) -> bool:
        return self.source.startswith("event:")


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


@dataclass(frozen=True)
class PodReport:
    pod: PodSnapshot
    status: str  # kubectl's STATUS column
    state: State
    verdict: Finding | None
    findings: tuple[Finding, ...] = field(default=())

    @property
    def healthy(self) -> bool:
        return self.state == "healthy"

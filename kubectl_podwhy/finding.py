"""What a rule reports: a finding with its evidence, and what the engine decides for a pod."""
from __future__ import annotations

from dataclasses import dataclass, field

from kubectl_podwhy.rules.catalog import Level, Severity
from kubectl_podwhy.snapshot import ContainerType, PodSnapshot


@dataclass(frozen=True)
class Evidence:
    source: str  # a field path (status.containerStatuses[app].lastState) or event:Reason
    text: str
    count: int | None = None
    last_seen: str | None = None  # RFC 3339


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


@dataclass(frozen=True)
class PodReport:
    pod: PodSnapshot
    status: str  # kubectl's STATUS column
    healthy: bool
    verdict: Finding | None
    findings: tuple[Finding, ...] = field(default=())

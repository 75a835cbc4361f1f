"""Helpers shared by the rules: building findings and evidence consistently."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from kubectl_podwhy.finding import Evidence, Finding
from kubectl_podwhy.rules.catalog import rule
from kubectl_podwhy.snapshot import Container, Event, PodSnapshot
from kubectl_podwhy.timeutil import format_time

#: a check inspects one pod at ``now`` and returns findings (usually zero or one)
Check = Callable[[PodSnapshot, datetime], list[Finding]]

#: events older than this are history, not a current cause (the default event TTL is 1h)
RECENT_SECONDS = 3600


def finding(rule_id: str, reason: str, summary: str, *, detail: str = "",
            evidence: Iterable[Evidence] = (), container: Container | None = None,
            hint: str | None = None, next_command: str | None = None,
            explains_containers: bool = False) -> Finding:
    r = rule(rule_id)
    return Finding(
        rule=r.id, level=r.level, severity=r.severity, reason=reason, summary=summary,
        detail=detail, hint=hint or r.fix, docs=r.docs,
        container=container.name if container else None,
        container_type=container.type if container else None,
        evidence=tuple(evidence), next_command=next_command,
        explains_containers=explains_containers)


def ev(e: Event) -> Evidence:
    return Evidence(source=f"event:{e.reason}", text=e.message, count=e.count,
                    last_seen=format_time(e.last_seen))


def field(path: str, text: str) -> Evidence:
    return Evidence(source=path, text=text)


def recent(e: Event, now: datetime, seconds: int = RECENT_SECONDS) -> bool:
    return e.last_seen is None or (now - e.last_seen).total_seconds() <= seconds


def newest(events: list[Event]) -> Event | None:
    return events[-1] if events else None


def ns_flag(pod: PodSnapshot) -> str:
    return f" -n {pod.namespace}"


def describe_cmd(pod: PodSnapshot) -> str:
    return f"kubectl describe pod {pod.name}{ns_flag(pod)}"

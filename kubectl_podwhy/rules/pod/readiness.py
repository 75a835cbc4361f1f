"""Readiness gates: the containers are ready, a condition an external controller owns is not
(PW170)."""
from __future__ import annotations

from datetime import datetime

from kubectl_podwhy.report import Finding
from kubectl_podwhy.rules.base import K8S, Rule, Wait, field, finding
from kubectl_podwhy.snapshot import PodSnapshot

READINESS_GATES = Rule(
    id="PW170", name="readiness-gates", level="pod",
    title="A readiness gate is not satisfied",
    why="All containers are ready but a condition named in spec.readinessGates is missing or not "
        "True; an external controller (a load balancer controller, for example) owns it.",
    fix="Check the controller that sets the condition, not the application.",
    docs=f"{K8S}/concepts/workloads/pods/pod-lifecycle/#pod-readiness-gate",
    deadline="5 minutes after its containers became ready")

RULES: tuple[Rule, ...] = (READINESS_GATES,)


#: readiness gates are set by an external controller (a load balancer's target health)
READINESS_GATE_SECONDS = 300


def check_readiness_gates(pod: PodSnapshot, now: datetime) -> list[Finding]:
    if not pod.readiness_gates or pod.terminal or pod.deletion_timestamp is not None:
        return []
    ready = pod.condition("Ready")
    cready = pod.condition("ContainersReady")
    if ready is None or ready.status == "True":
        return []
    if cready is not None and cready.status != "True":
        return []  # the containers are the reason; they are diagnosed in the container chain
    pending = []
    for g in pod.readiness_gates:
        c = pod.condition(g)
        if c is None:
            pending.append(f"{g} is missing")
        elif c.status != "True":
            pending.append(f"{g} is {c.status}")
    if not pending:
        return []
    wait = Wait((cready.last_transition if cready is not None else None) or pod.start_time
                or pod.created, READINESS_GATE_SECONDS)
    head = wait.says(now, stuck="readiness gate not satisfied",
                     waiting="waiting for its readiness gate")
    return [finding(READINESS_GATES, "ReadinessGatesNotReady",
                    f"{head} {wait.for_how_long(now)} after its containers became ready: "
                    + "; ".join(pending),
                    detail=ready.message, wait=wait, now=now,
                    evidence=[field("status.conditions[Ready]",
                                    f"{ready.reason}: {ready.message}")])]

"""A status podwhy can read, and the last word (PW190-PW191).

The chain opens with :func:`check_status` (a status that cannot be read ends it) and closes
with :func:`check_unexplained` (a pod that is not healthy and that no rule explained) and
:func:`check_damaged` (fields of the wrong type forbid "healthy").
"""
from __future__ import annotations

from datetime import datetime

from kubectl_podwhy.report import Finding
from kubectl_podwhy.rules.base import (
    K8S,
    Rule,
    Wait,
    damaged_finding,
    describe_cmd,
    field,
    finding,
    kubectl,
)
from kubectl_podwhy.rules.pod.terminal import POD_FAILED
from kubectl_podwhy.snapshot import PodSnapshot

STATUS_UNREADABLE = Rule(
    id="PW190", fail_fast="yes", name="status-unreadable", level="pod",
    title="The pod's status cannot be read",
    why="The pod's status is null, malformed or impossible (no phase, phase Unknown, phase "
        "Running without container statuses), or fields podwhy reads hold another JSON type "
        "than the API gives them (read as absent; reason WrongFieldTypes, reported when no "
        "other error names a cause): a damaged object or a broken export. podwhy will not call "
        "such a pod healthy.",
    fix="Read the object as the API server has it (kubectl get pod -o yaml); re-export it.",
    docs=f"{K8S}/concepts/workloads/pods/pod-lifecycle/#pod-phase")

POD_NOT_READY = Rule(
    id="PW191", name="pod-not-ready", level="pod",
    title="Not ready, and no rule names why",
    why="The pod is not Ready and no container, condition or event podwhy knows explains it; "
        "the Ready condition's reason and message are shown.",
    fix="kubectl describe pod; read the conditions and the containers' states.",
    docs=f"{K8S}/concepts/workloads/pods/pod-lifecycle/#pod-conditions",
    deadline="5 minutes after the Ready condition last changed")

RULES: tuple[Rule, ...] = (STATUS_UNREADABLE, POD_NOT_READY)


def check_status(pod: PodSnapshot, now: datetime) -> list[Finding]:
    """A status that is null, malformed or impossible cannot be diagnosed, and is never
    called healthy."""
    if not pod.unreadable:
        return []
    return [finding(STATUS_UNREADABLE, "StatusUnreadable",
                    f"the pod's status cannot be read: {pod.unreadable}",
                    evidence=[field("status", pod.unreadable)], explains_containers=True,
                    next_command=kubectl("get", "pod", pod.name, "-n", pod.namespace,
                                         "-o", "yaml"))]


def check_damaged(pod: PodSnapshot, now: datetime) -> list[Finding]:
    """Fields of the wrong type were read as absent (a real API server never writes them, so
    the object was edited or damaged): whatever else podwhy finds, it cannot call the pod
    healthy. The engine calls it only when no other error names a cause."""
    if not pod.damaged:
        return []
    return [damaged_finding(STATUS_UNREADABLE, "the pod object", pod.damaged,
                            kubectl("get", "pod", pod.name, "-n", pod.namespace, "-o", "yaml"))]


#: a pod that is not ready for no reason podwhy can name
NOT_READY_SECONDS = 300


def check_unexplained(pod: PodSnapshot, now: datetime) -> list[Finding]:
    """The last word for a pod that is not healthy and that no rule explained: say what the
    status shows, never "healthy". The engine calls it only then."""
    if pod.phase == "Failed":
        reason = pod.reason or "Failed"
        return [finding(POD_FAILED, reason,
                        "pod failed (phase Failed)" + (f": {pod.message}" if pod.message else
                                                       " and no reason is recorded"),
                        detail=pod.message, explains_containers=True,
                        evidence=[field("status.phase", "Failed")])]
    ready = pod.condition("Ready")
    since = (ready.last_transition if ready is not None else None) or pod.start_time \
        or pod.created
    wait = Wait(since, NOT_READY_SECONDS)
    shown = (f"Ready is {ready.status}" + (f" ({ready.reason}: {ready.message})"
                                           if ready.reason or ready.message else "")
             if ready is not None else "no Ready condition")
    head = wait.says(now, stuck="not ready", waiting="waiting to become ready")
    reason = ready.reason if ready is not None and ready.reason else "NotReady"
    return [finding(POD_NOT_READY, reason,
                    f"{head} {wait.for_how_long(now)} (phase {pod.phase}; {shown}); no "
                    "container or condition explains it", wait=wait, now=now,
                    evidence=[field("status.conditions[Ready]", shown)],
                    next_command=describe_cmd(pod))]

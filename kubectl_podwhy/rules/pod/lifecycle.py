"""Object lifecycle: a pod being deleted, or stuck in deletion (PW101-PW104)."""
from __future__ import annotations

from datetime import datetime

from kubectl_podwhy.report import Finding
from kubectl_podwhy.rules.base import (
    K8S,
    Rule,
    Wait,
    describe_cmd,
    ev,
    field,
    finding,
    kubectl,
)
from kubectl_podwhy.rules.pod.node import node_not_ready, node_state
from kubectl_podwhy.snapshot import PodSnapshot
from kubectl_podwhy.timeutil import format_time, human_duration, shift

TERMINATING_FINALIZERS = Rule(
    id="PW101", name="terminating-finalizers", level="pod",
    title="Stuck terminating: finalizers block deletion",
    why="The pod was deleted but metadata.finalizers is not empty; the API server keeps the object "
        "until every finalizer is removed by the controller that owns it.",
    fix="Find the controller that owns the finalizer and make it finish; as a last resort remove "
        "the finalizer with kubectl patch (the controller's cleanup will not run).",
    docs=f"{K8S}/concepts/overview/working-with-objects/finalizers/")

TERMINATING_NODE_LOST = Rule(
    id="PW102", name="terminating-node-lost", level="pod",
    title="Stuck terminating: its node is unreachable",
    why="The pod was deleted, but the kubelet on its node is not reporting, so nobody can confirm "
        "that the containers stopped; the object stays until the node comes back or is removed.",
    fix="Recover the node, or delete the Node object (PodGC then removes its pods), or taint it "
        "node.kubernetes.io/out-of-service=nodeshutdown:NoExecute. Force deletion "
        "(--grace-period=0 --force) is unsafe for StatefulSets.",
    docs=f"{K8S}/concepts/cluster-administration/node-shutdown/#non-graceful-node-shutdown")

TERMINATING_STUCK = Rule(
    id="PW103", name="terminating-stuck", level="pod",
    title="Stuck terminating past its grace period",
    why="The pod was deleted longer ago than its grace period allows and still exists: a preStop "
        "hook hangs, the runtime failed to kill it, or a volume does not unmount.",
    fix="Read the pod's events (FailedKillPod, FailedPreStopHook) and the kubelet log on the node; "
        "check the container runtime on that node.",
    docs=f"{K8S}/concepts/workloads/pods/pod-lifecycle/#pod-termination")

TERMINATING = Rule(
    id="PW104", name="terminating", level="pod",
    title="Being deleted (within its grace period)",
    why="The pod has a deletionTimestamp and is shutting down; readiness and container states "
        "during termination are not failures.",
    fix="Nothing, unless it is still there 30 s after its grace period (PW101-PW103 then say "
        "why).",
    docs=f"{K8S}/concepts/workloads/pods/pod-lifecycle/#pod-termination",
    severity="waiting",
    deadline="its grace period (deletionGracePeriodSeconds) and 30 s more for the kubelet's "
             "kill and the finalizers' controllers; past it, PW101-PW103 say why it is "
             "stuck")

RULES: tuple[Rule, ...] = (TERMINATING_FINALIZERS, TERMINATING_NODE_LOST, TERMINATING_STUCK,
                          TERMINATING)

#: after its grace period, how long a deleted pod may take to go (the kubelet's kill and
#: final status, finalizers removed by their controllers) before it counts as stuck
TERMINATION_SLACK_SECONDS = 30


def check_terminating(pod: PodSnapshot, now: datetime) -> list[Finding]:
    if pod.deletion_timestamp is None:
        return []
    # deletionTimestamp is the moment the grace period ends, not the moment of the request.
    grace = pod.deletion_grace_seconds if pod.deletion_grace_seconds is not None else 30
    overdue = (now - pod.deletion_timestamp).total_seconds()
    deleted_ago = human_duration(overdue + grace)
    evidence = [field("metadata.deletionTimestamp",
                      f"{format_time(pod.deletion_timestamp)} (grace period {grace}s)")]
    kill_events = pod.events_with("FailedKillPod", "FailedPreStopHook", "ExceededGracePeriod",
                                  "Killing")
    if node_not_ready(pod):
        where = f"node {pod.node_name}"
        if pod.node is not None:
            where += f" is {node_state(pod.node)}"
        elif pod.node_lookup == "missing":
            where += " no longer exists"
        else:
            where += " is unreachable (pod reason NodeLost)"
        if pod.finalizers:
            evidence.append(field("metadata.finalizers", ", ".join(pod.finalizers)))
        evidence += [ev(e) for e in pod.events_with("NodeNotReady", "TaintManagerEviction")]
        return [finding(
            TERMINATING_NODE_LOST, "Terminating",
            f"deleted {deleted_ago} ago but {where}: nobody can confirm its containers stopped",
            detail=pod.message, evidence=evidence, explains_containers=True,
            next_command=kubectl("describe", "node", pod.node_name))]
    if pod.finalizers:
        evidence.append(field("metadata.finalizers", ", ".join(pod.finalizers)))
    if overdue <= TERMINATION_SLACK_SECONDS:
        # The reference time may precede the deletion request in a capture without a
        # capture time: never claim more time left than the grace period itself.
        left = min(-overdue, float(grace))
        if overdue <= 0:
            summary = f"being deleted: {human_duration(left)} of its {grace}s grace period left"
        else:
            # After the grace period the kubelet kills what is left and reports it, and the
            # controllers owning finalizers remove them: that takes seconds.
            summary = (f"being deleted: its {grace}s grace period ended "
                       f"{human_duration(overdue)} ago; "
                       + (f"waiting for finalizers: {', '.join(pod.finalizers)}"
                          if pod.finalizers else "the kubelet is stopping its containers"))
        return [finding(
            TERMINATING, "Terminating", summary, evidence=evidence, explains_containers=True,
            wait=Wait(shift(pod.deletion_timestamp, -grace),
                      grace + TERMINATION_SLACK_SECONDS), now=now)]
    if pod.finalizers:
        return [finding(
            TERMINATING_FINALIZERS, "Terminating",
            f"deleted {deleted_ago} ago; waiting for finalizers: {', '.join(pod.finalizers)}",
            detail="metadata.finalizers: " + ", ".join(pod.finalizers),
            evidence=evidence, explains_containers=True,
            next_command=kubectl("get", "pod", pod.name, "-n", pod.namespace,
                                 "-o", "jsonpath={.metadata.finalizers}"))]
    evidence += [ev(e) for e in kill_events if e.type == "Warning"]
    failures = [e for e in kill_events if e.reason != "Killing"]
    why = f"; {failures[-1].reason}: {failures[-1].message}" if failures else ""
    return [finding(
        TERMINATING_STUCK, "Terminating",
        f"deleted {deleted_ago} ago, {human_duration(overdue)} past its {grace}s grace period{why}",
        detail="\n".join(e.message for e in failures), evidence=evidence,
        explains_containers=True, next_command=describe_cmd(pod))]

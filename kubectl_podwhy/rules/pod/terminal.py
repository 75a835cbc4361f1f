"""Terminal pod reasons and disruptions: why a pod is going away or gone (PW110-PW118).

Evictions (what ran out), preemption, taint-manager and PodGC deletions, the Eviction API,
node shutdown, activeDeadlineSeconds and kubelet admission rejections. They explain the
containers' state (exit 137 behind an eviction), so the container checks do not run.
"""
from __future__ import annotations

from datetime import datetime

from kubectl_podwhy.report import Evidence, Finding
from kubectl_podwhy.rules import messages as m
from kubectl_podwhy.rules.base import K8S, Rule, Wait, ev, field, finding, newest
from kubectl_podwhy.rules.pod.lifecycle import TERMINATION_SLACK_SECONDS
from kubectl_podwhy.snapshot import Condition, PodSnapshot, format_quantity, parse_quantity
from kubectl_podwhy.timeutil import shift

EVICTED = Rule(
    id="PW110", fail_fast="yes", name="evicted", level="pod",
    title="Evicted by the kubelet",
    why="The kubelet evicted the pod: either the node ran low on memory, disk or PIDs (it evicts "
        "the pods using most above their requests first), or the pod broke a limit of its own: "
        "a container's ephemeral-storage limit, the sum of its containers' limits, or an "
        "emptyDir sizeLimit (then the node was fine). The summary says which. The containers may "
        "show exit 137 or ContainerStatusUnknown: that is the eviction, not an application error.",
    fix="For node pressure: set memory requests close to real usage (or Guaranteed QoS), and "
        "ephemeral-storage requests and limits for disk; for a limit of the pod's own, raise that "
        "limit or write less. Delete the Failed pod when done.",
    docs=f"{K8S}/concepts/scheduling-eviction/node-pressure-eviction/")

PREEMPTED = Rule(
    id="PW111", fail_fast="yes", name="preempted", level="pod",
    title="Preempted for a higher-priority pod",
    why="The scheduler (or the kubelet, for critical pods) removed this pod to make room for a pod "
        "with a higher priority.",
    fix="Give the workload a PriorityClass that matches its importance, or add capacity.",
    docs=f"{K8S}/concepts/scheduling-eviction/pod-priority-preemption/")

TAINT_MANAGER_EVICTION = Rule(
    id="PW112", fail_fast="yes", name="taint-manager-eviction", level="pod",
    title="Deleted by the taint manager (NoExecute taint)",
    why="Its node got a NoExecute taint (typically not-ready or unreachable) that the pod does not "
        "tolerate, or its tolerationSeconds ran out.",
    fix="Fix the node; tolerate the taint for longer if the workload should ride out node blips.",
    docs=f"{K8S}/concepts/scheduling-eviction/taint-and-toleration/#taint-based-evictions")

POD_GC = Rule(
    id="PW113", fail_fast="yes", name="pod-gc", level="pod",
    title="Removed by pod garbage collection",
    why="PodGC force-deleted the pod, usually because its node no longer exists.",
    fix="Nothing to fix on the pod; find out why the node went away.",
    docs=f"{K8S}/concepts/workloads/pods/pod-lifecycle/#pod-garbage-collection")

API_EVICTION = Rule(
    id="PW114", fail_fast="yes", name="api-eviction", level="pod",
    title="Evicted through the Eviction API",
    why="A voluntary disruption: kubectl drain, the descheduler, the cluster autoscaler or the VPA "
        "updater evicted the pod.",
    fix="Expected during maintenance; protect availability with a PodDisruptionBudget.",
    docs=f"{K8S}/concepts/scheduling-eviction/api-eviction/",
    deadline="while the evicted pod shuts down: its grace period and 30 s more")

NODE_SHUTDOWN = Rule(
    id="PW115", fail_fast="yes", name="node-shutdown", level="pod",
    title="Terminated by a node shutdown",
    why="The kubelet stopped the pod because the node was shutting down (spot reclaim, reboot). "
        "Exit codes 137 and 143 here are the shutdown, not OOM.",
    fix="A controller (ReplicaSet, StatefulSet, DaemonSet, Job) recreates the pod elsewhere; "
        "a pod without one must be recreated by hand. Delete the Failed pod.",
    docs=f"{K8S}/concepts/cluster-administration/node-shutdown/")

DEADLINE_EXCEEDED = Rule(
    id="PW116", fail_fast="yes", name="deadline-exceeded", level="pod",
    title="activeDeadlineSeconds exceeded",
    why="The pod ran longer than spec.activeDeadlineSeconds and the kubelet killed it.",
    fix="Raise activeDeadlineSeconds, or find out why the work is slower than expected.",
    docs=f"{K8S}/reference/kubernetes-api/workload-resources/pod-v1/#lifecycle")

ADMISSION_REJECTED = Rule(
    id="PW117", fail_fast="yes", name="admission-rejected", level="pod",
    title="Rejected by the kubelet at admission",
    why="The scheduler bound the pod but the kubelet refused to run it (not enough resources on "
        "the node, node labels changed, a device plugin failed, a feature the node lacks).",
    fix="Check the node against the pod spec: allocatable, labels, device plugins, features. A "
        "controller replaces the pod; a pod without one must be recreated by hand.",
    docs=f"{K8S}/concepts/workloads/pods/pod-lifecycle/#pod-phase")

POD_FAILED = Rule(
    id="PW118", fail_fast="yes", name="pod-failed", level="pod",
    title="Pod failed with a pod-level reason",
    why="The pod phase is Failed and status.reason names a cause outside the containers.",
    fix="Read status.message and the pod's events.",
    docs=f"{K8S}/concepts/workloads/pods/pod-lifecycle/#pod-phase")

RULES: tuple[Rule, ...] = (EVICTED, PREEMPTED, TAINT_MANAGER_EVICTION, POD_GC, API_EVICTION,
                          NODE_SHUTDOWN, DEADLINE_EXCEEDED, ADMISSION_REJECTED, POD_FAILED)

#: who deletes the pod, by its DisruptionTarget condition's reason (KEP-3329)
_DISRUPTION_RULES = {
    "PreemptionByScheduler": PREEMPTED,
    "DeletionByTaintManager": TAINT_MANAGER_EVICTION,
    "DeletionByDeviceTaintManager": TAINT_MANAGER_EVICTION,  # DRA: a device got a NoExecute taint
    "DeletionByPodGC": POD_GC,
    "EvictionByEvictionAPI": API_EVICTION,
}
SHUTDOWN_REASONS = frozenset({"Terminated", "Shutdown", "NodeShutdown"})


def check_terminal(pod: PodSnapshot, now: datetime) -> list[Finding]:
    reason, msg = pod.reason, pod.message
    status_ev = [field("status.reason", reason)] if reason else []
    if msg:
        status_ev.append(field("status.message", msg))
    dt = pod.condition("DisruptionTarget")
    if dt is not None and dt.status == "True":
        status_ev.append(field("status.conditions[DisruptionTarget]",
                               f"{dt.reason}: {dt.message}".strip(": ")))
    if reason == "Evicted":
        return [_evicted(pod, msg, status_ev)]
    if dt is not None and dt.status == "True" and dt.reason == "TerminationByKubelet" \
            and not reason:
        return [_stopped_by_kubelet(pod, dt, status_ev)]
    if reason == "Preempting" or (dt is not None and dt.status == "True"
                                  and dt.reason == "PreemptionByScheduler"):
        evs = [ev(x) for x in pod.events_with("Preempted", "Preempting")]
        by = newest(pod.events_with("Preempted"))
        summary = "preempted to make room for a higher-priority pod"
        if by is not None:
            summary += f" ({by.message})"
        return [finding(PREEMPTED, reason if reason == "Preempting" else "PreemptionByScheduler",
                        summary, detail=msg or (dt.message if dt else ""),
                        evidence=status_ev + evs, explains_containers=True)]
    if reason in SHUTDOWN_REASONS:
        return [finding(NODE_SHUTDOWN, reason,
                        f"stopped by the shutdown of node {pod.node_name or '?'} "
                        "(exit codes 137/143 here are not OOM)",
                        detail=msg, evidence=status_ev, explains_containers=True,
                        hint="The node shut down (a reboot, spot reclaim, maintenance). "
                             + replacement(pod))]
    if reason == "DeadlineExceeded":
        evs = [ev(x) for x in pod.events_with("DeadlineExceeded")]
        limit = (f" ({pod.active_deadline_seconds}s)" if pod.active_deadline_seconds else "")
        return [finding(DEADLINE_EXCEEDED, reason,
                        f"killed after running longer than spec.activeDeadlineSeconds{limit}",
                        detail=msg, evidence=status_ev + evs, explains_containers=True)]
    if reason and m.is_admission_reason(reason):
        return [_admission_rejected(pod, reason, msg, status_ev)]
    if dt is not None and dt.status == "True" and dt.reason in _DISRUPTION_RULES:
        return [_disrupted(pod, dt, status_ev, now)]
    if pod.phase == "Failed" and reason and reason != "NodeLost":
        return [finding(POD_FAILED, reason, f"pod failed: {reason}" + (f": {msg}" if msg else ""),
                        detail=msg, evidence=status_ev, explains_containers=True)]
    return []


def _stopped_by_kubelet(pod: PodSnapshot, dt: Condition, status_ev: list[Evidence]) -> Finding:
    """The kubelet is stopping the pod (node-pressure eviction, node shutdown, kubelet
    preemption: KEP-3329) and its phase goes to Failed next: say why, now."""
    if "shutdown" in dt.message.lower():
        return finding(NODE_SHUTDOWN, "TerminationByKubelet",
                       f"being stopped by the shutdown of node {pod.node_name or '?'} "
                       f"({dt.message.strip()})", detail=dt.message,
                       evidence=status_ev, explains_containers=True,
                       hint="The node is shutting down (a reboot, spot reclaim, "
                            "maintenance). " + replacement(pod))
    if m.parse_eviction(dt.message).kind != "unknown":
        return _evicted(pod, dt.message, status_ev)
    return finding(POD_FAILED, "TerminationByKubelet",
                   f"being stopped by the kubelet on node {pod.node_name or '?'}: "
                   f"{dt.message.strip()}", detail=dt.message, evidence=status_ev,
                   explains_containers=True)


def _disrupted(pod: PodSnapshot, dt: Condition, status_ev: list[Evidence],
               now: datetime) -> Finding:
    """The taint manager, PodGC or the Eviction API deletes the pod (its DisruptionTarget)."""
    rule = _DISRUPTION_RULES[dt.reason]
    summaries = {
        TAINT_MANAGER_EVICTION: (
            f"deleted by the device taint manager: a device the pod uses has a NoExecute taint "
            f"({dt.message})" if dt.reason == "DeletionByDeviceTaintManager"
            else f"deleted by the taint manager: node {pod.node_name or '?'} has a NoExecute "
                 "taint the pod does not tolerate"),
        POD_GC: "removed by pod garbage collection" + (f" ({dt.message})" if dt.message else ""),
        API_EVICTION: "evicted through the Eviction API (drain, descheduler, autoscaler or VPA)",
    }
    evs = [ev(x) for x in pod.events_with("TaintManagerEviction", "NodeControllerEviction",
                                          "Killing")]
    wait = None
    if rule is API_EVICTION and pod.deletion_timestamp is not None and not pod.terminal:
        # A voluntary eviction (a drain) is deletion by design: waiting while the pod shuts
        # down within its grace period, as any deleted pod (TERMINATING)
        grace = pod.deletion_grace_seconds if pod.deletion_grace_seconds is not None else 30
        wait = Wait(shift(pod.deletion_timestamp, -grace), grace + TERMINATION_SLACK_SECONDS)
    return finding(rule, dt.reason, summaries[rule], detail=dt.message,
                   evidence=status_ev + evs, explains_containers=True, wait=wait, now=now)


def _readable(quantity: str) -> str:
    """The kubelet prints usage in Ki (2311444Ki); people read 2.2Gi."""
    value = parse_quantity(quantity)
    if value is None or not quantity.endswith("Ki"):
        return quantity
    return format_quantity("memory", value)


def _evicted(pod: PodSnapshot, msg: str, status_ev: list[Evidence]) -> Finding:
    """Name what ran out: the node, or a limit of the pod's own (then the node was fine)."""
    e = m.parse_eviction(msg)
    node = pod.node_name or "?"
    hint = None
    if e.kind == "container-limit":
        summary = (f"evicted: container {e.subject} exceeded its own ephemeral-storage limit "
                   f"{e.limit} (the node was not short of disk)")
        hint = (f"Raise resources.limits.ephemeral-storage of container {e.subject} (now "
                f"{e.limit}), or make it write less to its writable layer and logs (put data "
                "on a volume). Delete the Failed pod when done.")
    elif e.kind == "pod-limit":
        summary = (f"evicted: the pod's ephemeral-storage use exceeded the sum of its "
                   f"containers' limits ({e.limit}; the node was not short of disk)")
        hint = ("Raise the containers' resources.limits.ephemeral-storage, or make them write "
                "less to their writable layers, logs and emptyDir volumes.")
    elif e.kind == "emptydir":
        summary = (f"evicted: emptyDir volume {e.subject} exceeded its sizeLimit {e.limit} "
                   "(ephemeral-storage; the node was not short of disk)")
        hint = (f"Raise the sizeLimit of emptyDir volume {e.subject}, or clean up what the pod "
                "writes there.")
    elif e.node_condition and not e.resource:
        summary = f"evicted: node {node} had condition {e.node_condition}"
    else:
        summary = f"evicted: node {node} was low on {e.resource or 'a resource'}"
        if e.containers:
            name, usage, req = e.containers[0]
            summary += f"; container {name} used {_readable(usage)} (request {req})"
    evs = [ev(x) for x in pod.events_with("Evicted")]
    return finding(EVICTED, "Evicted", summary, detail=msg, evidence=status_ev + evs,
                   hint=hint, explains_containers=True)


#: controllers that create a new pod when one of theirs fails (a Job too, within its limits)
REPLACING_CONTROLLERS = frozenset({"ReplicaSet", "StatefulSet", "DaemonSet", "Job",
                                   "ReplicationController"})


def replacement(pod: PodSnapshot, then: str = "") -> str:
    """Who, if anyone, replaces a pod that failed: its controller, the kubelet (a static
    pod), or nobody."""
    if pod.mirror:
        return (f"A static pod: the kubelet on node {pod.node_name or '?'} runs it from its "
                "manifest file; fix the node or the manifest there.")
    if pod.controller is not None and pod.controller[0] in REPLACING_CONTROLLERS:
        kind, name = pod.controller
        return (f"Its controller ({kind} {name}) creates a replacement pod"
                + (f"; {then}" if then else "") + ". Delete the Failed pod when done.")
    return ("This pod has no controller that replaces it: nothing recreates it. Fix the "
            "cause, then delete the pod and create it again.")


#: where each kubelet admission failure is documented
_ADMISSION_DOCS = {
    "UnexpectedAdmissionError": f"{K8S}/concepts/extend-kubernetes/compute-storage-net/"
                                "device-plugins/",
    "TopologyAffinityError": f"{K8S}/tasks/administer-cluster/topology-manager/",
    "SMTAlignmentError": f"{K8S}/tasks/administer-cluster/cpu-management-policies/",
    "NodeAffinity": f"{K8S}/concepts/scheduling-eviction/assign-pod-node/",
    "NodeName": f"{K8S}/concepts/scheduling-eviction/assign-pod-node/#nodename",
    "TaintToleration": f"{K8S}/concepts/scheduling-eviction/taint-and-toleration/",
    "SysctlForbidden": f"{K8S}/tasks/administer-cluster/sysctl-cluster/",
    "AppArmor": f"{K8S}/tutorials/security/apparmor/",
    "InitContainerRestartPolicyForbidden": f"{K8S}/concepts/workloads/pods/sidecar-containers/",
}


def _admission_rejected(pod: PodSnapshot, reason: str, msg: str,
                        status_ev: list[Evidence]) -> Finding:
    text = m.strip_admission_prefix(msg)
    node = pod.node_name or "?"
    if reason in ("UnexpectedAdmissionError", "TopologyAffinityError") or \
            "device" in text.lower():
        cause = (f"a device plugin or the topology manager on node {node} failed to allocate "
                 "what the pod requests; check the device plugin (GPU, SR-IOV, ...) there")
    elif reason.startswith("OutOf"):
        cause = (f"node {node} had no room for its requests when the kubelet admitted it "
                 "(a race with the scheduler, static pods, or allocatable changed)")
    elif reason in ("NodeAffinity", "NodeName"):
        cause = f"node {node}'s labels or name no longer match the pod's node selector/affinity"
    else:
        cause = f"node {node} lacks what the pod spec needs (a feature, a sysctl, a profile)"
    then = replacement(pod, "if the replacement is rejected too, fix the node")
    return finding(ADMISSION_REJECTED, reason,
                   f"rejected by the kubelet on node {node}: {text or reason}",
                   detail=msg, evidence=status_ev + [ev(x) for x in pod.events_with(reason)],
                   hint=f"{cause[0].upper()}{cause[1:]}. {then}",
                   docs=_ADMISSION_DOCS.get(reason, f"{K8S}/concepts/workloads/pods/"
                                                    "pod-lifecycle/#pod-phase"),
                   explains_containers=True)

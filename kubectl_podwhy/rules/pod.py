"""Pod-level checks: termination, terminal reasons, scheduling, node, sandbox, volumes, gates.

Each check is a pure function ``(pod, now) -> [Finding]``; the order they run in is the chain
in :mod:`kubectl_podwhy.rules.chain`.
"""
from __future__ import annotations

import re
from datetime import datetime

from kubectl_podwhy.report import Evidence, Finding
from kubectl_podwhy.rules import messages as m
from kubectl_podwhy.rules.base import (
    Wait,
    damaged_finding,
    describe_cmd,
    ev,
    field,
    finding,
    kubectl,
    newest,
    plural,
    recent,
)
from kubectl_podwhy.rules.catalog import K8S
from kubectl_podwhy.snapshot import (
    Container,
    NodeInfo,
    PodSnapshot,
    Taint,
    format_quantity,
    parse_quantity,
)
from kubectl_podwhy.timeutil import format_time, human_duration, shift

NODE_PROBLEM_TAINTS = frozenset({
    "node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable",
    "node.kubernetes.io/memory-pressure", "node.kubernetes.io/disk-pressure",
    "node.kubernetes.io/pid-pressure", "node.kubernetes.io/network-unavailable",
    "node.kubernetes.io/out-of-service", "node.kubernetes.io/unschedulable",
})


def _readable(quantity: str) -> str:
    """The kubelet prints usage in Ki (2311444Ki); people read 2.2Gi."""
    value = parse_quantity(quantity)
    if value is None or not quantity.endswith("Ki"):
        return quantity
    return format_quantity("memory", value)


def _node_state(node: NodeInfo) -> str:
    ready = node.ready
    if ready is None:
        return "has no Ready condition"
    state = "NotReady" if ready.status == "False" else "Unknown" if ready.status == "Unknown" \
        else ready.status
    text = f"{state}"
    if ready.reason:
        text += f" ({ready.reason})"
    if ready.message:
        text += f": {ready.message}"
    return text


def _node_not_ready(pod: PodSnapshot) -> bool:
    node = pod.node
    if node is not None:
        return node.ready is None or node.ready.status != "True"
    return pod.reason == "NodeLost" or pod.node_lookup == "missing"


#: after its grace period, how long a deleted pod may take to go (the kubelet's kill and
#: final status, finalizers removed by their controllers) before it counts as stuck
TERMINATION_SLACK_SECONDS = 30


# --- 1. object lifecycle --------------------------------------------------------------------

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
    if _node_not_ready(pod):
        where = f"node {pod.node_name}"
        if pod.node is not None:
            where += f" is {_node_state(pod.node)}"
        elif pod.node_lookup == "missing":
            where += " no longer exists"
        else:
            where += " is unreachable (pod reason NodeLost)"
        if pod.finalizers:
            evidence.append(field("metadata.finalizers", ", ".join(pod.finalizers)))
        evidence += [ev(e) for e in pod.events_with("NodeNotReady", "TaintManagerEviction")]
        return [finding(
            "PW102", "Terminating",
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
            "PW104", "Terminating", summary, evidence=evidence, explains_containers=True,
            wait=Wait(shift(pod.deletion_timestamp, -grace),
                      grace + TERMINATION_SLACK_SECONDS), now=now)]
    if pod.finalizers:
        return [finding(
            "PW101", "Terminating",
            f"deleted {deleted_ago} ago; waiting for finalizers: {', '.join(pod.finalizers)}",
            detail="metadata.finalizers: " + ", ".join(pod.finalizers),
            evidence=evidence, explains_containers=True,
            next_command=kubectl("get", "pod", pod.name, "-n", pod.namespace,
                                 "-o", "jsonpath={.metadata.finalizers}"))]
    evidence += [ev(e) for e in kill_events if e.type == "Warning"]
    failures = [e for e in kill_events if e.reason != "Killing"]
    why = f"; {failures[-1].reason}: {failures[-1].message}" if failures else ""
    return [finding(
        "PW103", "Terminating",
        f"deleted {deleted_ago} ago, {human_duration(overdue)} past its {grace}s grace period{why}",
        detail="\n".join(e.message for e in failures), evidence=evidence,
        explains_containers=True, next_command=describe_cmd(pod))]


# --- 2. terminal pod reasons ------------------------------------------------------------------

_DISRUPTION_RULES = {
    "PreemptionByScheduler": "PW111",
    "DeletionByTaintManager": "PW112",
    "DeletionByDeviceTaintManager": "PW112",  # DRA: a device the pod uses got a NoExecute taint
    "DeletionByPodGC": "PW113",
    "EvictionByEvictionAPI": "PW114",
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
        # The kubelet is stopping the pod (node-pressure eviction, node shutdown, kubelet
        # preemption: KEP-3329) and its phase goes to Failed next: say why, now.
        low = dt.message.lower()
        if "shutdown" in low:
            return [finding("PW115", "TerminationByKubelet",
                            f"being stopped by the shutdown of node {pod.node_name or '?'} "
                            f"({dt.message.strip()})", detail=dt.message,
                            evidence=status_ev, explains_containers=True,
                            hint="The node is shutting down (a reboot, spot reclaim, "
                                 "maintenance). " + replacement(pod))]
        if m.parse_eviction(dt.message).kind != "unknown":
            return [_evicted(pod, dt.message, status_ev)]
        return [finding("PW118", "TerminationByKubelet",
                        f"being stopped by the kubelet on node {pod.node_name or '?'}: "
                        f"{dt.message.strip()}", detail=dt.message, evidence=status_ev,
                        explains_containers=True)]
    if reason == "Preempting" or (dt is not None and dt.status == "True"
                                  and dt.reason == "PreemptionByScheduler"):
        evs = [ev(x) for x in pod.events_with("Preempted", "Preempting")]
        by = newest(pod.events_with("Preempted"))
        summary = "preempted to make room for a higher-priority pod"
        if by is not None:
            summary += f" ({by.message})"
        return [finding("PW111", reason if reason == "Preempting" else "PreemptionByScheduler",
                        summary, detail=msg or (dt.message if dt else ""),
                        evidence=status_ev + evs, explains_containers=True)]
    if reason in SHUTDOWN_REASONS:
        return [finding("PW115", reason,
                        f"stopped by the shutdown of node {pod.node_name or '?'} "
                        "(exit codes 137/143 here are not OOM)",
                        detail=msg, evidence=status_ev, explains_containers=True,
                        hint="The node shut down (a reboot, spot reclaim, maintenance). "
                             + replacement(pod))]
    if reason == "DeadlineExceeded":
        evs = [ev(x) for x in pod.events_with("DeadlineExceeded")]
        limit = (f" ({pod.active_deadline_seconds}s)" if pod.active_deadline_seconds else "")
        return [finding("PW116", reason,
                        f"killed after running longer than spec.activeDeadlineSeconds{limit}",
                        detail=msg, evidence=status_ev + evs, explains_containers=True)]
    if reason and m.is_admission_reason(reason):
        return [_admission_rejected(pod, reason, msg, status_ev)]
    if dt is not None and dt.status == "True" and dt.reason in _DISRUPTION_RULES:
        rid = _DISRUPTION_RULES[dt.reason]
        summaries = {
            "PW112": (f"deleted by the device taint manager: a device the pod uses has a "
                      f"NoExecute taint ({dt.message})"
                      if dt.reason == "DeletionByDeviceTaintManager"
                      else f"deleted by the taint manager: node {pod.node_name or '?'} has a "
                      "NoExecute taint the pod does not tolerate"),
            "PW113": "removed by pod garbage collection"
                     + (f" ({dt.message})" if dt.message else ""),
            "PW114": "evicted through the Eviction API (drain, descheduler, autoscaler or VPA)",
        }
        evs = [ev(x) for x in pod.events_with("TaintManagerEviction", "NodeControllerEviction",
                                              "Killing")]
        wait = None
        if rid == "PW114" and pod.deletion_timestamp is not None and not pod.terminal:
            # A voluntary eviction (a drain) is deletion by design: waiting while the pod
            # shuts down within its grace period, as any deleted pod (PW104)
            grace = pod.deletion_grace_seconds if pod.deletion_grace_seconds is not None else 30
            wait = Wait(shift(pod.deletion_timestamp, -grace),
                        grace + TERMINATION_SLACK_SECONDS)
        return [finding(rid, dt.reason, summaries[rid], detail=dt.message,
                        evidence=status_ev + evs, explains_containers=True, wait=wait,
                        now=now)]
    if pod.phase == "Failed" and reason and reason != "NodeLost":
        return [finding("PW118", reason, f"pod failed: {reason}" + (f": {msg}" if msg else ""),
                        detail=msg, evidence=status_ev, explains_containers=True)]
    return []


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
    return finding("PW110", "Evicted", summary, detail=msg, evidence=status_ev + evs,
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
    return finding("PW117", reason,
                   f"rejected by the kubelet on node {node}: {text or reason}",
                   detail=msg, evidence=status_ev + [ev(x) for x in pod.events_with(reason)],
                   hint=f"{cause[0].upper()}{cause[1:]}. {then}",
                   docs=_ADMISSION_DOCS.get(reason, f"{K8S}/concepts/workloads/pods/"
                                                    "pod-lifecycle/#pod-phase"),
                   explains_containers=True)


# --- 3. scheduling --------------------------------------------------------------------------

_BUCKET_RULES = {"resources": "PW121", "taints": "PW122", "affinity": "PW123",
                 "host-ports": "PW124", "topology": "PW125", "volumes": "PW126",
                 "cordoned": "PW127", "other": "PW128", "none": "PW128"}


def _clause_text(c: m.Clause, total: int | None) -> str:
    if total is not None and c.count and c.count <= total:
        return f"{c.text} ({plural(c.count, 'node')})"
    return c.text


#: how long a pod may wait for its first scheduling attempt: the scheduler normally tries a
#: new pod within milliseconds; its queue may lag on big clusters (kube-scheduler has no event
#: for "not tried yet"), a second scheduler may be slower to start
SCHEDULER_PICKUP_SECONDS = {"default-scheduler": 120}
OTHER_SCHEDULER_PICKUP_SECONDS = 60
#: scheduling gates are removed by their controller (Kueue admits queued workloads)
GATED_SECONDS = 300
#: preemption victims get their grace period (30 s by default) to leave
PREEMPTION_SECONDS = 300
#: the cluster autoscaler's default max-node-provision-time is 15 minutes
SCALE_UP_SECONDS = 900


def _node_allowed(pod: PodSnapshot, node: NodeInfo) -> bool:
    """The NodeAffinity filter: nodeSelector and required node affinity (scheduler's
    nodeaffinity plugin; an empty nodeSelectorTerm matches no node)."""
    if any(node.labels.get(k) != v for k, v in pod.node_selector.items()):
        return False
    if not pod.node_affinity:
        return True
    return any(term and all(_requirement_ok(r, node) for r in term)
               for term in pod.node_affinity)


def _requirement_ok(req: tuple[str, str, tuple[str, ...], bool], node: NodeInfo) -> bool:
    key, op, values, is_field = req
    if is_field:
        value: str | None = node.name if key == "metadata.name" else None
    else:
        value = node.labels.get(key)
    if op == "In":
        return value is not None and value in values
    if op == "NotIn":
        return value is None or value not in values
    if op == "Exists":
        return value is not None
    if op == "DoesNotExist":
        return value is None
    if op in ("Gt", "Lt") and value is not None and len(values) == 1:
        try:
            a, b = int(value), int(values[0])
        except ValueError:
            return False
        return a > b if op == "Gt" else a < b
    return False


_UNSCHEDULABLE_TAINT = Taint("node.kubernetes.io/unschedulable", "", "NoSchedule")


def _untolerated(pod: PodSnapshot, node: NodeInfo) -> list[Taint]:
    return [t for t in node.taints if t.effect in ("NoSchedule", "NoExecute")
            and not any(tol.tolerates(t) for tol in pod.tolerations)]


def _cordoned(pod: PodSnapshot, node: NodeInfo) -> bool:
    return node.unschedulable and not any(tol.tolerates(_UNSCHEDULABLE_TAINT)
                                          for tol in pod.tolerations)


def _names(nodes: list[NodeInfo], limit: int = 5) -> str:
    shown = ", ".join(n.name for n in nodes[:limit])
    return shown + (f", ... ({len(nodes) - limit} more)" if len(nodes) > limit else "")


def _wants(pod: PodSnapshot) -> str:
    parts = [f"{k}={v}" for k, v in sorted(pod.node_selector.items())]
    return ", ".join(parts + list(pod.affinity_terms))


def _candidates(pod: PodSnapshot, fit: m.FitError) -> tuple[str, str, list[Evidence],
                                                             str] | None:
    """Read the nodes as the scheduler's filters do (NodeUnschedulable, TaintToleration,
    NodeAffinity, then the rest: pkg/scheduler/apis/config/v1/default_plugins.go): the
    selector and affinity first narrow the nodes the pod may run on; name what blocks those.

    Returns (bucket, summary, evidence, hint), or None when the nodes are not all known or
    the nodes it may run on are blocked by something the nodes do not show (resources,
    ports, topology, volumes: the message says which).
    """
    nodes = sorted(pod.all_nodes.values(), key=lambda n: n.name)
    complete = pod.nodes_complete or (fit.total_nodes is not None
                                      and len(nodes) >= fit.total_nodes > 0)
    if not nodes or not complete:
        return None
    wants = _wants(pod)
    allowed = [n for n in nodes if _node_allowed(pod, n)]
    if wants and not allowed:
        return ("affinity", f"no node matches what the pod requires ({wants}): "
                f"0 of {plural(len(nodes), 'node')}", [],
                f"Fix the pod's nodeSelector/affinity ({wants}) or label nodes to match.")
    # by name (unique per node): membership in a set, linear in the nodes
    cordoned = [n for n in allowed if _cordoned(pod, n)]
    blocked = {n.name for n in cordoned}
    tainted = [n for n in allowed if n.name not in blocked and _untolerated(pod, n)]
    blocked |= {n.name for n in tainted}
    free = [n for n in allowed if n.name not in blocked]
    if free or not (cordoned or tainted):
        return None
    which = (f"the {plural(len(allowed), 'node')} its node selector/affinity allows "
             f"({wants}: {_names(allowed)})" if wants
             else f"all {plural(len(allowed), 'node')}")
    evidence = [field(f"node/{n.name}.spec.unschedulable", "true") for n in cordoned[:3]]
    evidence += [field(f"node/{n.name}.spec.taints", ", ".join(
        f"{t.key}={t.value}:{t.effect}" if t.value else f"{t.key}:{t.effect}"
        for t in _untolerated(pod, n))) for n in tainted[:3]]
    if cordoned and not tainted:
        verb = "is" if len(cordoned) == 1 else "are"
        return ("cordoned", f"{which} {verb} cordoned", evidence,
                f"Uncordon {'it' if len(cordoned) == 1 else 'them'} "
                f"({kubectl('uncordon', *(n.name for n in cordoned[:3]))}) or add "
                "schedulable nodes" + (f" that match {wants}" if wants else "") + ".")
    keys = sorted({t.key for n in tainted for t in _untolerated(pod, n)})
    if not cordoned:
        text = (f"{which} {'has a taint' if len(tainted) == 1 else 'have taints'} it does not "
                f"tolerate ({', '.join(keys)})")
    else:
        text = (f"{which}: {plural(len(tainted), 'node')} with taints it does not tolerate "
                f"({', '.join(keys)}), {plural(len(cordoned), 'node')} cordoned "
                f"({_names(cordoned)})")
    hint = ("The taint comes from the node lifecycle (not-ready, unreachable or pressure): fix "
            "the nodes rather than adding tolerations." if any(k in NODE_PROBLEM_TAINTS
                                                               for k in keys)
            else "Add a toleration for the taint, or run it on nodes without the taint.")
    return ("taints", text, evidence, hint)


#: the scheduler's filters reject a node at the first that fails, in this order
#: (NodeUnschedulable, TaintToleration, then NodeAffinity): nodes counted as cordoned or
#: tainted were never checked against the pod's node selector, nodes counted under a later
#: filter (ports, resources, volumes, topology) passed it.
_BEFORE_AFFINITY = ("cordoned", "taints")


def _blocker(fit: m.FitError, pod: PodSnapshot) -> m.Clause | None:
    """What blocks the nodes the pod may run on, read as an expert reads the message: the
    node selector and affinity are the pod's intent and narrow the candidates first."""
    if not fit.clauses:
        return None
    def rank(c: m.Clause) -> tuple[int, int]:
        return (-c.count, m.BUCKET_ORDER.index(c.bucket))
    later = sorted((c for c in fit.clauses if c.bucket not in ("affinity", *_BEFORE_AFFINITY)),
                   key=rank)
    if later:
        return later[0]  # these nodes passed the selector: they are the candidates
    # A pod with a node selector is not meant for control-plane nodes, unless it asks for them
    wants_role = any(k in _ROLE_TAINTS for k in pod.node_selector) or any(
        r[0] in _ROLE_TAINTS for term in pod.node_affinity for r in term)
    early = sorted((c for c in fit.clauses if c.bucket in _BEFORE_AFFINITY
                    and not (fit.by_bucket("affinity") and _role_taint_only(c)
                             and not wants_role)), key=rank)
    return early[0] if early else sorted(fit.clauses, key=rank)[0]


#: taints that mark control-plane nodes: a pod with a node selector is not meant for them
_ROLE_TAINTS = frozenset({"node-role.kubernetes.io/control-plane",
                          "node-role.kubernetes.io/master"})


def _role_taint_only(c: m.Clause) -> bool:
    keys = m.taint_keys(c.text)
    return c.bucket == "taints" and bool(keys) and all(k in _ROLE_TAINTS for k in keys)


def _unschedulable(pod: PodSnapshot, now: datetime, message: str,
                   evidence: list[Evidence]) -> Finding:
    fit = m.parse_fit_error(message)
    dom = _blocker(fit, pod)
    bucket = dom.bucket if dom else "other"
    hint = None
    head = f"0/{fit.total_nodes} nodes can run it: " if fit.total_nodes is not None else ""
    read = _candidates(pod, fit) if dom is not None else None
    if fit.total_nodes == 0 or (dom is None and read is None):
        summary = "no nodes are available to schedule pods"
        bucket = "none"
    elif read is not None:
        bucket, text, node_ev, hint = read
        summary = head + text
        evidence = evidence + node_ev
        summary += "; the scheduler said: " + ", ".join(
            _clause_text(c, fit.total_nodes) for c in fit.clauses)
    else:
        assert dom is not None
        summary = head + _clause_text(dom, fit.total_nodes)
        if bucket == "resources":
            wanted = sorted({r for r in (m.insufficient_resource(c.text)
                                         for c in fit.by_bucket("resources")) if r})
            asks = [f"{r} {pod.requests[r]}" for r in wanted if r in pod.requests]
            if asks:
                summary += f"; the pod requests {', '.join(asks)}"
        elif bucket == "taints":
            keys = [k for c in fit.by_bucket("taints") for k in m.taint_keys(c.text)]
            if any(k in NODE_PROBLEM_TAINTS for k in keys):
                hint = ("The taint comes from the node lifecycle (not-ready, unreachable or "
                        "pressure): fix the nodes rather than adding tolerations.")
        elif bucket == "affinity" and _wants(pod):
            summary += f"; the pod requires {_wants(pod)}"
        affinity = fit.by_bucket("affinity")
        if bucket in _BEFORE_AFFINITY and affinity:
            # The selector ruled out the schedulable nodes; the cordoned or tainted ones were
            # never checked against it: a matching node may be among them, or none exists.
            what = "cordoned" if bucket == "cordoned" else "tainted"
            sel = f" ({_wants(pod)})" if _wants(pod) else ""
            summary += (f"; its node selector/affinity{sel} rules out the other "
                        f"{plural(sum(c.count for c in affinity), 'node')}, and the "
                        f"scheduler does not check it on {what} nodes")
            hint = (f"If a {what} node matches the pod's node selector/affinity{sel}, "
                    + ("uncordon it" if what == "cordoned" else "tolerate or remove its taint")
                    + "; if none should, fix the selector or label a node to match.")
        elif bucket == "host-ports" and pod.host_ports:
            ports = ", ".join(str(x) for x in pod.host_ports)
            summary += f"; the pod asks for hostPort {ports}"
        elif bucket == "volumes":
            extra = []
            for claim in pod.claims:
                pvc = pod.pvcs.get(claim)
                if claim in pod.missing_claims:
                    extra.append(f"PVC {claim} does not exist")
                elif pvc is not None and pvc.phase != "Bound":
                    sc = f", storageClass {pvc.storage_class}" if pvc.storage_class else \
                        ", no storageClass"
                    extra.append(f"PVC {claim} is {pvc.phase or 'not bound'}{sc}")
            if not extra and pod.claims:
                extra.append("the pod uses PVC " + ", ".join(pod.claims))
            if extra:
                summary += "; " + "; ".join(extra)
        others = [c for c in fit.clauses if c is not dom
                  and not (bucket in _BEFORE_AFFINITY and c.bucket == "affinity")]
        if others:
            summary += "; also: " + ", ".join(_clause_text(c, fit.total_nodes) for c in others)
    rid = _BUCKET_RULES.get(bucket, "PW128")
    wait = None
    scale_ups = [e for e in pod.events_with("TriggeredScaleUp") if recent(e, now)]
    if scale_ups:
        # A node is on its way: the pod may schedule once it joins (trap 7 of the catalog).
        wait = Wait(scale_ups[0].first_seen or scale_ups[0].last_seen, SCALE_UP_SECONDS)
        summary += (f" (the cluster autoscaler triggered a scale-up "
                    f"{wait.how_long(now)} ago)")
        evidence = evidence + [ev(e) for e in scale_ups[-1:]]
    return finding(rid, "Unschedulable", summary, detail=message, evidence=evidence, hint=hint,
                   wait=wait, now=now,
                   next_command=kubectl("get", "nodes", "-o", "wide") if bucket != "volumes"
                   else kubectl("get", "pvc", "-n", pod.namespace))


def check_scheduling(pod: PodSnapshot, now: datetime) -> list[Finding]:
    if pod.node_name or pod.terminal or pod.deletion_timestamp is not None:
        return []
    cond = pod.condition("PodScheduled")
    if pod.scheduling_gates or (cond is not None and cond.reason == "SchedulingGated"):
        gates = ", ".join(pod.scheduling_gates) or "(gates already removed)"
        gate_ev = [field("spec.schedulingGates", gates)]
        if cond is not None:
            gate_ev.append(field("status.conditions[PodScheduled]",
                                 f"{cond.reason}: {cond.message}"))
        wait = Wait(pod.created, GATED_SECONDS)
        owner = "them" if len(pod.scheduling_gates) > 1 else "it"
        summary = wait.says(
            now, stuck=f"scheduling has been gated by {gates} {wait.for_how_long(now)}: the "
                       f"controller owning {owner} must remove it",
            waiting=f"waiting {wait.for_how_long(now)} for scheduling gate {gates} to be "
                    f"removed by the controller owning {owner} (stuck after {wait.budget()})")
        return [finding("PW120", "SchedulingGated", summary, evidence=gate_ev, wait=wait,
                        now=now)]
    fs_events = pod.events_with("FailedScheduling")
    last_fs = newest(fs_events)
    evidence: list[Evidence] = []
    if cond is not None and cond.status == "False":
        evidence.append(field("status.conditions[PodScheduled]",
                              f"{cond.reason}: {cond.message}".strip(": ")))
    if last_fs is not None:
        evidence.append(ev(last_fs))
    if pod.nominated_node:
        evidence.insert(0, field("status.nominatedNodeName", pod.nominated_node))
        wait = Wait((cond.last_transition if cond is not None else None) or pod.created,
                    PREEMPTION_SECONDS)
        verb = wait.says(now, stuck="has waited", waiting="waiting")
        return [finding("PW131", "Pending",
                        f"nominated to node {pod.nominated_node}; {verb} "
                        f"{wait.for_how_long(now)} for lower-priority pods there to be "
                        "preempted", evidence=evidence, wait=wait, now=now,
                        detail=cond.message if cond else "")]
    if cond is not None and cond.status == "False" and cond.reason == "SchedulerError":
        return [finding("PW129", "SchedulerError", f"the scheduler failed: {cond.message}",
                        detail=cond.message, evidence=evidence)]
    if cond is not None and cond.status == "False" and cond.reason == "Unschedulable":
        message = cond.message or (m.strip_combined(last_fs.message) if last_fs else "")
        return [_unschedulable(pod, now, message, evidence)]
    if last_fs is not None and recent(last_fs, now):
        text = m.strip_combined(last_fs.message)
        if "nodes are available" in text or "no nodes available" in text:
            return [_unschedulable(pod, now, text, evidence)]
        return [finding("PW129", "SchedulerError", f"the scheduler failed: {text}",
                        detail=text, evidence=evidence)]
    # Pending, nobody has tried to schedule it yet: a scheduler picks new pods up at once.
    wait = Wait(pod.created, SCHEDULER_PICKUP_SECONDS.get(pod.scheduler_name,
                                                          OTHER_SCHEDULER_PICKUP_SECONDS))
    who = f"schedulerName {pod.scheduler_name}"
    summary = wait.says(
        now, stuck=f"pending {wait.for_how_long(now)} with no scheduling attempt: is the "
                   f"scheduler {pod.scheduler_name!r} running?",
        waiting=f"waiting {wait.for_how_long(now)} for the scheduler {pod.scheduler_name!r} "
                f"to place it (no attempt yet; stuck after {wait.budget()})")
    return [finding("PW130", "Pending", summary, evidence=[field("spec.schedulerName", who)],
                    wait=wait, now=now)]


# --- 4. node health ---------------------------------------------------------------------------

def check_node(pod: PodSnapshot, now: datetime) -> list[Finding]:
    if not pod.node_name or pod.terminal or pod.deletion_timestamp is not None:
        return []
    if pod.node_lookup == "missing":
        return [finding("PW141", "NodeNotFound",
                        f"its node {pod.node_name} no longer exists",
                        evidence=[field("spec.nodeName", pod.node_name)],
                        explains_containers=True)]
    node_events = [e for e in pod.events_with("NodeNotReady") if recent(e, now)]
    if pod.node is not None:
        node = pod.node
        ready = node.ready
        if ready is not None and ready.status == "True":
            return []
        evidence = [field(f"node/{node.name}.status.conditions[Ready]",
                          _node_state(node))]
        taints = [t for t in node.taints if t.key in NODE_PROBLEM_TAINTS]
        if taints:
            evidence.append(field(f"node/{node.name}.spec.taints",
                                  ", ".join(f"{t.key}:{t.effect}" for t in taints)))
        evidence += [ev(e) for e in node_events]
        return [finding("PW140", "NodeNotReady",
                        f"node {node.name} is {_node_state(node)}",
                        detail=ready.message if ready else "", evidence=evidence,
                        explains_containers=True,
                        next_command=kubectl("describe", "node", node.name))]
    ready_cond = pod.condition("Ready")
    # The node lifecycle controller marks the pod not ready and records NodeNotReady at the
    # same moment (MarkPodsNotReady): an event older than the pod's last Ready transition is
    # about an earlier outage, not about why it is not ready now.
    if ready_cond is not None and ready_cond.last_transition is not None:
        node_events = [e for e in node_events if e.last_seen is None
                       or (e.last_seen - ready_cond.last_transition).total_seconds() >= -60]
    if pod.reason == "NodeLost" or (node_events and ready_cond is not None
                                    and ready_cond.status != "True"):
        evidence = [ev(e) for e in node_events]
        if pod.reason == "NodeLost":
            evidence.insert(0, field("status.reason", f"NodeLost: {pod.message}"))
        return [finding("PW140", "NodeNotReady",
                        f"node {pod.node_name} is not ready (the node lifecycle controller "
                        "marked the pod not ready)",
                        detail=pod.message, evidence=evidence, explains_containers=True,
                        next_command=kubectl("describe", "node", pod.node_name))]
    return []


# --- 5. sandbox and volumes -------------------------------------------------------------------

#: the waiting reasons of containers behind the pod's set-up (or an init container)
SETUP_REASONS = frozenset({"ContainerCreating", "PodInitializing", ""})


def not_started(pod: PodSnapshot) -> bool:
    """True while the pod's containers wait for the pod-level setup (sandbox, volumes)."""
    if not pod.node_name or pod.terminal or pod.deletion_timestamp is not None:
        return False
    regular = pod.of_type("init", "sidecar", "app")
    # A container waiting for a reason of its own (an image pull, its config) means the
    # kubelet got past the pod's set-up: that container is the cause, not the pod.
    if any(c.state.kind == "waiting" and c.state.reason not in SETUP_REASONS
           for c in regular):
        return False
    prtsc = pod.condition("PodReadyToStartContainers")
    if prtsc is not None and prtsc.status == "False":
        return True
    # The kubelet pulls images after it mounted the volumes and made the sandbox (SyncPod):
    # with a Pulling event on record, what remains is the containers' own.
    if pod.events_with("Pulling"):
        return False
    if not any(c.has_status for c in regular):
        return True
    if any(c.state.kind in ("running", "terminated") or c.last_state.kind == "terminated"
           for c in regular):
        return False
    return any(c.state.kind == "waiting" and c.state.reason in SETUP_REASONS
               for c in regular)


#: how long the kubelet may take to set a scheduled pod up (sandbox, volumes, DRA claims,
#: image pulls: containers wait in ContainerCreating meanwhile) before podwhy calls it stuck
POD_SETUP_SECONDS = 600


def check_pod_setup(pod: PodSnapshot, now: datetime) -> list[Finding]:
    """Bound to a node, containers not started: the sandbox, DRA claims and volumes first
    (their events name the cause); without a failure on record, the pod waits for the
    kubelet until POD_SETUP_SECONDS, then it is stuck."""
    if not not_started(pod):
        return []
    prtsc = pod.condition("PodReadyToStartContainers")
    if prtsc is not None and prtsc.status == "True":
        # The sandbox exists, and the kubelet mounts volumes and prepares DRA claims before it
        # creates the sandbox (kubelet.go SyncPod, kuberuntime_manager.go SyncPod): their
        # failure events are history; the containers are being created.
        found = []
    else:
        found = _sandbox(pod) + _dynamic_resources(pod, now) + _volumes(pod)
    return found or [_not_started(pod, now)]


def _sandbox(pod: PodSnapshot) -> list[Finding]:
    net = pod.events_with("NetworkNotReady")
    if net:
        e = net[-1]
        return [finding("PW151", "NetworkNotReady",
                        f"the network plugin on node {pod.node_name} is not ready",
                        detail=e.message, evidence=[ev(e)],
                        next_command=kubectl("get", "pods", "-A", "-o", "wide", "--field-selector",
                                             f"spec.nodeName={pod.node_name}"))]
    sb = pod.events_with("FailedCreatePodSandBox")
    if not sb:
        return []
    e = sb[-1]
    text = m.strip_combined(e.message)
    low = text.lower()
    hint = None
    if "oom-killed" in low or "oom killed" in low or "out of memory" in low:
        # runc's "container init was OOM-killed (memory limit too low?)": the cgroup limit
        # is too small for the runtime to even start the pod's processes.
        limited = sorted((c for c in pod.of_type("init", "sidecar", "app") if c.memory_limit),
                         key=lambda c: parse_quantity(c.memory_limit or "") or 0.0)
        if limited:
            c = limited[0]
            why = (f"the runtime's init process was OOM-killed: memory limit "
                   f"{c.memory_limit} of {_where_c(c)} is too low to start it")
            hint = (f"Raise resources.limits.memory of {_where_c(c)} (now {c.memory_limit}): "
                    "the runtime needs several MiB just to start a container.")
        else:
            why = "the runtime's init process was OOM-killed (a memory limit is too low)"
            hint = "Raise the pod's memory limits (or the LimitRange default that sets them)."
    elif "no ip addresses available" in low or ("ipam" in low and "exhaust" in low):
        why = "the CNI plugin has no IP addresses left (IPAM exhausted)"
    elif "runtimehandler" in low or "runtime handler" in low or "no runtime for" in low:
        why = "the RuntimeClass handler is not configured on the node"
    elif "sandbox image" in low or ("pause" in low and "pull" in low):
        why = "the node cannot pull the pause (sandbox) image"
    elif "failed to find plugin" in low or ("cni" in low and "not initialized" in low):
        why = "a CNI plugin binary or config is missing on the node"
    else:
        plugin = re.search(r'plugin type="([^"]+)"', text)
        why = (f"the CNI plugin {plugin.group(1)} failed" if plugin
               else "the container runtime could not create it")
    return [finding("PW150", "FailedCreatePodSandBox",
                    f"cannot create the pod sandbox on node {pod.node_name}: {why}",
                    detail=text, evidence=[ev(x) for x in sb[-2:]], hint=hint)]


def _where_c(c: Container) -> str:
    return {"init": "init container", "sidecar": "sidecar"}.get(c.type, "container") + \
        f" {c.name}"


_DRA_DRIVER = re.compile(r"(?:DRA driver|for driver|plugin name|driver) \"?([\w.-]+\.[\w.-]+)")
_DRA_CLAIM = re.compile(r"(?:ResourceClaim|resource claim|for claim|claim) \"?"
                        r"([\w.-]+/)?([\w.-]+)")


def _dynamic_resources(pod: PodSnapshot, now: datetime) -> list[Finding]:
    """FailedPrepareDynamicResources (KEP-4381 DRA): the kubelet could not prepare a
    ResourceClaim through its driver (pkg/kubelet/cm/dra/manager.go)."""
    evs = [e for e in pod.events_with("FailedPrepareDynamicResources") if recent(e, now)]
    if not evs:
        return []
    e = evs[-1]
    text = m.strip_combined(e.message)
    driver = _DRA_DRIVER.search(text)
    claim_m = _DRA_CLAIM.search(text)
    claim = claim_m.group(2) if claim_m else None
    if claim is None and len(pod.resource_claims) == 1:
        ref, name = next(iter(pod.resource_claims.items()))
        claim = name or ref
    what = f"ResourceClaim {claim}" if claim else "its ResourceClaims"
    if driver and ("not registered" in text or "not found in the list" in text):
        why = (f"DRA driver {driver.group(1)} is not registered on node {pod.node_name} "
               "(its kubelet plugin is not running there)")
        hint = (f"Start (or fix) the kubelet plugin of DRA driver {driver.group(1)} on node "
                f"{pod.node_name}: its DaemonSet pod there must be running.")
    else:
        why = text.removeprefix("Failed to prepare dynamic resources: ")[:200]
        hint = None
    claims = ", ".join(f"{ref} -> {name or '?'}" for ref, name in
                       sorted(pod.resource_claims.items()))
    evidence = [ev(e)]
    if claims:
        evidence.append(field("status.resourceClaimStatuses", claims))
    return [finding("PW152", "FailedPrepareDynamicResources",
                    f"the kubelet cannot prepare {what} (dynamic resource allocation) for "
                    f"the pod: {why}", detail=text, evidence=evidence, hint=hint,
                    next_command=kubectl("get", "resourceclaims", "-n", pod.namespace))]


def _volumes(pod: PodSnapshot) -> list[Finding]:
    attach = pod.events_with("FailedAttachVolume")
    multi = [e for e in attach if "Multi-Attach" in e.message]
    if multi:
        e = multi[-1]
        vol = re.search(r'volume "([^"]+)"', e.message)
        users = re.search(r"used by pod\(s\) (.+)$", e.message)
        summary = f"volume {vol.group(1) if vol else '?'} is still attached to another node"
        if users:
            summary += f" (used by pod(s) {users.group(1).strip()})"
        return [finding("PW162", "FailedAttachVolume", summary, detail=e.message,
                        evidence=[ev(e)])]
    if attach:
        e = attach[-1]
        vol = re.search(r'volume "([^"]+)"', e.message)
        return [finding("PW161", "FailedAttachVolume",
                        f"cannot attach volume {vol.group(1) if vol else '?'} to node "
                        f"{pod.node_name}", detail=e.message, evidence=[ev(e)])]
    mounts = pod.events_with("FailedMount", "FailedMapVolume")
    if not mounts:
        return []
    parsed = [(e, m.parse_mount(e.message)) for e in mounts]
    specific = [(e, p) for e, p in parsed if p.specific]
    e, p = (specific or parsed)[-1]
    if p.kind in ("configmap", "secret", "persistentvolumeclaim"):
        summary = (f"volume {p.volume or '?'} cannot mount: {p.kind} {p.object} not found in "
                   f"namespace {pod.namespace}")
        hint = (f"Create the {p.kind} {p.object} in namespace {pod.namespace}, fix the name in "
                f"the pod spec, or mark the volume optional: true.")
    elif p.kind == "key":
        summary = f"volume {p.volume or '?'} cannot mount: key {p.object} is missing"
        hint = f"Add the key {p.object} or fix the items list of volume {p.volume}."
    elif p.kind == "timeout":
        summary = (f"volume {p.volume or '?'} is not mounted yet (timed out); no more specific "
                   "error is on record")
        hint = None
    else:
        summary = f"volume {p.volume or '?'} cannot mount: " + m.strip_combined(e.message)[:160]
        hint = None
    evidence = [ev(e)] + [ev(x) for x, _ in parsed if x is not e][-1:]
    return [finding("PW160", e.reason, summary, detail=m.strip_combined(e.message),
                    evidence=evidence, hint=hint, next_command=describe_cmd(pod))]


def _setup_since(pod: PodSnapshot) -> datetime | None:
    """Since when the kubelet has been setting the pod up: it was scheduled, or its sandbox
    was lost (PodReadyToStartContainers went False: a node reboot recreates it)."""
    cond = pod.condition("PodScheduled")
    when = cond.last_transition if cond is not None and cond.status == "True" else None
    since = when or pod.start_time or pod.created
    prtsc = pod.condition("PodReadyToStartContainers")
    lost = prtsc.last_transition if prtsc is not None and prtsc.status == "False" else None
    return max(since, lost) if since is not None and lost is not None else since or lost


def _not_started(pod: PodSnapshot, now: datetime) -> Finding:
    """No failure on record, containers not started: the kubelet is still at it, or stuck
    without a trace (a hung CSI driver, CNI plugin or runtime leaves no event; events expire
    after about an hour)."""
    node = pod.node_name
    wait = Wait(_setup_since(pod), POD_SETUP_SECONDS)
    regular = pod.of_type("init", "sidecar", "app")
    waiting = sorted({c.state.reason for c in regular if c.state.kind == "waiting"
                      and c.state.reason})
    reason = waiting[0] if len(waiting) == 1 else "ContainerCreating"
    prtsc = pod.condition("PodReadyToStartContainers")
    evidence: list[Evidence] = []
    if prtsc is not None and prtsc.status == "False":
        what = "the pod sandbox is not ready (PodReadyToStartContainers False)"
        evidence.append(field("status.conditions[PodReadyToStartContainers]", "False"))
    elif waiting:
        what = f"its containers are {'/'.join(waiting)}"
    else:
        what = "no container has a status yet"
    for c in regular:
        if c.state.kind == "waiting":
            evidence.append(field(f"{c.status_path}.state.waiting", c.state.reason or "-"))
            break
    summary = wait.says(
        now, stuck=f"stuck: its containers have not started on node {node} "
                   f"{wait.for_how_long(now)}: {what}, and no error event is on record "
                   "(events expire after about 1h); look at the kubelet and the container "
                   f"runtime on node {node}",
        waiting=f"waiting {wait.for_how_long(now)} for the kubelet on node {node} to set the "
                f"pod up (sandbox, volumes, image pulls): {what}; not started yet, stuck "
                f"after {wait.budget()}")
    return finding("PW153", reason, summary, evidence=evidence, wait=wait, now=now,
                   next_command=kubectl("describe", "node", node))


# --- 9. readiness gates -----------------------------------------------------------------------

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
    return [finding("PW170", "ReadinessGatesNotReady",
                    f"{head} {wait.for_how_long(now)} after its containers became ready: "
                    + "; ".join(pending),
                    detail=ready.message, wait=wait, now=now,
                    evidence=[field("status.conditions[Ready]",
                                    f"{ready.reason}: {ready.message}")])]


# --- 0. a status podwhy can read; and what no other rule explains ----------------------------

def check_status(pod: PodSnapshot, now: datetime) -> list[Finding]:
    """A status that is null, malformed or impossible cannot be diagnosed, and is never
    called healthy."""
    if not pod.unreadable:
        return []
    return [finding("PW190", "StatusUnreadable",
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
    return [damaged_finding("PW190", "the pod object", pod.damaged,
                            kubectl("get", "pod", pod.name, "-n", pod.namespace, "-o", "yaml"))]


#: a pod that is not ready for no reason podwhy can name
NOT_READY_SECONDS = 300


def check_unexplained(pod: PodSnapshot, now: datetime) -> list[Finding]:
    """The last word for a pod that is not healthy and that no rule explained: say what the
    status shows, never "healthy". The engine calls it only then."""
    if pod.phase == "Failed":
        reason = pod.reason or "Failed"
        return [finding("PW118", reason,
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
    return [finding("PW191", ready.reason if ready is not None and ready.reason else "NotReady",
                    f"{head} {wait.for_how_long(now)} (phase {pod.phase}; {shown}); no "
                    "container or condition explains it", wait=wait, now=now,
                    evidence=[field("status.conditions[Ready]", shown)],
                    next_command=describe_cmd(pod))]

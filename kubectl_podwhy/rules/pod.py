"""Pod-level checks: termination, terminal reasons, scheduling, node, sandbox, volumes, gates.

Each check is a pure function ``(pod, now) -> [Finding]``; the order they run in is the chain
in :mod:`kubectl_podwhy.rules.chain`.
"""
from __future__ import annotations

import re
from datetime import datetime

from kubectl_podwhy.finding import Evidence, Finding
from kubectl_podwhy.rules import messages as m
from kubectl_podwhy.rules.base import describe_cmd, ev, field, finding, newest, recent
from kubectl_podwhy.snapshot import NodeInfo, PodSnapshot, format_quantity, parse_quantity
from kubectl_podwhy.timeutil import human_duration

NODE_PROBLEM_TAINTS = frozenset({
    "node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable",
    "node.kubernetes.io/memory-pressure", "node.kubernetes.io/disk-pressure",
    "node.kubernetes.io/pid-pressure", "node.kubernetes.io/network-unavailable",
    "node.kubernetes.io/out-of-service", "node.kubernetes.io/unschedulable",
})


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


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


# --- 1. object lifecycle --------------------------------------------------------------------

def check_terminating(pod: PodSnapshot, now: datetime) -> list[Finding]:
    if pod.deletion_timestamp is None:
        return []
    # deletionTimestamp is the moment the grace period ends, not the moment of the request.
    grace = pod.deletion_grace_seconds if pod.deletion_grace_seconds is not None else 30
    overdue = (now - pod.deletion_timestamp).total_seconds()
    deleted_ago = human_duration(overdue + grace)
    evidence = [field("metadata.deletionTimestamp",
                      f"{pod.deletion_timestamp.isoformat()} (grace period {grace}s)")]
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
            next_command=f"kubectl describe node {pod.node_name}")]
    if overdue <= 0:
        return [finding(
            "PW104", "Terminating",
            f"being deleted: {human_duration(-overdue)} of its {grace}s grace period left",
            evidence=evidence, explains_containers=True)]
    if pod.finalizers:
        evidence.append(field("metadata.finalizers", ", ".join(pod.finalizers)))
        return [finding(
            "PW101", "Terminating",
            f"deleted {deleted_ago} ago; waiting for finalizers: {', '.join(pod.finalizers)}",
            detail="metadata.finalizers: " + ", ".join(pod.finalizers),
            evidence=evidence, explains_containers=True,
            next_command=f"kubectl get pod {pod.name} -n {pod.namespace} "
                         "-o jsonpath='{.metadata.finalizers}'")]
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
        e = m.parse_eviction(msg)
        what = e.resource or (e.node_condition or "a resource")
        summary = f"evicted: node {pod.node_name or '?'} was low on {what}"
        if e.node_condition and not e.resource:
            summary = f"evicted: node {pod.node_name or '?'} had condition {e.node_condition}"
        if e.containers:
            name, usage, req = e.containers[0]
            if usage == "over limit":
                summary += f"; container {name} exceeded its ephemeral-storage limit {req}"
            else:
                summary += f"; container {name} used {_readable(usage)} (request {req})"
        evs = [ev(x) for x in pod.events_with("Evicted")]
        return [finding("PW110", "Evicted", summary, detail=msg, evidence=status_ev + evs,
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
                        detail=msg, evidence=status_ev, explains_containers=True)]
    if reason == "DeadlineExceeded":
        evs = [ev(x) for x in pod.events_with("DeadlineExceeded")]
        limit = (f" ({pod.active_deadline_seconds}s)" if pod.active_deadline_seconds else "")
        return [finding("PW116", reason,
                        f"killed after running longer than spec.activeDeadlineSeconds{limit}",
                        detail=msg, evidence=status_ev + evs, explains_containers=True)]
    if reason and m.is_admission_reason(reason):
        text = m.strip_admission_prefix(msg)
        return [finding("PW117", reason,
                        f"rejected by the kubelet on node {pod.node_name or '?'}: "
                        f"{text or reason}",
                        detail=msg, evidence=status_ev + [ev(x) for x in pod.events_with(reason)],
                        explains_containers=True)]
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
        return [finding(rid, dt.reason, summaries[rid], detail=dt.message,
                        evidence=status_ev + evs, explains_containers=True)]
    if pod.phase == "Failed" and reason and reason != "NodeLost":
        return [finding("PW118", reason, f"pod failed: {reason}" + (f": {msg}" if msg else ""),
                        detail=msg, evidence=status_ev, explains_containers=True)]
    return []


# --- 3. scheduling --------------------------------------------------------------------------

_BUCKET_RULES = {"resources": "PW121", "taints": "PW122", "affinity": "PW123",
                 "host-ports": "PW124", "topology": "PW125", "volumes": "PW126",
                 "cordoned": "PW127", "other": "PW128"}


def _clause_text(c: m.Clause, total: int | None) -> str:
    if total is not None and c.count and c.count <= total:
        return f"{c.text} ({_plural(c.count, 'node')})"
    return c.text


def _unschedulable(pod: PodSnapshot, now: datetime, message: str,
                   evidence: list[Evidence]) -> Finding:
    fit = m.parse_fit_error(message)
    dom = fit.dominant
    bucket = dom.bucket if dom else "other"
    rid = _BUCKET_RULES[bucket]
    hint = None
    if fit.total_nodes == 0 or dom is None:
        summary = "no nodes are available to schedule pods"
        rid = "PW128"
    else:
        head = f"0/{fit.total_nodes} nodes can run it: " if fit.total_nodes is not None else ""
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
        elif bucket == "affinity":
            wants = [f"{k}={v}" for k, v in sorted(pod.node_selector.items())]
            wants += list(pod.affinity_terms)
            if wants:
                summary += f"; the pod requires {', '.join(wants)}"
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
        others = [c for c in fit.clauses if c is not dom]
        if others:
            summary += "; also: " + ", ".join(_clause_text(c, fit.total_nodes) for c in others)
    if pod.events_with("TriggeredScaleUp"):
        summary += " (the cluster autoscaler triggered a scale-up)"
        evidence = evidence + [ev(e) for e in pod.events_with("TriggeredScaleUp")]
    detail = message
    return finding(rid, "Unschedulable", summary, detail=detail, evidence=evidence, hint=hint,
                   next_command="kubectl get nodes -o wide" if bucket != "volumes"
                   else f"kubectl get pvc -n {pod.namespace}")


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
        return [finding("PW120", "SchedulingGated",
                        f"scheduling is gated by {gates}: the controller owning "
                        f"{'them' if len(pod.scheduling_gates) > 1 else 'it'} must remove it",
                        evidence=gate_ev)]
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
        return [finding("PW131", "Pending",
                        f"nominated to node {pod.nominated_node}; waiting for lower-priority "
                        "pods there to be preempted", evidence=evidence,
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
    # Pending, nobody has tried to schedule it: which scheduler is supposed to?
    waited = (now - pod.created).total_seconds() if pod.created else 0.0
    limit = 60 if pod.scheduler_name != "default-scheduler" else 300
    if waited >= limit and (cond is None or cond.status != "True"):
        who = f"schedulerName {pod.scheduler_name}"
        return [finding("PW130", "Pending",
                        f"pending for {human_duration(waited)} with no scheduling attempt: "
                        f"is the scheduler {pod.scheduler_name!r} running?",
                        evidence=[field("spec.schedulerName", who)])]
    return []


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
                        next_command=f"kubectl describe node {node.name}")]
    ready_cond = pod.condition("Ready")
    if pod.reason == "NodeLost" or (node_events and ready_cond is not None
                                    and ready_cond.status != "True"):
        evidence = [ev(e) for e in node_events]
        if pod.reason == "NodeLost":
            evidence.insert(0, field("status.reason", f"NodeLost: {pod.message}"))
        return [finding("PW140", "NodeNotReady",
                        f"node {pod.node_name} is not ready (the node lifecycle controller "
                        "marked the pod not ready)",
                        detail=pod.message, evidence=evidence, explains_containers=True,
                        next_command=f"kubectl describe node {pod.node_name}")]
    return []


# --- 5. sandbox and volumes -------------------------------------------------------------------

def not_started(pod: PodSnapshot) -> bool:
    """True while the pod's containers wait for the pod-level setup (sandbox, volumes)."""
    if not pod.node_name or pod.terminal or pod.deletion_timestamp is not None:
        return False
    prtsc = pod.condition("PodReadyToStartContainers")
    if prtsc is not None and prtsc.status == "False":
        return True
    regular = pod.of_type("init", "sidecar", "app")
    if not any(c.has_status for c in regular):
        return True
    if any(c.state.kind in ("running", "terminated") or c.last_state.kind == "terminated"
           for c in regular):
        return False
    return any(c.state.kind == "waiting"
               and c.state.reason in ("ContainerCreating", "PodInitializing")
               for c in regular)


def check_sandbox(pod: PodSnapshot, now: datetime) -> list[Finding]:
    if not not_started(pod):
        return []
    net = pod.events_with("NetworkNotReady")
    if net:
        e = net[-1]
        return [finding("PW151", "NetworkNotReady",
                        f"the network plugin on node {pod.node_name} is not ready",
                        detail=e.message, evidence=[ev(e)],
                        next_command=f"kubectl get pods -A -o wide --field-selector "
                                     f"spec.nodeName={pod.node_name}")]
    sb = pod.events_with("FailedCreatePodSandBox")
    if not sb:
        return []
    e = sb[-1]
    text = m.strip_combined(e.message)
    low = text.lower()
    if "no ip addresses available" in low or ("ipam" in low and "exhaust" in low):
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
                    detail=text, evidence=[ev(x) for x in sb[-2:]])]


def check_volumes(pod: PodSnapshot, now: datetime) -> list[Finding]:
    if not not_started(pod):
        return []
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


# --- 9. readiness gates -----------------------------------------------------------------------

def check_readiness_gates(pod: PodSnapshot, now: datetime) -> list[Finding]:
    if not pod.readiness_gates or pod.terminal or pod.deletion_timestamp is not None:
        return []
    ready = pod.condition("Ready")
    cready = pod.condition("ContainersReady")
    if ready is None or ready.status == "True":
        return []
    if cready is not None and cready.status != "True":
        return []  # the containers are the reason; they are diagnosed in the container chain
    pending = [g for g in pod.readiness_gates
               if (pod.condition(g) is None or pod.condition(g).status != "True")]  # type: ignore[union-attr]
    if not pending:
        return []
    parts = []
    for g in pending:
        c = pod.condition(g)
        parts.append(f"{g} is missing" if c is None else f"{g} is {c.status}")
    return [finding("PW170", "ReadinessGatesNotReady",
                    "readiness gate not satisfied: " + "; ".join(parts),
                    detail=ready.message,
                    evidence=[field("status.conditions[Ready]",
                                    f"{ready.reason}: {ready.message}")])]

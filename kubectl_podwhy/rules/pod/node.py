"""Node health: the pod's node is NotReady, unreachable or gone (PW140-PW141)."""
from __future__ import annotations

from datetime import datetime

from kubectl_podwhy.report import Finding
from kubectl_podwhy.rules.base import K8S, Rule, ev, field, finding, kubectl, recent
from kubectl_podwhy.snapshot import NodeInfo, PodSnapshot

NODE_NOT_READY = Rule(
    id="PW140", name="node-not-ready", level="pod",
    title="Its node is NotReady or unreachable",
    why="The pod's node stopped reporting Ready (kubelet down, runtime down, network partition). "
        "The pod still says Running but nothing observes it; after tolerationSeconds it is "
        "evicted.",
    fix="Fix the node (kubelet, container runtime, network); kubectl describe node shows the "
        "condition message.",
    docs=f"{K8S}/reference/node/node-status/#condition")

NODE_MISSING = Rule(
    id="PW141", name="node-missing", level="pod",
    title="Its node no longer exists",
    why="spec.nodeName names a Node object that is gone; PodGC will mark the pod Failed and "
        "delete it.",
    fix="Let the controller recreate the pod; find out why the node was removed.",
    docs=f"{K8S}/concepts/workloads/pods/pod-lifecycle/#pod-garbage-collection")

RULES: tuple[Rule, ...] = (NODE_NOT_READY, NODE_MISSING)

#: the taints the node lifecycle puts on a node in trouble: the node is the problem
NODE_PROBLEM_TAINTS = frozenset({
    "node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable",
    "node.kubernetes.io/memory-pressure", "node.kubernetes.io/disk-pressure",
    "node.kubernetes.io/pid-pressure", "node.kubernetes.io/network-unavailable",
    "node.kubernetes.io/out-of-service", "node.kubernetes.io/unschedulable",
})


def node_state(node: NodeInfo) -> str:
    """"NotReady (KubeletNotReady): message", "Unknown ...", "has no Ready condition"."""
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


def node_not_ready(pod: PodSnapshot) -> bool:
    """Is the pod's node not Ready, gone, or (without the Node object) lost?"""
    node = pod.node
    if node is not None:
        return node.ready is None or node.ready.status != "True"
    return pod.reason == "NodeLost" or pod.node_lookup == "missing"


def check_node(pod: PodSnapshot, now: datetime) -> list[Finding]:
    if not pod.node_name or pod.terminal or pod.deletion_timestamp is not None:
        return []
    if pod.node_lookup == "missing":
        return [finding(NODE_MISSING, "NodeNotFound",
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
                          node_state(node))]
        taints = [t for t in node.taints if t.key in NODE_PROBLEM_TAINTS]
        if taints:
            evidence.append(field(f"node/{node.name}.spec.taints",
                                  ", ".join(f"{t.key}:{t.effect}" for t in taints)))
        evidence += [ev(e) for e in node_events]
        return [finding(NODE_NOT_READY, "NodeNotReady",
                        f"node {node.name} is {node_state(node)}",
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
        return [finding(NODE_NOT_READY, "NodeNotReady",
                        f"node {pod.node_name} is not ready (the node lifecycle controller "
                        "marked the pod not ready)",
                        detail=pod.message, evidence=evidence, explains_containers=True,
                        next_command=kubectl("describe", "node", pod.node_name))]
    return []

"""Scheduling: gated, unschedulable (the blocker named as an expert reads the scheduler's
message and the nodes), a scheduler error, no scheduler, preemption in flight (PW120-PW131)."""
from __future__ import annotations

from datetime import datetime

from kubectl_podwhy.report import Evidence, Finding
from kubectl_podwhy.rules import messages as m
from kubectl_podwhy.rules.base import (
    K8S,
    Rule,
    Wait,
    ev,
    field,
    finding,
    kubectl,
    newest,
    plural,
    recent,
)
from kubectl_podwhy.rules.pod.node import NODE_PROBLEM_TAINTS
from kubectl_podwhy.snapshot import NodeInfo, PodSnapshot, Taint

SCALE_UP_DEADLINE = ("none: failing at once; waiting for up to 15 minutes while the cluster "
                     "autoscaler reports a scale-up for the pod (TriggeredScaleUp)")

SCHEDULING_GATED = Rule(
    id="PW120", name="scheduling-gated", level="pod",
    title="Scheduling is blocked by scheduling gates",
    why="spec.schedulingGates is not empty; the scheduler ignores the pod until every gate is "
        "removed, normally by the controller that added it (for example Kueue).",
    fix="Check the controller that owns the gate; remove the gate when it is safe.",
    docs=f"{K8S}/concepts/scheduling-eviction/pod-scheduling-readiness/",
    deadline="5 minutes after the pod was created; a gate removed by its controller "
             "(Kueue admitting the workload) normally goes within seconds")

UNSCHEDULABLE_RESOURCES = Rule(
    id="PW121", fail_fast="yes", name="unschedulable-resources", level="pod",
    title="Unschedulable: not enough resources",
    why="No node has enough free allocatable cpu, memory, pods or extended resources for the "
        "pod's requests (capacity may exist in total but not on one node).",
    fix="Lower the requests, free capacity, or add nodes.",
    docs=f"{K8S}/concepts/configuration/manage-resources-containers/",
    deadline=SCALE_UP_DEADLINE)

UNSCHEDULABLE_TAINTS = Rule(
    id="PW122", fail_fast="yes", name="unschedulable-taints", level="pod",
    title="Unschedulable: untolerated node taints",
    why="The nodes carry taints the pod does not tolerate. If the taint is not-ready, unreachable "
        "or a pressure taint, the nodes are the problem, not the pod.",
    fix="Add a toleration, or fix the tainted nodes.",
    docs=f"{K8S}/concepts/scheduling-eviction/taint-and-toleration/",
    deadline=SCALE_UP_DEADLINE)

UNSCHEDULABLE_AFFINITY = Rule(
    id="PW123", fail_fast="yes", name="unschedulable-affinity", level="pod",
    title="Unschedulable: node selector or affinity",
    why="No node has the labels that the pod's nodeSelector or required node affinity asks for, "
        "or spec.nodeName names a node that does not exist.",
    fix="Fix the selector or affinity, or label the nodes it should run on.",
    docs=f"{K8S}/concepts/scheduling-eviction/assign-pod-node/",
    deadline=SCALE_UP_DEADLINE)

UNSCHEDULABLE_HOST_PORTS = Rule(
    id="PW124", fail_fast="yes", name="unschedulable-host-ports", level="pod",
    title="Unschedulable: host port already in use",
    why="The pod asks for a hostPort that every candidate node already gives to another pod.",
    fix="Drop the hostPort (use a Service), or add nodes; one such pod fits per node.",
    docs=f"{K8S}/concepts/configuration/overview/#services",
    deadline=SCALE_UP_DEADLINE)

UNSCHEDULABLE_TOPOLOGY = Rule(
    id="PW125", fail_fast="yes", name="unschedulable-topology", level="pod",
    title="Unschedulable: pod affinity, anti-affinity or topology spread",
    why="Inter-pod (anti-)affinity or topologySpreadConstraints leave no eligible node, often "
        "because there are more replicas than distinct topology domains.",
    fix="Relax the constraint (preferred instead of required, larger maxSkew, "
        "whenUnsatisfiable: ScheduleAnyway) or add nodes in new domains.",
    docs=f"{K8S}/concepts/scheduling-eviction/topology-spread-constraints/",
    deadline=SCALE_UP_DEADLINE)

UNSCHEDULABLE_VOLUMES = Rule(
    id="PW126", fail_fast="yes", name="unschedulable-volumes", level="pod",
    title="Unschedulable: volume or PVC problem",
    why="A PersistentVolumeClaim the pod uses is missing, not bound, or bound to a volume no node "
        "can reach (zone or node affinity, attach limits).",
    fix="Create the claim, check its StorageClass and provisioner (kubectl describe pvc), or make "
        "the volume's zone match the nodes.",
    docs=f"{K8S}/concepts/storage/persistent-volumes/",
    deadline=SCALE_UP_DEADLINE)

UNSCHEDULABLE_CORDONED = Rule(
    id="PW127", fail_fast="yes", name="unschedulable-cordoned", level="pod",
    title="Unschedulable: nodes are cordoned",
    why="The nodes that could run the pod are marked unschedulable (kubectl cordon or drain).",
    fix="Uncordon the nodes when maintenance is over, or add nodes.",
    docs=f"{K8S}/concepts/architecture/nodes/#manual-node-administration",
    deadline=SCALE_UP_DEADLINE)

UNSCHEDULABLE = Rule(
    id="PW128", fail_fast="yes", name="unschedulable", level="pod",
    title="Unschedulable",
    why="The scheduler found no node for the pod (no nodes, or a reason podwhy does not classify).",
    fix="Read the FailedScheduling message; check that the cluster has ready nodes.",
    docs=f"{K8S}/concepts/scheduling-eviction/kube-scheduler/",
    deadline=SCALE_UP_DEADLINE)

SCHEDULER_ERROR = Rule(
    id="PW129", name="scheduler-error", level="pod",
    title="The scheduler failed on this pod",
    why="The scheduler hit an internal error (for example an affinity it cannot parse) instead of "
        "a normal fit failure.",
    fix="Read the message and the scheduler's logs; check the pod's affinity syntax.",
    docs=f"{K8S}/concepts/scheduling-eviction/kube-scheduler/")

NO_SCHEDULER = Rule(
    id="PW130", fail_fast="yes", name="no-scheduler", level="pod",
    title="No scheduler is picking the pod up",
    why="The pod is Pending without any scheduling attempt recorded; its spec.schedulerName names "
        "a scheduler that is not running (or the default scheduler is down).",
    fix="Start the scheduler the pod names, or remove spec.schedulerName.",
    docs=f"{K8S}/tasks/extend-kubernetes/configure-multiple-schedulers/",
    deadline="2 minutes after the pod was created for the default-scheduler, 1 minute for "
             "others (a scheduler tries a new pod within milliseconds)")

PREEMPTION_PENDING = Rule(
    id="PW131", name="preemption-pending", level="pod",
    title="Waiting for preemption victims to leave",
    why="The scheduler nominated a node and is evicting lower-priority pods there; the pod binds "
        "when they are gone (their grace period applies).",
    fix="Usually transient; if it lasts, check the victims' termination.",
    docs=f"{K8S}/concepts/scheduling-eviction/pod-priority-preemption/",
    deadline="5 minutes (victims leave within their grace period, 30 s by default)")

RULES: tuple[Rule, ...] = (
    SCHEDULING_GATED, UNSCHEDULABLE_RESOURCES, UNSCHEDULABLE_TAINTS, UNSCHEDULABLE_AFFINITY,
    UNSCHEDULABLE_HOST_PORTS, UNSCHEDULABLE_TOPOLOGY, UNSCHEDULABLE_VOLUMES,
    UNSCHEDULABLE_CORDONED, UNSCHEDULABLE, SCHEDULER_ERROR, NO_SCHEDULER, PREEMPTION_PENDING)

#: the rule for each kind of FitError clause (messages.BUCKET_ORDER)
_BUCKET_RULES = {"resources": UNSCHEDULABLE_RESOURCES, "taints": UNSCHEDULABLE_TAINTS,
                 "affinity": UNSCHEDULABLE_AFFINITY, "host-ports": UNSCHEDULABLE_HOST_PORTS,
                 "topology": UNSCHEDULABLE_TOPOLOGY, "volumes": UNSCHEDULABLE_VOLUMES,
                 "cordoned": UNSCHEDULABLE_CORDONED, "other": UNSCHEDULABLE,
                 "none": UNSCHEDULABLE}


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
    rule = _BUCKET_RULES.get(bucket, UNSCHEDULABLE)
    # A claim that exists but is Pending may be being provisioned or bound right now (a
    # StatefulSet creates its claims just before the pod): that may clear by itself. A
    # missing claim, or a bound volume no node can reach, needs a person.
    terminal = None
    if bucket == "volumes" and not pod.missing_claims and any(
            (pvc := pod.pvcs.get(claim)) is not None and pvc.phase == "Pending"
            for claim in pod.claims):
        terminal = False
    wait = None
    scale_ups = [e for e in pod.events_with("TriggeredScaleUp") if recent(e, now)]
    if scale_ups:
        # A node is on its way: the pod may schedule once it joins (trap 7 of the catalog).
        wait = Wait(scale_ups[0].first_seen or scale_ups[0].last_seen, SCALE_UP_SECONDS)
        summary += (f" (the cluster autoscaler triggered a scale-up "
                    f"{wait.how_long(now)} ago)")
        evidence = evidence + [ev(e) for e in scale_ups[-1:]]
    return finding(rule, "Unschedulable", summary, detail=message, evidence=evidence, hint=hint,
                   wait=wait, now=now, terminal=terminal,
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
        return [finding(SCHEDULING_GATED, "SchedulingGated", summary, evidence=gate_ev, wait=wait,
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
        return [finding(PREEMPTION_PENDING, "Pending",
                        f"nominated to node {pod.nominated_node}; {verb} "
                        f"{wait.for_how_long(now)} for lower-priority pods there to be "
                        "preempted", evidence=evidence, wait=wait, now=now,
                        detail=cond.message if cond else "")]
    if cond is not None and cond.status == "False" and cond.reason == "SchedulerError":
        return [finding(SCHEDULER_ERROR, "SchedulerError", f"the scheduler failed: {cond.message}",
                        detail=cond.message, evidence=evidence)]
    if cond is not None and cond.status == "False" and cond.reason == "Unschedulable":
        message = cond.message or (m.strip_combined(last_fs.message) if last_fs else "")
        return [_unschedulable(pod, now, message, evidence)]
    if last_fs is not None and recent(last_fs, now):
        text = m.strip_combined(last_fs.message)
        if "nodes are available" in text or "no nodes available" in text:
            return [_unschedulable(pod, now, text, evidence)]
        return [finding(SCHEDULER_ERROR, "SchedulerError", f"the scheduler failed: {text}",
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
    return [finding(NO_SCHEDULER, "Pending", summary, evidence=[field("spec.schedulerName", who)],
                    wait=wait, now=now)]

"""Workloads: the owner hierarchy above pods, and pods grouped by verdict.

Built from the same raw bundle as pod snapshots. A target workload's pods are found through
controller ownerReferences (Deployment -> ReplicaSet -> Pod, CronJob -> Job -> Pod; StatefulSet,
DaemonSet, ReplicaSet and Job own their pods directly), never by name or labels alone.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from kubectl_podwhy.kinds import WORKLOAD_KINDS
from kubectl_podwhy.rawjson import (
    JSON,
    as_dict,
    as_int,
    as_list,
    as_str,
    controller_ref,
    controller_uid,
    meta_str,
)
from kubectl_podwhy.report import STATES, Finding, PodReport, State
from kubectl_podwhy.snapshot import (
    Condition,
    Event,
    Gathered,
    NodeInfo,
    _conditions,
    _node_info,
    event_damage,
    index_events,
    normalize_event,
    workload_wrong_types,
)
from kubectl_podwhy.timeutil import parse_time


@dataclass(frozen=True)
class Workload:
    kind: str
    namespace: str
    name: str
    uid: str
    created: datetime | None
    owner_uid: str  # the controller owner's uid ("" if none)
    conditions: Mapping[str, Condition]
    events: tuple[Event, ...]
    desired: int | None
    ready: int
    available: int
    updated: int
    current: int  # pods that exist per status (RS replicas, Job active, DS current)
    revision: str  # ReplicaSets: deployment.kubernetes.io/revision
    suspended: bool
    generation: int  # metadata.generation (0 when absent)
    #: known only from its events (FailedCreate): the object itself is not in the input
    stand_in: bool
    spec: Mapping[str, Any] = field(repr=False, compare=False, hash=False)
    status: Mapping[str, Any] = field(repr=False, compare=False, hash=False)
    #: fields (of the object or its events) read as absent for their wrong JSON type: a
    #: damaged object podwhy cannot vouch for
    damaged: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.kind}/{self.namespace}/{self.name}"

    @property
    def ref(self) -> str:
        return f"{self.kind.lower()}/{self.name}"

    @property
    def object_key(self) -> str:
        """As snapshot.object_key names the raw object."""
        return self.uid or f"{self.kind}/{self.namespace}/{self.name}"

    def condition(self, type_: str) -> Condition | None:
        return self.conditions.get(type_)


def template_labels(obj: Mapping[str, Any]) -> dict[str, str]:
    """The labels a workload gives its pods (spec.template, or a CronJob's jobTemplate)."""
    spec = as_dict(obj.get("spec"))
    if as_str(obj.get("kind")) == "CronJob":
        spec = as_dict(as_dict(spec.get("jobTemplate")).get("spec"))
    labels = as_dict(as_dict(as_dict(spec.get("template")).get("metadata")).get("labels"))
    return {str(k): as_str(v) for k, v in labels.items()}


def keep_selected(g: Gathered, match: Callable[[Mapping[str, str]], bool]) -> None:
    """-l without a target selects pods; workloads count when the pods they make would
    match (a ReplicaSet that cannot create any pod is still about those pods), and only
    their events and the pods' stay."""
    g.workloads = [w for w in g.workloads if match(template_labels(w))]
    kept = {as_str(as_dict(w.get("metadata")).get("uid")) for w in g.workloads}
    kept_names = {(as_str(w.get("kind")), as_str(as_dict(w.get("metadata")).get("name")))
                  for w in g.workloads}

    def wanted(e: JSON) -> bool:
        obj = as_dict(e.get("involvedObject") or e.get("regarding"))
        kind = as_str(obj.get("kind"))
        return kind in ("Pod", "") or as_str(obj.get("uid")) in kept or \
            (kind, as_str(obj.get("name"))) in kept_names
    g.events = [e for e in g.events if wanted(e)]


def build_workload(raw: JSON, events: Mapping[str, list[Event]]) -> Workload:
    meta, spec = as_dict(raw.get("metadata")), as_dict(raw.get("spec"))
    status = as_dict(raw.get("status"))
    kind = as_str(raw.get("kind"))
    desired: int | None = None
    ready = available = updated = current = 0
    if kind in ("Deployment", "ReplicaSet", "StatefulSet"):
        desired = as_int(spec.get("replicas"), 1) if "replicas" in spec else 1
        ready = as_int(status.get("readyReplicas"))
        available = as_int(status.get("availableReplicas"))
        updated = as_int(status.get("updatedReplicas"))
        current = as_int(status.get("replicas"))
    elif kind == "DaemonSet":
        desired = as_int(status.get("desiredNumberScheduled"))
        ready = as_int(status.get("numberReady"))
        available = as_int(status.get("numberAvailable"))
        updated = as_int(status.get("updatedNumberScheduled"))
        current = as_int(status.get("currentNumberScheduled"))
    elif kind == "Job":
        desired = as_int(spec.get("completions"), 1) if "completions" in spec else None
        ready = as_int(status.get("ready"))
        current = as_int(status.get("active"))
        available = as_int(status.get("succeeded"))
    elif kind == "CronJob":
        current = len(as_list(status.get("active")))
    uid = as_str(meta.get("uid"))
    own = events.get(uid, []) if uid else []
    damaged = tuple(workload_wrong_types(raw) + event_damage(own))
    stand_in = as_dict(meta.get("annotations")).get(STAND_IN) == "true"
    if stand_in:
        desired = None
    return Workload(
        kind=kind, namespace=as_str(meta.get("namespace")) or "default",
        name=as_str(meta.get("name")),
        uid=uid, created=parse_time(meta.get("creationTimestamp")),
        owner_uid=controller_uid(raw), conditions=_conditions(status.get("conditions")),
        events=tuple(sorted(own,
                            key=lambda e: e.last_seen.timestamp() if e.last_seen else 0.0)),
        desired=desired, ready=ready, available=available, updated=updated, current=current,
        revision=as_str(as_dict(meta.get("annotations")).get("deployment.kubernetes.io/revision")),
        suspended=spec.get("suspend") is True, generation=as_int(meta.get("generation")),
        stand_in=stand_in, spec=spec, status=status, damaged=damaged)


# --- grouping ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class PodGroup:
    """Pods that share a state and verdict (rule, reason, container); verdict None =
    healthy."""

    verdict: Finding | None
    reports: tuple[PodReport, ...]

    @property
    def count(self) -> int:
        return len(self.reports)

    @property
    def state(self) -> State:
        return self.reports[0].state if self.reports else "healthy"


def group_key(r: PodReport) -> tuple[int, str, str, str]:
    v = r.verdict
    rank = STATES.index(r.state)
    if v is None:
        return (rank, "", "", "")
    return (rank, v.rule, v.reason, v.container or "")


def group_reports(reports: Sequence[PodReport]) -> tuple[PodGroup, ...]:
    """Group by state and verdict: failing first, then progressing (largest groups first),
    healthy pods last."""
    groups: dict[tuple[int, str, str, str], list[PodReport]] = {}
    for r in reports:
        groups.setdefault(group_key(r), []).append(r)
    ordered = sorted(groups.items(), key=lambda kv: (kv[0][0], -len(kv[1]), kv[0]))
    return tuple(PodGroup(rs[0].verdict, tuple(rs)) for _, rs in ordered)


@dataclass(frozen=True)
class OwnerView:
    """The pods of one direct owner (a ReplicaSet of a Deployment, a Job of a CronJob)."""

    kind: str
    namespace: str
    name: str
    note: str  # "revision 2, new", "Job, failed"; "" when only the ownerReference is known
    workload: Workload | None
    groups: tuple[PodGroup, ...]

    @property
    def pod_count(self) -> int:
        return sum(g.count for g in self.groups)


@dataclass(frozen=True)
class WorkloadView:
    """What workload rules look at: the workload, its children and its pods' reports."""

    workload: Workload
    children: tuple[Workload, ...]
    #: the newest child: a Deployment's current ReplicaSet, a CronJob's latest Job
    newest: Workload | None
    owners: tuple[OwnerView, ...]
    reports: tuple[PodReport, ...]
    nodes: Mapping[str, NodeInfo]

    @property
    def groups(self) -> tuple[PodGroup, ...]:
        return group_reports(self.reports)

    @property
    def current_reports(self) -> tuple[PodReport, ...]:
        """The pods the workload stands on now: of its current revision (a Deployment's
        newest ReplicaSet, a CronJob's newest Job; all pods of the others), and active.
        Controllers ignore pods that ended or are being deleted (controller_utils
        FilterActivePods): an evicted pod its ReplicaSet replaced, a Job's failed attempt, a
        pod on its way out, are history for the workload."""
        if self.workload.kind == "Deployment":
            pods = pods_of(self, self.newest) if self.newest is not None else []
        elif self.workload.kind == "CronJob":
            # its newest Job, and every Job it still counts as active (concurrencyPolicy
            # Allow runs several at once)
            active = {as_str(as_dict(ref).get("uid"))
                      for ref in as_list(self.workload.status.get("active"))}
            pods = [r for j in self.children if j is self.newest or j.uid in active
                    for r in pods_of(self, j)]
        else:
            pods = list(self.reports)
        return tuple(r for r in pods if not r.pod.terminal and r.pod.deletion_timestamp is None)

    @property
    def current_groups(self) -> tuple[PodGroup, ...]:
        return group_reports(self.current_reports)


def pods_of(view: WorkloadView, w: Workload) -> list[PodReport]:
    """The view's pods whose controller is ``w``."""
    return [r for r in view.reports if controller_uid(r.pod.raw) == w.uid]


def _newest(root: Workload, children: Sequence[Workload]) -> Workload | None:
    """A Deployment's current ReplicaSet is the one whose deployment.kubernetes.io/revision
    equals the Deployment's own (pkg/controller/deployment/sync.go getNewReplicaSet: the
    revision goes to the new ReplicaSet and, by SetDeploymentRevision, to the Deployment);
    None if that one is not in the input (``-l`` may leave it out, and the newest remaining
    is then an old revision). Otherwise: the highest revision, then the newest created."""
    if not children:
        return None
    if root.kind == "Deployment" and root.revision:
        return next((c for c in children if c.kind == "ReplicaSet"
                     and c.revision == root.revision), None)
    return max(children, key=lambda c: (as_int(c.revision),
                                        c.created.timestamp() if c.created else 0.0))


def _is_true(w: Workload, type_: str) -> bool:
    c = w.condition(type_)
    return c is not None and c.status == "True"


@dataclass(frozen=True)
class WorkloadReport:
    view: WorkloadView
    state: State
    verdict: Finding | None
    findings: tuple[Finding, ...]

    @property
    def healthy(self) -> bool:
        return self.state == "healthy"


def _owner_note(w: Workload, newest: Workload | None) -> str:
    if w.kind == "ReplicaSet":
        rev = f"revision {w.revision}" if w.revision else "ReplicaSet"
        return f"{rev}, {'new' if newest is not None and w.uid == newest.uid else 'old'}"
    if w.kind == "Job":
        state = "complete" if _is_true(w, "Complete") else \
            "failed" if _is_true(w, "Failed") else "active"
        return f"Job, {state}"
    return w.kind


#: the annotation marking a workload podwhy knows only from its FailedCreate events
STAND_IN = "kubectl-podwhy/stand-in"
#: a FailedCreate stands for a workload missing from the input only if this recent: the
#: controllers retry a failed create with a back-off capped at 1000 s (workqueue's default
#: rate limiter), so a failure still happening was recorded at most that long ago
STAND_IN_RECENT_SECONDS = 1000


def stand_ins(g: Gathered, now: datetime) -> list[JSON]:
    """Workloads a namespace run cannot see but whose controller is failing to create pods
    (recent FailedCreate events): they have no pods to show, so only their events tell.
    Never for workloads a live lookup found deleted (their events are history)."""
    have = {(as_str(w.get("kind")), meta_str(w, "namespace") or "default", meta_str(w))
            for w in g.workloads}
    out: dict[tuple[str, str, str], JSON] = {}
    for raw in g.events:
        obj, e = normalize_event(raw)
        kind, ns = as_str(obj.get("kind")), as_str(obj.get("namespace")) or "default"
        key = (kind, ns, as_str(obj.get("name")))
        if (e.reason != "FailedCreate" or kind not in WORKLOAD_KINDS or key in have
                or key in g.missing_workloads or key in out or e.last_seen is None
                or (now - e.last_seen).total_seconds() > STAND_IN_RECENT_SECONDS):
            continue
        out[key] = {"apiVersion": as_str(obj.get("apiVersion")), "kind": kind,
                    "metadata": {"name": key[2], "namespace": ns, "uid": as_str(obj.get("uid")),
                                 "annotations": {STAND_IN: "true"}}}
    return list(out.values())


def build_views(g: Gathered, reports: Sequence[PodReport],
                targets: Iterable[tuple[str, str, str]] | None = None,
                now: datetime | None = None) -> list[WorkloadView]:
    """One view per workload in the bundle that is not itself owned by another workload in it
    (or per target (kind, namespace, name) when given). Without targets (a namespace run,
    given ``now``), workloads known only from recent FailedCreate events stand in too."""
    by_uid_events, _ = index_events(g.events, kinds=None)
    raws = g.workloads + (stand_ins(g, now) if targets is None and now is not None else [])
    workloads = [build_workload(w, by_uid_events) for w in raws]
    by_uid = {w.uid: w for w in workloads}
    pods_of: dict[str, list[PodReport]] = {}
    for r in reports:
        pods_of.setdefault(controller_uid(r.pod.raw), []).append(r)
    children_of: dict[str, list[Workload]] = {}
    for w in workloads:
        children_of.setdefault(w.owner_uid, []).append(w)
    nodes = {name: _node_info(raw) for name, raw in g.nodes.items()}
    if targets is not None:
        wanted = {(k, ns, n) for k, ns, n in targets}
        roots = [w for w in workloads if (w.kind, w.namespace, w.name) in wanted]
    else:
        roots = [w for w in workloads if w.owner_uid not in by_uid]
    views = []
    for root in sorted(roots, key=lambda w: (w.namespace, w.kind, w.name)):
        children = tuple(sorted(children_of.get(root.uid, []),
                                key=lambda w: (-as_int(w.revision), w.name)))
        newest = _newest(root, children)
        owners: list[OwnerView] = []
        all_reports: list[PodReport] = []
        for owner in (*children, root) if children else (root,):
            pods = sorted(pods_of.get(owner.uid, []), key=lambda r: r.pod.name)
            if owner is root and children and not pods:
                continue
            all_reports += pods
            owners.append(OwnerView(owner.kind, owner.namespace, owner.name,
                                    _owner_note(owner, newest), owner, group_reports(pods)))
        views.append(WorkloadView(root, children, newest, tuple(owners), tuple(all_reports),
                                  nodes))
    return views


def owner_groups(reports: Sequence[PodReport]) -> list[OwnerView]:
    """Namespace-wide runs: group pods by their controller ownerReference alone (no extra API
    calls), so "4 of 5 pods of ReplicaSet web-7d9c" shows without listing workloads."""
    by_owner: dict[tuple[str, str, str], list[PodReport]] = {}
    for r in reports:
        ref = controller_ref(r.pod.raw)
        if ref is None:
            continue
        by_owner.setdefault((r.pod.namespace, *ref), []).append(r)
    out = []
    for (ns, kind, name), rs in sorted(by_owner.items()):
        out.append(OwnerView(kind, ns, name, "", None, group_reports(rs)))
    return out


def _family(r: PodReport) -> str:
    """Pods that replace one another: those of one controller, and across a Deployment's
    ReplicaSets (named <deployment>-<pod-template-hash>) or a CronJob's Jobs (named
    <cronjob>-<scheduled minute>)."""
    ctl = r.pod.controller
    uid = controller_uid(r.pod.raw)
    if ctl is None:
        return uid
    kind, name = ctl
    if kind == "ReplicaSet":
        labels = as_dict(as_dict(r.pod.raw.get("metadata")).get("labels"))
        h = as_str(labels.get("pod-template-hash"))
        if h and name.endswith(f"-{h}"):
            return f"Deployment/{r.pod.namespace}/{name[:-len(h) - 1]}"
    if kind == "Job":
        m = re.match(r"(.+)-\d{8,}$", name)
        if m:
            return f"CronJob/{r.pod.namespace}/{m.group(1)}"
    return uid


def replaced(reports: Sequence[PodReport]) -> set[str]:
    """Keys of failed pods their controller has replaced: a later pod of the same family
    (_family) is there, active or done (an evicted pod lingers until deleted, across
    rollouts; a Job retries a failed attempt; a CronJob's next Job ran). Their failure is
    history for the service; they are still shown. Without a replacement in sight, a failed
    pod counts."""
    families: dict[str, list[PodReport]] = {}
    for r in reports:
        families.setdefault(_family(r), []).append(r)
    out = set()
    for r in reports:
        family = _family(r)
        if r.pod.phase != "Failed" or not family or r.pod.created is None:
            continue
        if any(o.pod.phase in ("Pending", "Running", "Succeeded") and o.pod.created is not None
               and o.pod.created > r.pod.created for o in families[family]):
            out.add(r.pod.key)
    return out


def owner_state(o: OwnerView, gone: Collection[str] = frozenset()) -> State:
    """An owner group's state: its worst pod's, the pods in ``gone`` (replaced) aside."""
    states = {r.state for g in o.groups for r in g.reports if r.pod.key not in gone}
    return next((s for s in STATES if s in states), "healthy")


def _ready(r: PodReport) -> bool:
    c = r.pod.condition("Ready")
    return c is not None and c.status == "True"


def sort_key_severity(r: PodReport) -> tuple[int, str, str]:
    """What is down first (failing and not serving), then failing, progressing, healthy
    with warnings, healthy."""
    if r.state == "failing":
        rank = 1 if _ready(r) else 0
    elif r.state == "progressing":
        rank = 2
    elif r.findings:
        rank = 3
    else:
        rank = 4
    return (rank, r.pod.namespace, r.pod.name)


def workload_sort_key(state: State, unavailable: int, key: str) -> tuple[int, int, str]:
    """Workloads and owner groups: failing first (most unavailable first), then
    progressing, then healthy."""
    return (STATES.index(state), -unavailable, key)


# --- rollout status, as kubectl rollout status judges it --------------------------------------

def rollout_status(w: Workload) -> tuple[bool, str]:
    """(complete, what it waits for), after kubectl's rollout status viewers
    (staging/src/k8s.io/kubectl/pkg/polymorphichelpers/rollout_status.go)."""
    observed = as_int(w.status.get("observedGeneration"))
    if w.generation and observed < w.generation and w.kind != "Job":
        return False, (f"waiting for the {w.kind} controller to observe generation "
                       f"{w.generation} (observed {observed})")
    desired = w.desired if w.desired is not None else 0
    if w.kind == "Deployment":
        if w.spec.get("paused") is True:
            return (w.available >= desired,
                    "paused (spec.paused): the new template is not rolled out")
        if w.updated < desired:
            return False, f"{w.updated} of {desired} new replicas have been updated"
        if w.current > w.updated:
            return False, f"{w.current - w.updated} old replicas are pending termination"
        if w.available < w.updated:
            return False, f"{w.available} of {w.updated} updated replicas are available"
        return True, "successfully rolled out"
    if w.kind == "StatefulSet":
        if w.ready < desired:
            return False, f"{w.ready} of {desired} pods are ready"
        strategy = as_dict(w.spec.get("updateStrategy"))
        partition = as_int(as_dict(strategy.get("rollingUpdate")).get("partition"))
        if as_str(strategy.get("type")) in ("", "RollingUpdate"):
            if partition and w.updated < desired - partition:
                return False, (f"{w.updated} of {desired - partition} partitioned pods "
                               "have been updated")
            update, current = (as_str(w.status.get("updateRevision")),
                               as_str(w.status.get("currentRevision")))
            if not partition and update and update != current:
                return False, (f"{w.updated} of {desired} pods have been updated to revision "
                               f"{update}")
        return True, "rolling update complete"
    if w.kind == "DaemonSet":
        on_delete = as_str(as_dict(w.spec.get("updateStrategy")).get("type")) == "OnDelete"
        if w.updated < desired and not on_delete:  # OnDelete: updated only when deleted by hand
            return False, f"{w.updated} of {desired} updated pods have been scheduled"
        if w.available < desired:
            return False, f"{w.available} of {desired} updated pods are available"
        return True, "successfully rolled out"
    if w.kind == "ReplicaSet":
        if w.available < desired or w.ready < desired:
            return False, f"{w.ready} of {desired} pods are ready"
        return True, "all replicas ready"
    if w.kind == "Job":
        for t, text in (("Complete", "complete"), ("Failed", "failed"),
                        ("FailureTarget", "failed"), ("SuccessCriteriaMet", "complete")):
            c = w.condition(t)
            if c is not None and c.status == "True":
                return True, text
        if w.suspended:
            return False, "suspended"
        want = f" of {w.desired}" if w.desired is not None else ""
        failed = as_int(w.status.get("failed"))
        tries = (f", {failed} failed (backoffLimit {as_int(w.spec.get('backoffLimit'), 6)})"
                 if failed else "")
        return False, f"running: {w.current} active, {w.available}{want} completed{tries}"
    return True, ""

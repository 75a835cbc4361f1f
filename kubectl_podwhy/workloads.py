"""Workloads: the owner hierarchy above pods, and pods grouped by verdict.

Built from the same raw bundle as pod snapshots. A target workload's pods are found through
controller ownerReferences (Deployment -> ReplicaSet -> Pod, CronJob -> Job -> Pod; StatefulSet,
DaemonSet, ReplicaSet and Job own their pods directly), never by name or labels alone.
"""
from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import replace
from datetime import datetime

from kubectl_podwhy.kinds import WORKLOAD_KINDS
from kubectl_podwhy.rawjson import (
    JSON,
    as_dict,
    as_int,
    as_str,
    controller_ref,
    controller_uid,
    meta_str,
)
from kubectl_podwhy.report import (
    STATES,
    OwnerView,
    PodGroup,
    PodReport,
    State,
    WorkloadView,
    group_reports,
)
from kubectl_podwhy.snapshot import (
    STAND_IN,
    Gathered,
    Workload,
    _node_info,
    build_workload,
    index_events,
)

# --- grouping ---------------------------------------------------------------------------------

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
    for _, obj, e in g.events_normalized():
        kind, ns = as_str(obj.get("kind")), as_str(obj.get("namespace")) or "default"
        key = (kind, ns, as_str(obj.get("name")))
        # a damaged event about a workload stands in too: it may be the only sign of trouble
        if ((e.reason != "FailedCreate" and not e.damaged) or kind not in WORKLOAD_KINDS
                or key in have
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
    by_uid_events, _ = index_events(g, kinds=None)
    raws = g.workloads + (stand_ins(g, now) if targets is None and now is not None else [])
    workloads = [build_workload(w, by_uid_events) for w in raws]
    # "" is no uid: an object without one owns nothing, and is owned by nothing
    by_uid = {w.uid: w for w in workloads if w.uid}
    pods_of: dict[str, list[PodReport]] = {}
    for r in reports:
        if uid := controller_uid(r.pod.raw):
            pods_of.setdefault(uid, []).append(r)
    children_of: dict[str, list[Workload]] = {}
    for w in workloads:
        if w.owner_uid:
            children_of.setdefault(w.owner_uid, []).append(w)
    nodes = {name: _node_info(raw) for name, raw in g.nodes.items()}
    if targets is not None:
        wanted = {(k, ns, n) for k, ns, n in targets}
        roots = [w for w in workloads if (w.kind, w.namespace, w.name) in wanted]
    else:
        roots = [w for w in workloads if w.owner_uid not in by_uid]
    views = []
    for root in sorted(roots, key=lambda w: (w.namespace, w.kind, w.name)):
        lost = [] if targets is None else [
            f"{x}: its ownerReferences cannot be read, so podwhy cannot tell whether it "
            "belongs to this workload" for ns, x in g.unattributed if ns == root.namespace]
        if lost:
            root = replace(root, damaged=root.damaged + tuple(lost))
        # (a workload that names itself its owner is no child of its own)
        children = tuple(sorted((c for c in children_of.get(root.uid, []) if c is not root),
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


def owner_standing(o: OwnerView, gone: Collection[str] = frozenset()
                   ) -> tuple[State, PodGroup | None]:
    """An owner group's state (owner_state) and its first pod group in that state: the
    group whose verdict stands for the owner (None when it has no pods)."""
    state = owner_state(o, gone)
    return state, next((g for g in o.groups if g.state == state), None)


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

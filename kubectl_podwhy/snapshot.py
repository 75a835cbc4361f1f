"""Plain, frozen data about a pod, built once from the JSON the API returns.

Both sources (the cluster and files) hand over a :class:`Gathered` bundle of raw objects;
:func:`build_snapshots` turns it into one :class:`PodSnapshot` per pod. Normalisation happens
here (missing lists become empty, events are matched to their pod by UID and sorted, init,
sidecar, app and ephemeral containers are told apart) so that rules never walk raw dicts.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from kubectl_podwhy.rawjson import (
    JSON,
    as_dict,
    as_int,
    as_list,
    as_str,
    controller_uid,
    meta_str,
)
from kubectl_podwhy.timeutil import format_time, parse_time

ContainerType = Literal["init", "sidecar", "app", "ephemeral"]
Lookup = Literal["found", "missing", "unknown"]


#: which log of a container: its pod (object_key), the container's name, and whether it is the
#: log of the previous (crashed) run (``kubectl logs --previous``) or of the current one
LogKey = tuple[str, str, bool]


@dataclass(frozen=True)
class LogRequest:
    """One container log a run wants: GET pods/{pod}/log?container=&previous= of
    ``namespace``; ``pod_key`` names the pod in the bundle (object_key)."""

    namespace: str
    pod: str
    pod_key: str
    container: str
    previous: bool
    #: how many of the last lines to ask for (tailLines)
    tail_lines: int

    @property
    def key(self) -> LogKey:
        return (self.pod_key, self.container, self.previous)


@dataclass(frozen=True)
class ContainerLog:
    """The last lines of one container's log, oldest first, as the kubelet served them
    (``tailLines``, ``limitBytes``: core/v1 PodLogOptions), or as a --dump recorded them.
    ``truncated``: the server stopped at limitBytes, so the first line may be cut."""

    request: LogRequest
    lines: tuple[str, ...]
    truncated: bool = False


@dataclass
class Gathered:
    """Raw objects as a source collected them; what a ``--dump`` writes back out."""

    pods: list[JSON] = field(default_factory=list)
    events: list[JSON] = field(default_factory=list)
    nodes: dict[str, JSON] = field(default_factory=dict)
    pvcs: dict[tuple[str, str], JSON] = field(default_factory=dict)
    #: workloads (Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, CronJob), raw
    workloads: list[JSON] = field(default_factory=list)
    #: node names / (namespace, claim) pairs the source looked up and found absent
    missing_nodes: set[str] = field(default_factory=set)
    missing_pvcs: set[tuple[str, str]] = field(default_factory=set)
    #: workloads (kind, namespace, name) a live lookup found deleted
    missing_workloads: set[tuple[str, str, str]] = field(default_factory=set)
    #: True when nodes/PVCs absent from the bundle are known not to exist (a live lookup)
    authoritative: bool = False
    #: per-pod notes (by pod uid, or "" for all): e.g. events could not be read
    notes: dict[str, list[str]] = field(default_factory=dict)
    #: True when ``nodes`` holds every node of the cluster (a live LIST of nodes)
    nodes_complete: bool = False
    #: when the objects were read: a live run's clock, or what a --dump recorded (the
    #: latest, when several captures are read together)
    captured_at: datetime | None = None
    #: pods and workloads (object_key) read from a capture with its own capture time
    captured_at_of: dict[str, datetime] = field(default_factory=dict)
    #: what was asked about, as the source resolved it: the named pods (namespace, name) and
    #: workloads (kind, namespace, name); workload_targets is None when no workload was named
    #: (then every pod and top-level workload in the bundle is diagnosed)
    pod_targets: list[tuple[str, str]] = field(default_factory=list)
    workload_targets: list[tuple[str, str, str]] | None = None
    #: a live namespace run that found nothing: kubectl's "No resources found" line, else ""
    nothing_found: str = ""
    #: objects a workload target's owner-chain walk could not place, their ownerReferences
    #: being unreadable (rawjson.controller_unreadable): (namespace, "pod web-1"); such a
    #: workload is never called healthy
    unattributed: list[tuple[str, str]] = field(default_factory=list)
    #: container logs read for the verdicts that name a crashed container (crashlog), or
    #: loaded with a --dump that recorded them
    logs: dict[LogKey, ContainerLog] = field(default_factory=dict)
    #: normalize_event() of each event, made once per run (events_normalized); the list it
    #: was made for, so that a new ``events`` list is normalised anew
    _normalized: tuple[list[JSON], list[tuple[JSON, JSON, Event]]] | None = field(
        default=None, repr=False, compare=False)

    def events_normalized(self) -> list[tuple[JSON, JSON, Event]]:
        """(raw event, the object it regards, the Event) for each event, in order: made once
        (pods, workloads and stand-ins all read them; at 20,000 events each pass costs about
        0.2 s)."""
        done = self._normalized
        if done is None or done[0] is not self.events or len(done[1]) > len(self.events):
            done = self._normalized = (self.events, [])
        # events appended since (a source adds to the list) are normalised as they come
        done[1].extend((raw, *normalize_event(raw)) for raw in self.events[len(done[1]):])
        return done[1]


@dataclass(frozen=True)
class Terminated:
    exit_code: int
    signal: int
    reason: str
    message: str
    started_at: datetime | None
    finished_at: datetime | None


@dataclass(frozen=True)
class State:
    """One of a container's states: waiting, running, terminated, or none recorded."""

    kind: Literal["waiting", "running", "terminated", "none"]
    reason: str = ""
    message: str = ""
    started_at: datetime | None = None
    terminated: Terminated | None = None


NO_STATE = State("none")


@dataclass(frozen=True)
class Probe:
    """A container probe's timing, in seconds, with the API defaults filled in."""

    initial_delay: int = 0
    period: int = 10
    failure_threshold: int = 3
    success_threshold: int = 1
    timeout: int = 1

    @property
    def failing_after(self) -> int:
        """Seconds from container start until failures can reach the threshold."""
        return self.initial_delay + self.failure_threshold * self.period


@dataclass(frozen=True)
class Toleration:
    key: str
    operator: str  # Equal | Exists
    value: str
    effect: str  # "" tolerates every effect

    def tolerates(self, taint: Taint) -> bool:
        """v1 helper ToleratesTaint (k8s.io/api core/v1 toleration.go)."""
        if self.effect and self.effect != taint.effect:
            return False
        if self.key and self.key != taint.key:
            return False
        if self.operator == "Exists":
            return True
        return self.operator in ("", "Equal") and self.value == taint.value


@dataclass(frozen=True)
class Container:
    name: str
    type: ContainerType
    index: int  # position within its spec list (initContainers, containers, ...)
    image: str
    has_status: bool
    state: State
    last_state: State
    ready: bool
    started: bool | None
    restart_count: int
    liveness: Probe | None
    readiness: Probe | None
    startup: Probe | None
    post_start: bool
    pre_stop: bool
    memory_limit: str | None
    memory_request: str | None
    target: str | None  # ephemeral containers: the container they debug
    status_path: str  # e.g. status.containerStatuses[app]

    @property
    def spec_list(self) -> str:
        return {"init": "initContainers", "sidecar": "initContainers", "app": "containers",
                "ephemeral": "ephemeralContainers"}[self.type]


@dataclass(frozen=True)
class Event:
    reason: str
    type: str
    message: str
    count: int
    first_seen: datetime | None
    last_seen: datetime | None
    field_path: str
    container: str | None  # parsed from fieldPath: spec.containers{app} -> app
    component: str
    api: str  # "v1" or "events.k8s.io/v1"
    #: what was of the wrong type in the event ("" when nothing): read as absent, and the
    #: object it regards is not vouched for
    damaged: str = ""


@dataclass(frozen=True)
class Condition:
    type: str
    status: str
    reason: str
    message: str
    last_transition: datetime | None
    last_update: datetime | None = None  # workload conditions (Deployment Progressing)


@dataclass(frozen=True)
class Taint:
    key: str
    value: str
    effect: str


#: required node affinity: terms (any may match) of requirements (all must match):
#: (key, operator, values, is_field)
NodeRequirement = tuple[str, str, tuple[str, ...], bool]
NodeTerm = tuple[NodeRequirement, ...]


@dataclass(frozen=True)
class NodeInfo:
    name: str
    labels: Mapping[str, str]
    conditions: Mapping[str, Condition]
    taints: tuple[Taint, ...]
    unschedulable: bool

    @property
    def ready(self) -> Condition | None:
        return self.conditions.get("Ready")


@dataclass(frozen=True)
class PVCInfo:
    namespace: str
    name: str
    phase: str
    storage_class: str
    volume_name: str


@dataclass(frozen=True)
class PodSnapshot:
    namespace: str
    name: str
    uid: str
    phase: str
    reason: str
    message: str
    node_name: str
    nominated_node: str
    scheduler_name: str
    restart_policy: str
    created: datetime | None
    start_time: datetime | None
    deletion_timestamp: datetime | None
    deletion_grace_seconds: int | None
    finalizers: tuple[str, ...]
    owners: tuple[tuple[str, str], ...]  # (kind, name)
    #: the controller ownerReference (kind, name), which replaces the pod if it fails
    controller: tuple[str, str] | None
    #: a mirror pod: the API's copy of a static pod the kubelet runs from a manifest file
    mirror: bool
    scheduling_gates: tuple[str, ...]
    readiness_gates: tuple[str, ...]
    conditions: Mapping[str, Condition]
    containers: tuple[Container, ...]  # init (incl. sidecars) in order, then app, then ephemeral
    events: tuple[Event, ...]  # oldest first by last_seen
    node: NodeInfo | None
    node_lookup: Lookup
    claims: tuple[str, ...]  # PVC names used by the pod's volumes
    pvcs: Mapping[str, PVCInfo]
    missing_claims: tuple[str, ...]
    requests: Mapping[str, str]  # summed effective requests, as text ("cpu": "2500m")
    memory_limit: str | None  # spec.resources.limits.memory (pod-level resources, KEP-2837)
    active_deadline_seconds: int | None
    node_selector: Mapping[str, str]
    affinity_terms: tuple[str, ...]  # required node affinity, as "key op values" text
    node_affinity: tuple[NodeTerm, ...]  # the same, structured
    tolerations: tuple[Toleration, ...]
    host_ports: tuple[int, ...]
    #: spec.resourceClaims names -> the ResourceClaim's name (status.resourceClaimStatuses)
    resource_claims: Mapping[str, str]
    notes: tuple[str, ...]
    #: every node in the bundle (shared by all pods) and whether that is all of the cluster
    all_nodes: Mapping[str, NodeInfo]
    nodes_complete: bool
    #: why the pod's status cannot be trusted ("" when it can): null, malformed, impossible
    unreadable: str
    raw: Mapping[str, Any] = field(repr=False, compare=False, hash=False)
    #: the fields read as absent because they hold another JSON type than the API gives them
    #: ("status.phase is a list, not a string"): a damaged object podwhy cannot vouch for
    damaged: tuple[str, ...] = ()
    #: True when the reference time is only the newest timestamp in the input (no capture
    #: time): every age measured against it is a lower bound, so "still within N minutes" is
    #: unknowable while "more than N minutes ago" stays true
    ages_are_lower_bounds: bool = False

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    def condition(self, type_: str) -> Condition | None:
        return self.conditions.get(type_)

    def events_with(self, *reasons: str, container: str | None = None) -> list[Event]:
        """Events with one of ``reasons`` (all if none given), newest last."""
        return [e for e in self.events
                if (not reasons or e.reason in reasons)
                and (container is None or e.container == container)]

    def of_type(self, *types: ContainerType) -> list[Container]:
        return [c for c in self.containers if c.type in types]

    def container(self, name: str) -> Container | None:
        for c in self.containers:
            if c.name == name and c.type != "ephemeral":
                return c
        return None

    @property
    def terminal(self) -> bool:
        return self.phase in ("Succeeded", "Failed")


# --------------------------------------------------------------------------------------------
# building

def object_key(obj: Mapping[str, Any]) -> str:
    """A pod's or workload's identity in a bundle: its uid, else kind/namespace/name."""
    meta = as_dict(obj.get("metadata"))
    return as_str(meta.get("uid")) or (f"{as_str(obj.get('kind'))}/"
                                       f"{as_str(meta.get('namespace')) or 'default'}"
                                       f"/{as_str(meta.get('name'))}")


def _state(raw: object) -> State:
    d = as_dict(raw)
    if "waiting" in d and isinstance(d["waiting"], dict):
        w = d["waiting"]
        return State("waiting", as_str(w.get("reason")), as_str(w.get("message")))
    if "terminated" in d and isinstance(d["terminated"], dict):
        t = d["terminated"]
        term = Terminated(
            exit_code=as_int(t.get("exitCode")), signal=as_int(t.get("signal")),
            reason=as_str(t.get("reason")), message=as_str(t.get("message")),
            started_at=parse_time(t.get("startedAt")), finished_at=parse_time(t.get("finishedAt")))
        return State("terminated", term.reason, term.message, term.started_at, term)
    if "running" in d and isinstance(d["running"], dict):
        return State("running", started_at=parse_time(d["running"].get("startedAt")))
    return NO_STATE


#: the largest value of the API's int32 fields (probe timings); larger ones are read as
#: absent, as are grace periods past it (68 years; the API's int64 allows more)
INT32_MAX = 2**31 - 1


def _probe(raw: object) -> Probe | None:
    if not isinstance(raw, dict):
        return None

    def secs(key: str, default: int, low: int) -> int:
        v = as_int(raw.get(key), default)
        return v if low <= v <= INT32_MAX else default  # the API's fields are int32

    return Probe(initial_delay=secs("initialDelaySeconds", 0, 0),
                 period=secs("periodSeconds", 10, 1),
                 failure_threshold=secs("failureThreshold", 3, 1),
                 success_threshold=secs("successThreshold", 1, 1),
                 timeout=secs("timeoutSeconds", 1, 1))


def _containers(spec: JSON, status: JSON) -> tuple[Container, ...]:
    out: list[Container] = []
    lists: tuple[tuple[str, str, ContainerType], ...] = (
        ("initContainers", "initContainerStatuses", "init"),
        ("containers", "containerStatuses", "app"),
        ("ephemeralContainers", "ephemeralContainerStatuses", "ephemeral"),
    )
    for spec_key, status_key, default_type in lists:
        statuses = {as_str(st.get("name")): st for st in as_list(status.get(status_key))
                    if isinstance(st, dict)}
        for index, c in enumerate(as_list(spec.get(spec_key))):
            if not isinstance(c, dict):
                continue
            name = as_str(c.get("name"))
            ctype: ContainerType = default_type
            # A native sidecar is an init container with restartPolicy Always (KEP-753).
            if default_type == "init" and c.get("restartPolicy") == "Always":
                ctype = "sidecar"
            st = statuses.get(name)
            lifecycle = as_dict(c.get("lifecycle"))
            res = as_dict(c.get("resources"))
            started = st.get("started") if st else None
            out.append(Container(
                name=name, type=ctype, index=index, image=as_str(c.get("image")),
                has_status=st is not None,
                state=_state(st.get("state")) if st else NO_STATE,
                last_state=_state(st.get("lastState")) if st else NO_STATE,
                ready=bool(st.get("ready")) if st else False,
                started=started if isinstance(started, bool) else None,
                restart_count=as_int(st.get("restartCount")) if st else 0,
                liveness=_probe(c.get("livenessProbe")),
                readiness=_probe(c.get("readinessProbe")),
                startup=_probe(c.get("startupProbe")),
                post_start="postStart" in lifecycle, pre_stop="preStop" in lifecycle,
                memory_limit=as_str(as_dict(res.get("limits")).get("memory")) or None,
                memory_request=as_str(as_dict(res.get("requests")).get("memory")) or None,
                target=as_str(c.get("targetContainerName")) or None,
                status_path=f"status.{status_key}[{name}]",
            ))
    return tuple(out)


def _conditions(raw: object) -> dict[str, Condition]:
    out: dict[str, Condition] = {}
    for c in as_list(raw):
        if isinstance(c, dict) and c.get("type"):
            out[as_str(c["type"])] = Condition(
                as_str(c["type"]), as_str(c.get("status")), as_str(c.get("reason")),
                as_str(c.get("message")),
                parse_time(c.get("lastTransitionTime")), parse_time(c.get("lastUpdateTime")))
    return out


def _field_path_container(field_path: str) -> str | None:
    # spec.containers{app}, spec.initContainers{init-db}, spec.ephemeralContainers{debugger}
    if "{" in field_path and field_path.endswith("}"):
        return field_path[field_path.index("{") + 1:-1] or None
    return None


def normalize_event(raw: JSON) -> tuple[JSON, Event]:
    """Return (the object it regards, the normalised event) for core/v1 or events.k8s.io/v1."""
    if as_str(raw.get("apiVersion")).startswith("events.k8s.io"):
        obj = as_dict(raw.get("regarding"))
        series = as_dict(raw.get("series"))
        count = as_int(series.get("count")) or as_int(raw.get("deprecatedCount")) or 1
        first = (parse_time(raw.get("deprecatedFirstTimestamp")) or parse_time(raw.get("eventTime"))
                 or parse_time(as_dict(raw.get("metadata")).get("creationTimestamp")))
        last = (parse_time(series.get("lastObservedTime"))
                or parse_time(raw.get("deprecatedLastTimestamp"))
                or parse_time(raw.get("eventTime")) or first)
        message = as_str(raw.get("note"))
        component = as_str(raw.get("reportingController")) or as_str(
            as_dict(raw.get("deprecatedSource")).get("component"))
        api = "events.k8s.io/v1"
    else:
        obj = as_dict(raw.get("involvedObject"))
        series = as_dict(raw.get("series"))
        count = as_int(series.get("count")) or as_int(raw.get("count")) or 1
        first = (parse_time(raw.get("firstTimestamp")) or parse_time(raw.get("eventTime"))
                 or parse_time(as_dict(raw.get("metadata")).get("creationTimestamp")))
        last = (parse_time(series.get("lastObservedTime")) or parse_time(raw.get("lastTimestamp"))
                or parse_time(raw.get("eventTime")) or first)
        message = as_str(raw.get("message"))
        component = as_str(as_dict(raw.get("source")).get("component")) or as_str(
            raw.get("reportingComponent"))
        api = "v1"
    field_path = as_str(obj.get("fieldPath"))
    wrong = wrong_types(raw, _EVENT_SCHEMA)
    ev = Event(reason=as_str(raw.get("reason")), type=as_str(raw.get("type")) or "Normal",
               message=message.strip(), count=count, first_seen=first, last_seen=last,
               field_path=field_path, container=_field_path_container(field_path),
               component=component, api=api, damaged="; ".join(wrong[:2]))
    return obj, ev


def event_damage(events: Iterable[Event]) -> list[str]:
    """What was damaged in each of ``events`` ("event BackOff: count is a string, ..."), for
    the object they regard: its damaged fields include its events'."""
    return [f"event {e.reason or '?'}: {e.damaged}" for e in events if e.damaged]


def _event_sort_key(e: Event) -> tuple[float, float]:
    last = e.last_seen.timestamp() if e.last_seen else 0.0
    first = e.first_seen.timestamp() if e.first_seen else 0.0
    return (last, first)


def parse_quantity(text: str) -> float | None:
    """Parse a Kubernetes quantity into a float of base units (cores, bytes); None for
    anything that is not a finite quantity (inf, nan, garbage)."""
    value = _quantity(text)
    return value if value is not None and math.isfinite(value) else None


def _quantity(text: str) -> float | None:
    suffixes = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60,
                "n": 1e-9, "u": 1e-6, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12,
                "P": 1e15, "E": 1e18}
    t = text.strip()
    for suf in sorted(suffixes, key=len, reverse=True):
        if t.endswith(suf):
            try:
                return float(t[: -len(suf)]) * suffixes[suf]
            except ValueError:
                return None
    try:
        return float(t)
    except ValueError:
        return None


def format_quantity(resource: str, value: float) -> str:
    if resource == "cpu":
        if value == int(value):
            return str(int(value))
        return f"{round(value * 1000)}m"
    if resource in ("memory", "ephemeral-storage") or resource.endswith("storage"):
        for suf, mul in (("Gi", 2**30), ("Mi", 2**20)):
            if value >= mul and (value / mul) == int(value / mul):
                return f"{int(value / mul)}{suf}"
        if value >= 2**30:
            return f"{value / 2**30:.1f}Gi"
        if value >= 2**20:
            return f"{value / 2**20:.0f}Mi"
        return f"{int(value / 2**10)}Ki" if value >= 2**10 else str(int(value))
    return str(int(value)) if value == int(value) else str(value)


def effective_requests(spec: JSON) -> dict[str, str]:
    """The pod's effective requests: max(largest init container, sum of app + sidecars).

    Mirrors the scheduler's accounting (sidecars run alongside the app containers).
    """
    def reqs(c: JSON) -> dict[str, float]:
        out: dict[str, float] = {}
        for k, v in as_dict(as_dict(c.get("resources")).get("requests")).items():
            q = parse_quantity(str(v))
            if q is not None:
                out[str(k)] = q
        return out

    total: dict[str, float] = {}
    for c in as_list(spec.get("containers")):
        for k, v in reqs(as_dict(c)).items():
            total[k] = total.get(k, 0.0) + v
    sidecar_sum: dict[str, float] = {}
    init_max: dict[str, float] = {}
    for c in as_list(spec.get("initContainers")):
        c = as_dict(c)
        r = reqs(c)
        for k, v in r.items():
            # an init container runs next to the sidecars started before it
            init_max[k] = max(init_max.get(k, 0.0), v + sidecar_sum.get(k, 0.0))
        if c.get("restartPolicy") == "Always":
            for k, v in r.items():
                sidecar_sum[k] = sidecar_sum.get(k, 0.0) + v
    for k, v in sidecar_sum.items():
        total[k] = total.get(k, 0.0) + v
    for k, v in init_max.items():
        total[k] = max(total.get(k, 0.0), v)
    return {k: format_quantity(k, v) for k, v in sorted(total.items())}


def _node_info(raw: JSON) -> NodeInfo:
    spec = as_dict(raw.get("spec"))
    taints = tuple(Taint(as_str(t.get("key")), as_str(t.get("value")), as_str(t.get("effect")))
                   for t in as_list(spec.get("taints")) if isinstance(t, dict))
    return NodeInfo(name=as_str(as_dict(raw.get("metadata")).get("name")),
                    labels={str(k): as_str(v) for k, v in
                            as_dict(as_dict(raw.get("metadata")).get("labels")).items()},
                    conditions=_conditions(as_dict(raw.get("status")).get("conditions")),
                    taints=taints, unschedulable=bool(spec.get("unschedulable")))


def _pvc_info(raw: JSON) -> PVCInfo:
    meta = as_dict(raw.get("metadata"))
    spec = as_dict(raw.get("spec"))
    return PVCInfo(namespace=as_str(meta.get("namespace")) or "default",
                   name=as_str(meta.get("name")),
                   phase=as_str(as_dict(raw.get("status")).get("phase")),
                   storage_class=as_str(spec.get("storageClassName")),
                   volume_name=as_str(spec.get("volumeName")))


def pod_claims(pod: JSON) -> list[str]:
    out = []
    for v in as_list(as_dict(pod.get("spec")).get("volumes")):
        claim = as_str(as_dict(as_dict(v).get("persistentVolumeClaim")).get("claimName"))
        if claim:
            out.append(claim)
        # generic ephemeral volumes get a PVC named <pod>-<volume>
        if "ephemeral" in as_dict(v):
            out.append(f"{as_str(as_dict(pod.get('metadata')).get('name'))}-{as_str(as_dict(v).get('name'))}")
    return out


def _node_affinity(spec: JSON) -> tuple[NodeTerm, ...]:
    required = as_dict(as_dict(as_dict(spec.get("affinity")).get("nodeAffinity")).get(
        "requiredDuringSchedulingIgnoredDuringExecution"))
    terms: list[NodeTerm] = []
    for term in as_list(required.get("nodeSelectorTerms")):
        reqs: list[NodeRequirement] = []
        for key, is_field in (("matchExpressions", False), ("matchFields", True)):
            for expr in as_list(as_dict(term).get(key)):
                e = as_dict(expr)
                reqs.append((as_str(e.get("key")), as_str(e.get("operator")),
                             tuple(as_str(v) for v in as_list(e.get("values"))), is_field))
        terms.append(tuple(reqs))
    return tuple(terms)


def _affinity_text(terms: tuple[NodeTerm, ...]) -> tuple[str, ...]:
    return tuple(f"{k} {op} {','.join(vals)}".strip() for term in terms
                 for k, op, vals, _ in term)


def _tolerations(spec: JSON) -> tuple[Toleration, ...]:
    return tuple(Toleration(as_str(t.get("key")), as_str(t.get("operator")) or "Equal",
                            as_str(t.get("value")), as_str(t.get("effect")))
                 for t in as_list(spec.get("tolerations")) if isinstance(t, dict))


def _resource_claims(spec: JSON, status: JSON) -> dict[str, str]:
    claims = {as_str(as_dict(c).get("name")): as_str(as_dict(c).get("resourceClaimName"))
              for c in as_list(spec.get("resourceClaims")) if as_str(as_dict(c).get("name"))}
    for st in as_list(status.get("resourceClaimStatuses")):
        name = as_str(as_dict(st).get("name"))
        if name and as_str(as_dict(st).get("resourceClaimName")):
            claims[name] = as_str(as_dict(st).get("resourceClaimName"))
    return claims


POD_PHASES = frozenset({"Pending", "Running", "Succeeded", "Failed"})


def _phase(pod: JSON, status: JSON) -> str:
    phase = status.get("phase")
    if isinstance(phase, str) and phase in POD_PHASES:
        return phase
    # A pod without a phase is one the API server has not stored yet (it defaults Pending).
    return "Pending" if isinstance(pod.get("status"), dict) and phase is None else "Unknown"


def unreadable_status(pod: JSON) -> str:
    """Why a pod's status cannot be trusted, or "" (the status is usable).

    A real API server always writes status.phase; the kubelet writes a status for every
    container before it reports phase Running (pkg/kubelet/kubelet_pods.go getPhase).
    """
    status = pod.get("status")
    if status is None:
        return "status is null"
    if not isinstance(status, dict):
        return f"status is a {type(status).__name__}, not an object"
    phase = status.get("phase")
    if phase is None or phase == "":
        return "status.phase is missing"
    if not isinstance(phase, str):
        return "status.phase is not a string"
    if phase == "Unknown":
        return ("status.phase is Unknown: the kubelet could not report the pod's state "
                "(a deprecated phase; its node is probably unreachable)")
    if phase not in POD_PHASES:
        return f"status.phase {phase!r} is not a pod phase"
    statuses = status.get("containerStatuses")
    if statuses is not None and not isinstance(statuses, list):
        return "status.containerStatuses is not a list"
    if phase == "Running" and not as_list(statuses):
        return "phase Running but no container statuses"
    for key in ("containerStatuses", "initContainerStatuses", "conditions"):
        if any(not isinstance(x, dict) for x in as_list(status.get(key))):
            return f"status.{key} holds entries that are not objects"
    for key in ("containerStatuses", "initContainerStatuses"):
        for cs in as_list(status.get(key)):
            state = as_dict(cs.get("state"))
            # the kubelet always writes exactly one of them
            if not any(isinstance(state.get(k), dict) for k in ("waiting", "running",
                                                                 "terminated")):
                return (f"status.{key}[{as_str(cs.get('name')) or '?'}].state is missing or "
                        "unreadable")
    return ""


def index_events(g: Gathered, kinds: frozenset[str] | None = frozenset({"Pod"})
                 ) -> tuple[dict[str, list[Event]], dict[tuple[str, str], list[Event]]]:
    """Index pod events by the pod's UID, and (namespace, name) for events without one.

    Only events about Pods count: a ReplicaSet may share the pod's name (k8sgpt#1789), and a
    previous pod with the same name has another UID. Duplicates (the same event read through
    both event APIs) are dropped by metadata.uid, reason and the uid of what they regard.
    """
    by_uid: dict[str, list[Event]] = {}
    by_name: dict[tuple[str, str], list[Event]] = {}
    seen: set[tuple[str, str, str]] = set()
    for raw, obj, ev in g.events_normalized():
        meta = as_dict(raw.get("metadata"))
        ev_uid = as_str(meta.get("uid"))
        if ev_uid:
            # the same event through both APIs; two events that share a uid but not what
            # they say are damaged input, and both are kept
            key = (ev_uid, ev.reason, as_str(obj.get("uid")))
            if key in seen:
                continue
            seen.add(key)
        kind = obj.get("kind")
        # a kind of the wrong type is unknown, not another kind: the event stays with the
        # pod its uid names, which then shows it damaged
        if kinds is not None and isinstance(kind, str) and kind and kind not in kinds:
            continue
        uid = as_str(obj.get("uid"))
        if uid:
            by_uid.setdefault(uid, []).append(ev)
        else:
            ns = as_str(obj.get("namespace")) or as_str(meta.get("namespace")) or "default"
            by_name.setdefault((ns, as_str(obj.get("name"))), []).append(ev)
    return by_uid, by_name


_TIME_KEYS = ("Timestamp", "Time", "At")
_UNTIMED = frozenset({"spec"})


def _times(root: object) -> Iterator[datetime]:
    """Every timestamp in an object (iteratively: input depth is not trusted), except in
    ``spec`` (desired state: no moment that has passed) and ``metadata.managedFields``
    (bookkeeping, and often the largest part of an object).

    deletionTimestamp lies in the future (the end of the grace period); what it proves had
    passed is the deletion request, deletionTimestamp - deletionGracePeriodSeconds.
    """
    stack: list[tuple[object, str]] = [(root, "")]
    while stack:
        obj, key = stack.pop()
        if isinstance(obj, dict):
            for k, v in obj.items():
                if (k in _UNTIMED and obj is root) or k == "managedFields":
                    continue
                if k == "deletionTimestamp":
                    t = parse_time(v)
                    grace = obj.get("deletionGracePeriodSeconds")
                    if t is not None and isinstance(grace, int) and \
                            not isinstance(grace, bool) and 0 <= grace < 10**9:
                        yield t - timedelta(seconds=grace)
                elif isinstance(v, (dict, list)) or (isinstance(k, str) and
                                                      k.endswith(_TIME_KEYS)):
                    stack.append((v, str(k)))
        elif isinstance(obj, list):
            stack.extend((v, key) for v in obj)
        elif key.endswith(_TIME_KEYS):
            t = parse_time(obj)
            if t is not None:
                yield t


ReferenceBasis = Literal["clock", "flag", "capture", "inferred", "none"]


def reference_time(g: Gathered) -> tuple[datetime | None, ReferenceBasis]:
    """The moment saved objects describe: when they were captured (a --dump records it),
    else the latest moment the input proves had passed (its newest timestamp, deletion
    requests included), else None (no timestamp at all).

    Ages and deadlines in offline mode are judged against it, so a snapshot saved during
    yesterday's incident reads the same today.
    """
    if g.captured_at is not None:
        return g.captured_at, "capture"
    newest: datetime | None = None
    for obj in [*g.pods, *g.events, *g.nodes.values(), *g.workloads, *g.pvcs.values()]:
        for t in _times(obj):
            if newest is None or t > newest:
                newest = t
    return newest, ("inferred" if newest is not None else "none")


def reference(g: Gathered, flag: datetime | None,
              clock: datetime) -> tuple[datetime, ReferenceBasis, str]:
    """The time to judge ages and deadlines at, where it comes from, and a warning ("" if
    none): ``--now`` when given (``flag``); for a live bundle (``g.authoritative``) the clock;
    for saved objects :func:`reference_time`, else the clock with basis "none" (ages cannot
    be known). A ``--now`` before the input's own time is kept, with a warning."""
    basis: ReferenceBasis = "flag" if flag is not None else "clock"
    ref = flag if flag is not None else clock
    if g.authoritative:
        return ref, basis, ""
    taken, taken_basis = reference_time(g)
    if flag is None:
        return (taken, taken_basis, "") if taken is not None else (clock, "none", "")
    if taken is not None and taken > flag:
        what = "capture time" if taken_basis == "capture" else "newest timestamp"
        return ref, basis, (f"--now {format_time(flag)} is before the input's {what} "
                            f"{format_time(taken)}: ages and deadlines are judged before the "
                            "input was written")
    return ref, basis, ""


class _Time:
    """A schema leaf: an RFC 3339 time (a string parse_time reads, in years 1 to 9999)."""


class _Int32:
    """A schema leaf: a non-negative int32 (counts and probe timings; core/v1 validation
    rejects negative ones; also deletionGracePeriodSeconds, read only up to INT32_MAX)."""


class _Int64:
    """A schema leaf: a non-negative int64 (grace periods, deadlines)."""


_RANGES: dict[type, tuple[int, int]] = {_Int32: (0, INT32_MAX), _Int64: (0, 2**63 - 1)}


# The pod and event fields the snapshot reads, and nothing else, with the JSON type the API
# gives them (core/v1 Pod and Event, events.k8s.io/v1 Event; k8s.io/api/core/v1/types.go).
# One list, two uses: a field of another type is read as absent, and wrong_types() names it
# so that the user learns the input was damaged; and trim() keeps only these fields, which
# is what the cluster source's lean LISTs keep (tests/test_snapshot.py proves trimmed and
# whole objects give the same verdicts). [X] is a list of X; a leaf ``dict`` is read whole.
_PROBE = dict.fromkeys(("initialDelaySeconds", "periodSeconds", "failureThreshold",
                        "successThreshold", "timeoutSeconds"), _Int32)
_CONTAINER = {"name": str, "image": str, "restartPolicy": str, "ports": [dict],
              "resources": {"requests": dict, "limits": dict}, "lifecycle": dict,
              "livenessProbe": _PROBE, "readinessProbe": _PROBE, "startupProbe": _PROBE,
              "targetContainerName": str}
_C_STATE = {"waiting": {"reason": str, "message": str}, "running": {"startedAt": _Time},
            "terminated": {"exitCode": int, "signal": int, "reason": str, "message": str,
                           "startedAt": _Time, "finishedAt": _Time}}
_C_STATUS = {"name": str, "ready": bool, "started": bool, "restartCount": _Int32, "image": str,
             "state": _C_STATE, "lastState": _C_STATE}
_POD_SCHEMA: dict[str, Any] = {
    "apiVersion": str, "kind": str,
    "metadata": {"name": str, "namespace": str, "uid": str, "labels": dict,
                 "annotations": {"kubernetes.io/config.mirror": str},
                 "creationTimestamp": _Time, "deletionTimestamp": _Time,
                 "deletionGracePeriodSeconds": _Int32, "finalizers": [str],
                 "ownerReferences": [{"kind": str, "name": str, "uid": str,
                                      "controller": bool}]},
    "spec": {"nodeName": str, "restartPolicy": str, "schedulerName": str,
             "activeDeadlineSeconds": _Int64, "terminationGracePeriodSeconds": _Int64,
             "containers": [_CONTAINER], "initContainers": [_CONTAINER],
             "ephemeralContainers": [_CONTAINER],
             "volumes": [{"name": str, "persistentVolumeClaim": dict, "ephemeral": dict}],
             "nodeSelector": dict,
             "affinity": dict, "tolerations": [dict], "readinessGates": [dict],
             "schedulingGates": [dict], "resourceClaims": [dict],
             "resources": {"requests": dict, "limits": dict}},
    "status": {"phase": str, "reason": str, "message": str, "startTime": _Time,
               "nominatedNodeName": str,
               "conditions": [{"type": str, "status": str, "reason": str, "message": str,
                               "lastTransitionTime": _Time}],
               "containerStatuses": [_C_STATUS], "initContainerStatuses": [_C_STATUS],
               "ephemeralContainerStatuses": [_C_STATUS], "resourceClaimStatuses": [dict]},
}
_EVENT_SCHEMA: dict[str, Any] = {
    "apiVersion": str, "kind": str,
    "reason": str, "message": str, "note": str, "type": str, "count": int,
    "firstTimestamp": _Time, "lastTimestamp": _Time, "eventTime": _Time,
    "source": {"component": str}, "reportingComponent": str, "reportingController": str,
    "deprecatedSource": {"component": str}, "deprecatedCount": int,
    "deprecatedFirstTimestamp": _Time, "deprecatedLastTimestamp": _Time,
    "involvedObject": {"kind": str, "name": str, "namespace": str, "uid": str,
                       "fieldPath": str},
    "regarding": {"kind": str, "name": str, "namespace": str, "uid": str, "fieldPath": str},
    "series": {"count": int, "lastObservedTime": _Time},
    "metadata": {"name": str, "namespace": str, "uid": str, "creationTimestamp": _Time},
}
_CONDITIONS = [{"type": str, "status": str, "reason": str, "message": str,
                "lastTransitionTime": _Time}]
_WORKLOAD_COMMON: dict[str, Any] = {
    "metadata": {"name": str, "namespace": str, "uid": str, "generation": _Int64,
                 "creationTimestamp": _Time, "labels": dict, "annotations": dict,
                 "ownerReferences": [{"kind": str, "name": str, "uid": str,
                                      "controller": bool}]},
}
_REPLICAS = {"replicas": _Int32, "readyReplicas": _Int32, "availableReplicas": _Int32,
             "updatedReplicas": _Int32, "currentReplicas": _Int32, "observedGeneration": _Int64,
             "conditions": _CONDITIONS}
_TEMPLATE = {"metadata": dict, "spec": {"nodeSelector": dict, "tolerations": [dict],
                                        "containers": [dict], "initContainers": [dict]}}
#: per kind (apps/v1, batch/v1): the fields workloads.py and the workload rules read
_WORKLOAD_SCHEMA: dict[str, dict[str, Any]] = {
    kind: {**_WORKLOAD_COMMON, "spec": spec, "status": status} for kind, spec, status in (
        ("Deployment", {"replicas": _Int32, "paused": bool, "progressDeadlineSeconds": _Int32,
                        "selector": dict, "template": _TEMPLATE}, _REPLICAS),
        ("ReplicaSet", {"replicas": _Int32, "selector": dict, "template": _TEMPLATE},
         _REPLICAS),
        ("StatefulSet", {"replicas": _Int32, "selector": dict, "template": _TEMPLATE},
         _REPLICAS),
        ("DaemonSet", {"selector": dict, "template": _TEMPLATE, "updateStrategy": dict},
         {"desiredNumberScheduled": _Int32, "numberReady": _Int32, "numberAvailable": _Int32,
          "updatedNumberScheduled": _Int32, "currentNumberScheduled": _Int32,
          "numberMisscheduled": _Int32, "observedGeneration": _Int64, "conditions": _CONDITIONS}),
        ("Job", {"completions": _Int32, "parallelism": _Int32, "backoffLimit": _Int32,
                 "activeDeadlineSeconds": _Int64, "suspend": bool, "selector": dict,
                 "template": _TEMPLATE},
         {"active": _Int32, "ready": _Int32, "succeeded": _Int32, "failed": _Int32,
          "startTime": _Time, "completionTime": _Time, "conditions": _CONDITIONS}),
        ("CronJob", {"schedule": str, "suspend": bool, "startingDeadlineSeconds": _Int64,
                     "jobTemplate": dict},
         {"active": [{"kind": str, "name": str, "namespace": str, "uid": str}],
          "lastScheduleTime": _Time, "lastSuccessfulTime": _Time}),
    )
}


def _trimmer(want: Any) -> Callable[[Any], Any] | None:
    """A function keeping of a value only what the schema ``want`` lists, in the value's own
    order; None where the value is kept whole (a leaf, a list of leaves). A value of another
    type than the schema's is kept as it is, so that wrong_types() still names it. Built once
    per schema: a lean LIST trims every pod and event of a cluster."""
    if isinstance(want, dict):
        keep = frozenset(want)
        nested = [(k, t) for k, sub in want.items() if (t := _trimmer(sub)) is not None]

        def trim_object(value: Any) -> Any:
            if value.__class__ is not dict:
                return value
            out = {k: v for k, v in value.items() if k in keep}
            for k, t in nested:
                if k in out:
                    out[k] = t(out[k])
            return out
        return trim_object
    if isinstance(want, list):
        item = _trimmer(want[0])
        if item is None:
            return None

        def trim_list(value: Any) -> Any:
            return [item(v) for v in value] if value.__class__ is list else value
        return trim_list
    return None


_TRIM_POD = _trimmer(_POD_SCHEMA)
_TRIM_EVENT = _trimmer(_EVENT_SCHEMA)


#: Pod event reasons no rule reads: namespace-wide runs leave them on the server (a --dump
#: still records them); tests/test_snapshot.py judges every bundled input with and without.
UNREAD_EVENT_REASONS = ("Scheduled",)
#: Pod event reasons read only to tell whether an image pull has ended (PW214), for a pod
#: with a Pulling event and a container still being created (pull_event_pods): namespace-wide
#: runs leave them on the server and fetch them for those pods alone. On a busy cluster they
#: are most of the events.
PULL_EVENT_REASONS = ("Pulled", "Created", "Started")
#: the waiting reasons whose check reads them (rules.container.create: STARTING_REASONS, and
#: a waiting container without a reason)
_STARTING = frozenset({"ContainerCreating", "PodInitializing", ""})


def pull_event_pods(g: Gathered) -> set[str]:
    """The uids of the pods whose PULL_EVENT_REASONS events can change their verdict: a
    Pulling event about them is in ``g.events``, and a container of theirs waits to be
    created (or none has a status yet)."""
    pulling = {as_str(obj.get("uid")) for _, obj, e in g.events_normalized()
               if e.reason == "Pulling"} - {""}
    out = set()
    for pod in g.pods:
        uid = meta_str(pod, "uid")
        if uid not in pulling:
            continue
        status = as_dict(pod.get("status"))
        states = [as_dict(as_dict(cs).get("state")) for key in ("initContainerStatuses",
                                                               "containerStatuses")
                  for cs in as_list(status.get(key))]
        if not states or any(isinstance(s.get("waiting"), dict) and as_str(
                as_dict(s.get("waiting")).get("reason")) in _STARTING for s in states):
            out.add(uid)
    return out


def trim_pod(pod: JSON) -> JSON:
    """A pod with only the fields the snapshot reads (on big clusters env, mounts, args and
    annotations are most of a pod's size)."""
    assert _TRIM_POD is not None
    out: JSON = _TRIM_POD(pod)
    return out


def trim_event(event: JSON) -> JSON:
    """An event (core/v1 or events.k8s.io/v1) with only the fields the snapshot reads."""
    assert _TRIM_EVENT is not None
    out: JSON = _TRIM_EVENT(event)
    return out


def workload_wrong_types(raw: JSON) -> list[str]:
    """wrong_types() for a Deployment, ReplicaSet, StatefulSet, DaemonSet, Job or CronJob."""
    schema = _WORKLOAD_SCHEMA.get(as_str(raw.get("kind")))
    return wrong_types(raw, schema) if schema else []


_TYPE_NAMES = {str: "a string", int: "an integer", bool: "a boolean", dict: "an object",
               list: "a list", float: "a number", type(None): "null",
               _Time: "an RFC 3339 time", _Int32: "a non-negative int32",
               _Int64: "a non-negative int64"}


def wrong_types(obj: JSON, schema: Mapping[str, Any] = _POD_SCHEMA) -> list[str]:
    """The fields of ``obj`` that ``schema`` knows and that hold another JSON type, as
    "path is X, not Y", in document order (null counts as absent, never wrong). The walk
    follows the schema, never the input, so its depth is the schema's."""
    out: list[tuple[object, object, type]] = []
    _walk(obj, schema, None, out)
    return [f"{_path(at)} is {_TYPE_NAMES.get(type(v), type(v).__name__)}, not "
            f"{_TYPE_NAMES[want]}" for at, v, want in out[:50]]


# A path is a linked list (parent, segment), built for every field visited and spelled out
# only for the wrong ones; a segment is a key, or "[name]" / "[index]" in a list.
def _leaf_ok(v: object, want: type) -> bool:
    """A leaf value of the wanted kind: a time parse_time reads, an int in _RANGES, or
    exactly the JSON type (bool is not an int, an int is not a float)."""
    if want is _Time:
        return v.__class__ is str and parse_time(v) is not None
    if want in _RANGES:
        low, high = _RANGES[want]
        return v.__class__ is int and low <= v <= high
    return v.__class__ is want


def _walk(value: object, want: Any, at: object,
          out: list[tuple[object, object, type]]) -> None:
    if isinstance(want, dict):
        if not isinstance(value, dict):
            out.append((at, value, dict))
            return
        for key, sub in want.items():
            v = value.get(key)
            if v is None:
                continue
            if sub.__class__ is type:
                if not _leaf_ok(v, sub):
                    out.append(((at, key), v, sub))
            else:
                _walk(v, sub, (at, key), out)
    elif isinstance(want, list):
        if not isinstance(value, list):
            out.append((at, value, list))
            return
        item_want = want[0]
        for i, item in enumerate(value):
            if item is None:  # an entry that is null is no entry of the API's type
                out.append(((at, f"[{i}]"), item,
                            item_want if item_want.__class__ is type else dict))
                continue
            if item_want.__class__ is type:
                if not _leaf_ok(item, item_want):
                    out.append(((at, f"[{i}]"), item, item_want))
            else:
                name = item.get("name") if isinstance(item, dict) else None
                _walk(item, item_want, (at, f"[{name if isinstance(name, str) else i}]"), out)


def _path(at: object) -> str:
    parts: list[str] = []
    while isinstance(at, tuple):
        at, segment = at
        parts.append(str(segment))
    return "".join(p if p.startswith("[") or i == len(parts) - 1 else f".{p}"
                   for i, p in reversed(list(enumerate(parts))))


def build_snapshots(g: Gathered, *, lower_bounds: bool = False) -> list[PodSnapshot]:
    """One :class:`PodSnapshot` per pod in ``g.pods``, in order. ``lower_bounds`` marks ages
    as lower bounds (see :attr:`PodSnapshot.ages_are_lower_bounds`)."""
    by_uid, by_name = index_events(g)
    nodes = {name: _node_info(raw) for name, raw in g.nodes.items()
             if isinstance(raw, dict)}
    pvcs = {key: _pvc_info(raw) for key, raw in g.pvcs.items()}
    stray = _stray_damage(g, {meta_str(p, "uid") for p in g.pods})
    return [build_snapshot(p, by_uid, by_name, nodes, pvcs, g, lower_bounds=lower_bounds,
                           stray=stray.get(meta_str(p, "namespace") or "default", ()))
            for p in g.pods]


def _stray_damage(g: Gathered, pod_uids: set[str]) -> dict[str, list[str]]:
    """By namespace: damaged events that cannot be told to be about any pod (the object
    they regard is unreadable, or of a kind that is not a name) and name none by its uid.
    Every pod of their namespace is then damaged: such an event may be the only sign of its
    trouble."""
    out: dict[str, list[str]] = {}
    for raw, obj, e in g.events_normalized():
        regarded = raw.get("involvedObject") or raw.get("regarding")
        kind = obj.get("kind")
        if not e.damaged or as_str(obj.get("uid")) in pod_uids or (
                isinstance(regarded, dict) and (kind is None or isinstance(kind, str))):
            continue
        ns = as_str(obj.get("namespace")) or meta_str(raw, "namespace") or "default"
        out.setdefault(ns, []).append(f"an event about an object podwhy cannot identify: "
                                      f"{e.damaged}")
    return out


def build_snapshot(pod: JSON, by_uid: Mapping[str, list[Event]],
                   by_name: Mapping[tuple[str, str], list[Event]],
                   nodes: Mapping[str, NodeInfo], pvcs: Mapping[tuple[str, str], PVCInfo],
                   g: Gathered, *, lower_bounds: bool = False,
                   stray: Sequence[str] = ()) -> PodSnapshot:
    meta = as_dict(pod.get("metadata"))
    spec = as_dict(pod.get("spec"))
    status = as_dict(pod.get("status"))
    ns = as_str(meta.get("namespace")) or "default"
    name = as_str(meta.get("name"))
    uid = as_str(meta.get("uid"))
    events = list(by_uid.get(uid, [])) if uid else []
    # Events without an involvedObject.uid can only be matched by name.
    events += by_name.get((ns, name), [])
    events.sort(key=_event_sort_key)
    node_name = as_str(spec.get("nodeName"))
    node = nodes.get(node_name) if node_name else None
    lookup: Lookup = "unknown"
    if node is not None:
        lookup = "found"
    elif node_name and (node_name in g.missing_nodes):
        lookup = "missing"
    claims = tuple(pod_claims(pod))
    known = {c: pvcs[(ns, c)] for c in claims if (ns, c) in pvcs}
    missing = tuple(c for c in claims if (ns, c) in g.missing_pvcs)
    owners = tuple((as_str(o.get("kind")), as_str(o.get("name")))
                   for o in as_list(meta.get("ownerReferences")) if isinstance(o, dict))
    grace = meta.get("deletionGracePeriodSeconds")
    notes = tuple(dict.fromkeys(g.notes.get("", []) + g.notes.get(uid, [])))  # each once
    wrong = wrong_types(pod) + event_damage(events) + list(stray)
    if meta.get("name") is None:  # the API server names every pod: made up, or cut
        wrong.insert(0, "metadata.name is missing")
    if wrong:
        more = f" (and {len(wrong) - 3} more)" if len(wrong) > 3 else ""
        notes += (f"pod {ns}/{name}: read as absent, of the wrong type: "
                  f"{'; '.join(wrong[:3])}{more}",)
    affinity = _node_affinity(spec)
    return PodSnapshot(
        namespace=ns, name=name, uid=uid,
        phase=_phase(pod, status),
        reason=as_str(status.get("reason")), message=as_str(status.get("message")).strip(),
        node_name=node_name, nominated_node=as_str(status.get("nominatedNodeName")),
        scheduler_name=as_str(spec.get("schedulerName")) or "default-scheduler",
        restart_policy=as_str(spec.get("restartPolicy")) or "Always",
        created=parse_time(meta.get("creationTimestamp")),
        start_time=parse_time(status.get("startTime")),
        deletion_timestamp=parse_time(meta.get("deletionTimestamp")),
        deletion_grace_seconds=(grace if isinstance(grace, int) and not isinstance(grace, bool)
                                and 0 <= grace <= INT32_MAX else None),
        finalizers=tuple(as_str(f) for f in as_list(meta.get("finalizers"))),
        owners=owners,
        controller=next(((as_str(o.get("kind")), as_str(o.get("name")))
                         for o in as_list(meta.get("ownerReferences"))
                         if isinstance(o, dict) and o.get("controller") is True), None),
        mirror="kubernetes.io/config.mirror" in as_dict(meta.get("annotations")),
        scheduling_gates=tuple(as_str(as_dict(x).get("name"))
                               for x in as_list(spec.get("schedulingGates"))),
        readiness_gates=tuple(as_str(as_dict(x).get("conditionType"))
                              for x in as_list(spec.get("readinessGates"))),
        conditions=_conditions(status.get("conditions")),
        containers=_containers(spec, status),
        events=tuple(events),
        node=node, node_lookup=lookup,
        claims=claims, pvcs=known, missing_claims=missing,
        requests=effective_requests(spec),
        memory_limit=as_str(as_dict(as_dict(spec.get("resources")).get("limits"))
                            .get("memory")) or None,
        active_deadline_seconds=as_int(spec.get("activeDeadlineSeconds"), 0) or None,
        node_selector={str(k): as_str(v) for k, v in as_dict(spec.get("nodeSelector")).items()},
        affinity_terms=_affinity_text(affinity),
        node_affinity=affinity,
        tolerations=_tolerations(spec),
        host_ports=tuple(sorted({as_int(port.get("hostPort"))
                                 for c in as_list(spec.get("containers"))
                                 + as_list(spec.get("initContainers"))
                                 for port in as_list(as_dict(c).get("ports"))
                                 if isinstance(port, dict) and as_int(port.get("hostPort"))})),
        resource_claims=_resource_claims(spec, status),
        notes=notes,
        all_nodes=nodes,
        nodes_complete=g.nodes_complete,
        unreadable=unreadable_status(pod),
        raw=pod,
        ages_are_lower_bounds=lower_bounds,
        damaged=tuple(wrong),
    )


# --------------------------------------------------------------------------------------------
# workloads: what the snapshot reads of a Deployment, ReplicaSet, Job, ...

STAND_IN = "kubectl-podwhy/stand-in"


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


def _count(value: object, default: int = 0) -> int:
    """A replica count as the workload schema reads it: a non-negative int32, else absent
    (``default``); workload_wrong_types() names the wrong one."""
    return value if _leaf_ok(value, _Int32) and isinstance(value, int) else default


def build_workload(raw: JSON, events: Mapping[str, list[Event]]) -> Workload:
    meta, spec = as_dict(raw.get("metadata")), as_dict(raw.get("spec"))
    status = as_dict(raw.get("status"))
    kind = as_str(raw.get("kind"))
    desired: int | None = None
    ready = available = updated = current = 0
    if kind in ("Deployment", "ReplicaSet", "StatefulSet"):
        desired = _count(spec.get("replicas"), 1) if "replicas" in spec else 1
        ready = _count(status.get("readyReplicas"))
        available = _count(status.get("availableReplicas"))
        updated = _count(status.get("updatedReplicas"))
        current = _count(status.get("replicas"))
    elif kind == "DaemonSet":
        desired = _count(status.get("desiredNumberScheduled"))
        ready = _count(status.get("numberReady"))
        available = _count(status.get("numberAvailable"))
        updated = _count(status.get("updatedNumberScheduled"))
        current = _count(status.get("currentNumberScheduled"))
    elif kind == "Job":
        desired = _count(spec.get("completions"), 1) if "completions" in spec else None
        ready = _count(status.get("ready"))
        current = _count(status.get("active"))
        available = _count(status.get("succeeded"))
    elif kind == "CronJob":
        current = len(as_list(status.get("active")))
    uid = as_str(meta.get("uid"))
    own = events.get(uid, []) if uid else []
    stand_in = as_dict(meta.get("annotations")).get(STAND_IN) == "true"
    # without its uid no ownerReference leads to it: its ReplicaSets, Jobs and pods are not
    # found, and "no pods" would read as all is well
    missing = [] if uid or stand_in else [
        "metadata.uid is missing: what it owns cannot be found by ownerReference"]
    damaged = tuple(missing + workload_wrong_types(raw) + event_damage(own))
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
    kept = {meta_str(w, "uid") for w in g.workloads}
    kept_names = {(as_str(w.get("kind")), meta_str(w)) for w in g.workloads}

    def wanted(e: JSON) -> bool:
        obj = as_dict(e.get("involvedObject") or e.get("regarding"))
        kind = as_str(obj.get("kind"))
        return kind in ("Pod", "") or as_str(obj.get("uid")) in kept or \
            (kind, as_str(obj.get("name"))) in kept_names
    g.events = [e for e in g.events if wanted(e)]

"""The engine: run the chain over a pod, keep only current evidence, decide the state.

Three states, decided here and nowhere else:

- ``failing``: an error finding that the current state corroborates. Pods first: the first
  pod-level error is the verdict, and container symptoms it explains are not causes;
  otherwise the first container-level error (init containers in order, then sidecars, then
  app containers).
- ``progressing``: no error, and the pod is not serving yet (or is being deleted); the
  verdict is the first "waiting" finding: what the pod waits for, since when, and when it
  counts as stuck. When no rule explains a pod that is not serving, the fallback rule does:
  an unknown state is never healthy.
- ``healthy``: Succeeded, or Running and Ready (readiness gates included), with no error
  and nothing waited for. Warnings do not change it.

Evidence must be current: a finding drawn from events alone (events live about an hour and
outlive the problem) holds only while the state of what it is about still shows a problem
(the pod not Ready, the container not ready or restarting, the workload short of pods);
otherwise it is kept as a warning marked as history. This is written once, in
:func:`corroborated`, for every rule.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import datetime

from kubectl_podwhy.crashlog import attach_logs, log_requests
from kubectl_podwhy.errors import ExitCode
from kubectl_podwhy.report import (
    STATES,
    Finding,
    PodReport,
    Report,
    State,
    WorkloadReport,
    WorkloadView,
    pods_of,
)
from kubectl_podwhy.rules.chain import (
    CONTAINER_CHAIN,
    DAMAGED,
    FALLBACK,
    POD_CHAIN,
    STATUS_CHECK,
    WORKLOAD_CHAIN,
    WORKLOAD_DAMAGED,
    WORKLOAD_PROGRESS,
)
from kubectl_podwhy.rules.container import BACKOFF_RESET_SECONDS
from kubectl_podwhy.snapshot import (
    Container,
    Gathered,
    LogRequest,
    PodSnapshot,
    ReferenceBasis,
    Workload,
    build_snapshots,
    object_key,
)
from kubectl_podwhy.status import pod_columns
from kubectl_podwhy.workloads import build_views, owner_groups, owner_state, replaced


def run_chain(pod: PodSnapshot, now: datetime) -> list[Finding]:
    unreadable = STATUS_CHECK(pod, now)
    if unreadable:
        return unreadable
    findings: list[Finding] = []
    for check in POD_CHAIN:
        findings += check(pod, now)
    explained = any(f.explains_containers for f in findings)
    # A Succeeded pod is done: sidecars killed at the end of a Job (137/143) are not failures.
    if not explained and pod.phase != "Succeeded":
        for check in CONTAINER_CHAIN:
            findings += check(pod, now)
    return findings


def serving(pod: PodSnapshot) -> bool:
    """Succeeded, or Running with the Ready condition True (the kubelet folds readiness
    gates into Ready: pkg/kubelet/status/generate.go)."""
    if pod.unreadable:
        return False
    if pod.phase == "Succeeded":
        return True
    ready = pod.condition("Ready")
    if pod.phase == "Running" and ready is not None and ready.status == "True":
        return True
    # A batch pod (restartPolicy Never or OnFailure) is never Ready again once one of its
    # containers finished (the kubelet marks terminated containers unready), yet it runs
    # fine while the others run and the finished ones succeeded.
    apps = pod.of_type("app")
    return (pod.phase == "Running" and pod.restart_policy in ("Never", "OnFailure")
            and bool(apps) and all(_done_or_serving(c) for c in apps))


def _done_or_serving(c: Container) -> bool:
    t = c.state.terminated
    if c.state.kind == "terminated" and t is not None:
        return t.exit_code == 0 and not t.signal
    return c.state.kind == "running" and c.ready


def container_troubled(pod: PodSnapshot, c: Container, now: datetime) -> bool:
    """Does the container's state show a problem now? Not ready, not running, or restarted
    within the kubelet's back-off window (10 minutes: a container that has run that long since
    its last restart is out of its crash loop)."""
    if c.type == "init":
        t = c.state.terminated
        return not (t is not None and t.exit_code == 0 and not t.signal)
    if c.state.kind != "running" or not c.ready:
        return True
    last = c.last_state.terminated
    return (c.restart_count > 0 and last is not None and last.finished_at is not None
            and (now - last.finished_at).total_seconds() <= BACKOFF_RESET_SECONDS)


def corroborated(f: Finding, pod: PodSnapshot, now: datetime) -> bool:
    """Does the pod's current state still show the problem a finding reports?"""
    if f.holds_while is None:
        return True  # drawn from the object's status: current by construction
    if f.holds_while == "container-troubled" and f.container is not None:
        c = next((x for x in pod.containers if x.name == f.container
                  and x.type == f.container_type), None)
        return c is None or container_troubled(pod, c, now)
    return not serving(pod)


def _history(f: Finding, what: str) -> Finding:
    return replace(f, severity="warning", summary=f"{f.summary} (history: {what} now)")


def settle(findings: Iterable[Finding], pod: PodSnapshot, now: datetime) -> list[Finding]:
    """Keep errors and waits only while the current state corroborates them."""
    out = []
    for f in findings:
        if f.severity != "warning" and not corroborated(f, pod, now):
            what = (f"container {f.container} is running and ready"
                    if f.holds_while == "container-troubled" else "the pod is serving")
            f = _history(f, what)
        out.append(f)
    return out


def _pick(findings: Sequence[Finding], severity: str) -> Finding | None:
    candidates = [f for f in findings if f.severity == severity]
    for level in ("workload", "pod", "container"):
        for f in candidates:
            if f.level == level:
                return f
    return None


def decide(findings: Sequence[Finding], is_serving: bool) -> tuple[State, Finding | None]:
    error = _pick(findings, "error")
    if error is not None:
        return "failing", error
    waiting = _pick(findings, "waiting")
    if waiting is not None:
        return "progressing", waiting
    if is_serving:
        return "healthy", None
    return "progressing", None  # unreachable after the fallback; never "healthy"


def diagnose_pod(pod: PodSnapshot, now: datetime) -> PodReport:
    findings = settle(run_chain(pod, now), pod, now)
    is_serving = serving(pod)
    if not is_serving and not any(f.severity in ("error", "waiting") for f in findings):
        findings += FALLBACK(pod, now)
    if not any(f.severity == "error" for f in findings):
        findings += DAMAGED(pod, now)
    state, verdict = decide(findings, is_serving)
    columns = pod_columns(dict(pod.raw))
    return PodReport(pod=pod, status=columns.status, state=state, verdict=verdict,
                     findings=tuple(findings), ready=(columns.ready, columns.total),
                     restarts=columns.restarts, last_restart=columns.last_restart)


def diagnose_all(pods: Iterable[PodSnapshot], now: datetime) -> list[PodReport]:
    return [diagnose_pod(p, now) for p in pods]


# --- workloads --------------------------------------------------------------------------------

def _workload_short(w: Workload, view: WorkloadView) -> bool:
    """Fewer pods than it wants (what FailedCreate is about)."""
    if w.kind == "Job":
        done = any(c is not None and c.status == "True"
                   for c in (w.condition("Complete"), w.condition("Failed")))
        return not done and max(w.current, len(pods_of(view, w))) == 0
    if w.desired is None:
        return True
    return max(w.current, len(pods_of(view, w))) < w.desired


def _workload_unavailable(w: Workload) -> bool:
    return w.desired is None or w.available < w.desired or w.ready < w.desired


def _settle_workload(f: Finding, view: WorkloadView) -> Finding:
    if f.severity == "warning" or f.holds_while is None:
        return f
    subject = next((w for w in (view.workload, *view.children) if w.key == f.subject),
                   view.workload)
    if f.holds_while == "workload-short":
        if _workload_short(subject, view):
            return f
        return _history(f, f"{subject.kind} {subject.name} has all its pods")
    if _workload_unavailable(subject):
        return f
    return _history(f, f"{subject.kind} {subject.name} has all its replicas available")


def diagnose_workload(view: WorkloadView, now: datetime) -> WorkloadReport:
    """Workload findings first (a controller error explains missing pods); then its current
    pods (the new ReplicaSet's, the newest Job's): failing if one fails; progressing while
    the rollout (judged as kubectl rollout status does) or a pod is still under way."""
    findings: list[Finding] = []
    for check in WORKLOAD_CHAIN:
        findings += [_settle_workload(f, view) for f in check(view, now)]
    if not any(f.severity in ("error", "waiting") for f in findings):
        for check in WORKLOAD_PROGRESS:
            findings += check(view, now)
    if not any(f.severity == "error" for f in findings):
        findings += WORKLOAD_DAMAGED(view, now)
    error = _pick(findings, "error")
    current = view.current_groups
    failing = [g for g in current if g.state == "failing"]
    state: State
    verdict: Finding | None
    if error is not None:
        state, verdict = "failing", error
    elif failing:
        state, verdict = "failing", failing[0].verdict
    else:
        waiting = _pick(findings, "waiting")
        progressing = [g for g in current if g.state == "progressing"]
        if waiting is not None or progressing:
            state = "progressing"
            verdict = waiting if waiting is not None else progressing[0].verdict
        else:
            state, verdict = "healthy", None
    if state == "failing":
        # What a failing workload waited for is beside the point: its fault is the verdict.
        findings = [f for f in findings if f.severity != "waiting"]
    return WorkloadReport(view=view, state=state, verdict=verdict, findings=tuple(findings))


# --- the run ----------------------------------------------------------------------------------

def worst(states: Iterable[State]) -> State:
    seen = set(states)
    return next((s for s in STATES if s in seen), "healthy")


def overall_state(result: Report) -> State:
    """What the exit code reports: the named targets' states, else everything's."""
    if result.targets:
        wanted = set(result.targets)
        return worst([r.state for r in result.pods if f"pod/{r.pod.key}" in wanted]
                     + [w.state for w in result.workloads if w.view.workload.key in wanted])
    # A workload stands for its pods (it judges their active ones); of the other pods, those
    # already replaced are history.
    covered = {r.pod.key for w in result.workloads for r in w.view.reports}
    return worst([r.state for r in result.pods if r.pod.key not in result.replaced | covered]
                 + [w.state for w in result.workloads]
                 + [owner_state(o, result.replaced) for o in result.owners])


EXIT_OF_STATE: dict[State, ExitCode] = {
    "healthy": ExitCode.HEALTHY, "failing": ExitCode.PROBLEM,
    "progressing": ExitCode.PROGRESSING}


def exit_code(result: Report) -> ExitCode:
    return EXIT_OF_STATE[overall_state(result)]


#: reads the container logs a run wants into the bundle (Gathered.logs; what it could not
#: read, as notes): the source's read_logs
LogReader = Callable[[Gathered, Sequence[LogRequest]], None]


def assemble(g: Gathered, workload_targets: Sequence[tuple[str, str, str]] | None,
             now: datetime, *, basis: ReferenceBasis = "clock",
             pod_targets: Sequence[tuple[str, str]] = (), log_lines: int = 0,
             read_logs: LogReader | None = None) -> Report:
    """Diagnose every pod in the bundle, then the workloads above them.

    ``now`` is the reference time; with ``basis`` "capture", a pod or workload read from a
    capture with a capture time of its own is judged at that time. ``log_lines`` > 0: a
    verdict about a crashed container gets the last lines of its log (crashlog), those in
    the bundle and those ``read_logs`` reads (one per verdict group)."""
    own = g.captured_at_of if basis == "capture" else {}

    pods = [diagnose_pod(p, own.get(object_key(p.raw), now))
            for p in build_snapshots(g, lower_bounds=basis == "inferred")]
    if log_lines > 0:
        wanted = log_requests(pods, log_lines, g.logs) if read_logs is not None else []
        if read_logs is not None and wanted:
            read_logs(g, wanted)
        pods = attach_logs(pods, g.logs, log_lines)
    views = build_views(g, pods, workload_targets, now)
    # A namespace run groups the pods no workload above covers by their owner reference.
    covered = {id(r) for v in views for r in v.reports}
    loose = [r for r in pods if id(r) not in covered]
    targets = tuple([f"pod/{ns}/{name}" for ns, name in pod_targets]
                    + [f"{k}/{ns}/{n}" for k, ns, n in workload_targets or ()])
    times = sorted(set(own.values()))
    return Report(pods=tuple(pods),
                  workloads=tuple(diagnose_workload(v, own.get(v.workload.object_key, now))
                                  for v in views),
                  owners=tuple(owner_groups(loose))
                  if workload_targets is None and len(pods) > 1 else (),
                  as_of=now, as_of_basis=basis, targets=targets,
                  as_of_earliest=times[0] if len(times) > 1 else None,
                  replaced=frozenset(replaced(pods)))

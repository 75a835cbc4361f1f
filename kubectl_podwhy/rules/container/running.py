"""Probes and running: failing liveness, startup and readiness probes, lifecycle hooks, an
init container that does not exit, a container running but not ready, a recent restart
(PW230-PW260)."""
from __future__ import annotations

from datetime import datetime

from kubectl_podwhy.report import Finding
from kubectl_podwhy.rules import messages as m
from kubectl_podwhy.rules.base import (
    K8S,
    Rule,
    Wait,
    container_events,
    ev,
    exit_text,
    field,
    finding,
    logs_cmd,
    newest,
    recent,
    restarts,
    term_evidence,
    waiting_evidence,
    where,
)
from kubectl_podwhy.snapshot import Container, Event, PodSnapshot, Terminated
from kubectl_podwhy.timeutil import format_time, human_duration

LIVENESS_PROBE = Rule(
    id="PW230", fail_fast="past-restarts", name="liveness-probe", level="container",
    title="Liveness probe failing",
    why="The liveness probe fails, so the kubelet kills and restarts the container.",
    fix="Check that the endpoint answers within timeoutSeconds; give slow starts a startupProbe; "
        "never make liveness depend on other services.",
    docs=f"{K8S}/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/")

STARTUP_PROBE = Rule(
    id="PW231", fail_fast="past-restarts", name="startup-probe", level="container",
    title="Startup probe failing",
    why="The startup probe has not succeeded; the container is restarted when it runs out of "
        "attempts, and (for a sidecar) the containers after it do not start.",
    fix="Raise failureThreshold x periodSeconds to cover the real start time, or fix the endpoint.",
    docs=f"{K8S}/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/",
    deadline="the probe's own budget (initialDelaySeconds + failureThreshold x "
             "periodSeconds): the kubelet restarts the container then")

READINESS_PROBE = Rule(
    id="PW232", name="readiness-probe", level="container",
    title="Readiness probe failing",
    why="The container runs but its readiness probe fails, so the pod gets no Service traffic.",
    fix="Check the probe's endpoint and the dependencies it checks; kubectl logs shows why.",
    docs=f"{K8S}/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/",
    deadline="after the container started: the startup probe's budget, then the readiness "
             "probe's initialDelaySeconds + failureThreshold x periodSeconds, plus 30 s")

NOT_READY = Rule(
    id="PW233", name="not-ready", level="container",
    title="Container running but not ready",
    why="The container is running but not ready and no probe failure is on record (events may "
        "have expired).",
    fix="Describe the pod and check the readiness probe and the application's logs.",
    docs=f"{K8S}/concepts/workloads/pods/pod-lifecycle/#container-probes",
    deadline="as PW232 with a readiness probe; without one, 2 minutes after it started")

POSTSTART_HOOK = Rule(
    id="PW240", fail_fast="past-restarts", name="poststart-hook", level="container",
    title="postStart hook failing",
    why="The container's postStart hook failed, so the kubelet killed the container. The error is "
        "deliberately kept out of events (it may hold secrets): it is in the kubelet log.",
    fix="Fix the lifecycle.postStart command; test it with kubectl exec.",
    docs=f"{K8S}/concepts/containers/container-lifecycle-hooks/")

PRESTOP_HOOK = Rule(
    id="PW241", name="prestop-hook", level="container",
    title="preStop hook failing",
    why="The container's preStop hook failed when the pod was stopped.",
    fix="Fix the lifecycle.preStop command.",
    docs=f"{K8S}/concepts/containers/container-lifecycle-hooks/",
    severity="warning")

INIT_STUCK = Rule(
    id="PW250", name="init-stuck", level="container",
    title="Init container running for a long time",
    why="An init container has been running for a long time, so the app containers wait "
        "(Init:N/M); it typically waits for a dependency that never comes.",
    fix="Read its logs (kubectl logs -c NAME) to see what it waits for. If it is meant to keep "
        "running beside the app (a proxy, an agent), make it a native sidecar: restartPolicy: "
        "Always on the init container (Kubernetes 1.29+).",
    docs=f"{K8S}/concepts/workloads/pods/init-containers/",
    deadline="10 minutes after it started")

RECENT_RESTART = Rule(
    id="PW260", name="recent-restart", level="container",
    title="Restarted recently, now running",
    why="The container is running again, but its previous run ended in an error or OOM kill "
        "within the last hour.",
    fix="Check kubectl logs --previous before the evidence is gone.",
    docs=f"{K8S}/concepts/workloads/pods/pod-lifecycle/#container-restarts",
    severity="warning")

RULES: tuple[Rule, ...] = (LIVENESS_PROBE, STARTUP_PROBE, READINESS_PROBE, NOT_READY,
                          POSTSTART_HOOK, PRESTOP_HOOK, INIT_STUCK, RECENT_RESTART)

#: the waiting reasons this family explains
WAITING_REASONS = frozenset({"PostStartHookError"})


def check_waiting(pod: PodSnapshot, c: Container) -> list[Finding]:
    """A container waiting because its postStart hook failed."""
    hooks = container_events(pod, c, "FailedPostStartHook")
    return [finding(POSTSTART_HOOK, c.state.reason, f"postStart hook of {where(c)} failed",
                    detail=c.state.message,
                    evidence=[waiting_evidence(c)] + [ev(e) for e in hooks[-1:]], container=c)]



#: how long a regular init container may run before podwhy calls it stuck
INIT_STUCK_SECONDS = 600
#: a running container without a readiness probe that is not ready: stuck after this long
NOT_READY_GRACE_SECONDS = 120
#: added to a readiness probe's own budget (initialDelaySeconds + failureThreshold x
#: periodSeconds, after the startup probe's) before a not-ready container counts as stuck
READY_MARGIN_SECONDS = 30


def probe_events(pod: PodSnapshot, c: Container, kind: str, now: datetime) -> list[Event]:
    """Its recent Unhealthy events for one kind of probe (Liveness, Readiness, Startup)."""
    return [e for e in container_events(pod, c, "Unhealthy")
            if m.probe_kind(e.message) == kind and recent(e, now)]


def probe_kills(pod: PodSnapshot, c: Container, kind: str, now: datetime) -> list[Event]:
    """Its recent Killing events that name a failed probe of this kind."""
    needle = f"failed {kind.lower()} probe"
    return [e for e in container_events(pod, c, "Killing")
            if needle in e.message and recent(e, now)]


def killed_last(c: Container, t: Terminated | None) -> bool:
    """Did its last run end in a kill (137/143, SIGKILL/SIGTERM, not an OOM kill), as a probe
    kill does? An exit code of its own (1, 2, a panic) is the process's, and probe failures
    around it are the crash's consequence, not its cause."""
    if c.restart_count == 0:
        return False
    if t is None:
        return True  # the last exit is not recorded: the probe events are all there is
    return t.reason != "OOMKilled" and (t.exit_code in (137, 143) or t.signal in (9, 15))


def _ready_budget(c: Container) -> float:
    """Seconds after a container starts by which it should be ready: the startup probe's
    budget, then the readiness probe's (initialDelaySeconds + failureThreshold x
    periodSeconds), plus a margin; without a readiness probe, NOT_READY_GRACE_SECONDS."""
    if c.readiness is None:
        return float(NOT_READY_GRACE_SECONDS + (c.startup.failing_after if c.startup else 0))
    return float((c.startup.failing_after if c.startup else 0) + c.readiness.failing_after
                 + READY_MARGIN_SECONDS)


def _init_hint(pod: PodSnapshot, c: Container) -> str:
    apps_wait = any(x.type == "app" and x.state.kind == "waiting"
                    and x.state.reason == "PodInitializing" for x in pod.containers)
    hint = ("If it waits for a dependency, fix that dependency (see its logs). A regular init "
            "container must exit before the app containers start")
    if apps_wait:
        hint += (f": if {c.name} is meant to keep running beside the app (a proxy, an agent), "
                 "make it a native sidecar with restartPolicy: Always on the init container "
                 "(Kubernetes 1.29+; an API server with the SidecarContainers feature off "
                 "drops the field, so check the stored spec)")
    return hint + "."


def check_running(pod: PodSnapshot, c: Container, now: datetime) -> list[Finding]:
    """A running container (not in a crash loop): an init container that does not exit,
    failing probes, hooks, not ready, or a recent restart."""
    out: list[Finding] = []
    logs = logs_cmd(pod, c, previous=False)
    if c.type == "init":
        wait = Wait(c.state.started_at, INIT_STUCK_SECONDS)
        summary = wait.says(
            now, stuck=f"init container {c.name} has been running {wait.for_how_long(now)}; "
                       "the app containers wait for it to exit (PodInitializing)",
            waiting=f"init container {c.name} running {wait.for_how_long(now)}; the app "
                    f"containers start once it exits (stuck after {wait.budget()})")
        return [finding(INIT_STUCK, "ContainersNotInitialized", summary,
                        evidence=[field(f"{c.status_path}.state.running",
                                        f"startedAt={format_time(c.state.started_at)}")],
                        container=c, next_command=logs, wait=wait, now=now,
                        hint=_init_hint(pod, c))]
    # Liveness and startup failures (the container may still be up between restarts).
    for kind, rule in (("Liveness", LIVENESS_PROBE), ("Startup", STARTUP_PROBE)):
        fails = probe_events(pod, c, kind, now)
        kills = probe_kills(pod, c, kind, now)
        if kind == "Startup" and c.started is not False and not kills:
            continue  # the startup probe succeeded at some point: its old failures are history
        if fails or kills:
            last = newest(fails)
            summary = f"{kind.lower()} probe of {where(c)} failing"
            if kills or c.restart_count:
                summary += f" ({restarts(c)})"
            if last is not None:
                summary += f": {last.message}"
            evidence = [ev(e) for e in fails[-1:] + kills[-1:]]
            if kills or (fails and killed_last(c, c.last_state.terminated)):
                # Not in a loop (that is a crash loop, above): a kill it recovered from, ready
                # again, is worth knowing but not a fault now, like PW260's restart.
                out.append(finding(rule, "Unhealthy",
                                   summary + ("; running and ready again" if c.ready else ""),
                                   detail=last.message if last else "",
                                   evidence=evidence, container=c,
                                   next_command=logs_cmd(pod, c) if c.restart_count else logs,
                                   severity="warning" if c.ready else None,
                                   log_source="previous" if c.restart_count else None))
                return out
            if kind == "Startup":
                # Below its failureThreshold the kubelet keeps probing: still starting.
                wait = Wait(c.state.started_at,
                            float(c.startup.failing_after if c.startup else 0))
                out.append(finding(rule, "Unhealthy",
                                   f"{where(c)} starting {wait.for_how_long(now)}: its "
                                   "startup probe has not passed yet"
                                   + (f" ({last.message})" if last else ""),
                                   detail=last.message if last else "", evidence=evidence,
                                   container=c, next_command=logs, severity="waiting",
                                   wait=wait, now=now))
                return out
            # The kubelet has not restarted it: below the failureThreshold, a warning. Its
            # restarts (if any) had other causes, so they are not this probe's. A failure older
            # than two periods plus a margin has been followed by passing probes (the kubelet
            # probes every period and no later failure is on record): that is said in the past.
            summary = f"{kind.lower()} probe of {where(c)} "
            timing = c.liveness if kind == "Liveness" else c.startup
            period = timing.period if timing else 10
            seen = last.last_seen if last else None
            if seen is not None and \
                    (now - seen).total_seconds() > 2 * period + READY_MARGIN_SECONDS:
                n = sum(max(e.count, 1) for e in fails)
                times = f"{n} times" if n > 1 else "once"
                summary += (f"failed {times}, last {human_duration((now - seen).total_seconds())}"
                            f" ago; passing since, no restart: {last.message if last else ''}")
            else:
                summary += (f"failing: {last.message} (no restart yet)" if last
                            else "failing (no restart yet)")
            out.append(finding(rule, "Unhealthy", summary,
                               detail=last.message if last else "", evidence=evidence,
                               container=c, next_command=logs, severity="warning"))
    hooks = [e for e in container_events(pod, c, "FailedPostStartHook") if recent(e, now)]
    if hooks:
        return [finding(POSTSTART_HOOK, "PostStartHookError",
                        f"postStart hook of {where(c)} failed", detail=hooks[-1].message,
                        evidence=[ev(hooks[-1])], container=c)]
    if not c.ready and not pod.terminal and pod.deletion_timestamp is None:
        fails = probe_events(pod, c, "Readiness", now)
        cond = pod.condition("ContainersReady")
        cond_ev = [field("status.conditions[ContainersReady]", f"{cond.reason}: {cond.message}")
                   ] if cond is not None and cond.status != "True" else []
        # A container that was ready and lost it (ContainersReady went False after it started)
        # gets only the margin; one still starting gets its probes' budget.
        lost = (cond.last_transition if cond is not None and cond.status != "True"
                and cond.last_transition is not None and c.state.started_at is not None
                and cond.last_transition > c.state.started_at else None)
        wait = (Wait(lost, READY_MARGIN_SECONDS) if lost is not None
                else Wait(c.state.started_at, _ready_budget(c)))
        probe = "its readiness probe" if c.readiness else "no readiness probe"
        if lost is not None:
            waiting = (f"{where(c)} was ready and lost it {wait.how_long(now)} ago; stuck "
                       f"after {wait.budget()}")
        elif fails:
            waiting = (f"{where(c)} started {wait.how_long(now)} ago; its readiness probe "
                       f"has not passed yet (stuck after {wait.budget()})")
        else:
            waiting = (f"{where(c)} started {wait.how_long(now)} ago and is not ready yet "
                       f"({probe}; stuck after {wait.budget()})")
        if fails:
            last = fails[-1]
            head = wait.says(now, stuck=f"readiness probe of {where(c)} failing; not ready "
                                        f"{wait.for_how_long(now)}", waiting=waiting)
            out.append(finding(READINESS_PROBE, "Unhealthy", f"{head}: {last.message}",
                               detail=last.message, evidence=[ev(last)] + cond_ev,
                               container=c, next_command=logs, wait=wait, now=now))
        else:
            summary = wait.says(
                now, stuck=f"{where(c)} is running but not ready {wait.for_how_long(now)} "
                           f"({probe}; no probe failure on record)", waiting=waiting)
            out.append(finding(NOT_READY, "ContainersNotReady", summary, evidence=cond_ev,
                               container=c, next_command=logs, wait=wait, now=now))
    pre = [e for e in container_events(pod, c, "FailedPreStopHook") if recent(e, now)]
    if pre:
        out.append(finding(PRESTOP_HOOK, "FailedPreStopHook", f"preStop hook of {where(c)} failed",
                           detail=pre[-1].message, evidence=[ev(pre[-1])], container=c))
    prev = c.last_state.terminated
    if not any(f.severity != "warning" for f in out) and prev is not None and \
            (prev.exit_code != 0 or prev.reason == "OOMKilled"):
        age = (now - prev.finished_at).total_seconds() if prev.finished_at else None
        if age is not None and age <= 3600:
            out.append(finding(
                RECENT_RESTART, prev.reason or "Error",
                f"{where(c)} is running again; its previous run ended "
                f"{'at least ' if pod.ages_are_lower_bounds else ''}{human_duration(age)} "
                f"ago: {'OOMKilled' if prev.reason == 'OOMKilled' else exit_text(prev)}",
                detail=prev.message, evidence=[term_evidence(c, prev, last=True)],
                container=c, next_command=logs_cmd(pod, c)))
    return out

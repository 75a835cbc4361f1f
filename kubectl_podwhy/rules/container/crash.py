"""Crashes: a container in a crash loop (the real cause behind the back-off named), or one that
failed and will not be restarted (PW220-PW224)."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from kubectl_podwhy.report import Evidence, Finding
from kubectl_podwhy.rules import messages as m
from kubectl_podwhy.rules.base import (
    K8S,
    Rule,
    container_events,
    ev,
    exit_text,
    field,
    finding,
    kubectl,
    logs_cmd,
    memory_limit,
    newest,
    recent,
    restarts,
    term_evidence,
    waiting_evidence,
    where,
)
from kubectl_podwhy.rules.container import BACKOFF_RESET_SECONDS
from kubectl_podwhy.rules.container.create import START_ERROR, START_REASONS
from kubectl_podwhy.rules.container.running import (
    LIVENESS_PROBE,
    POSTSTART_HOOK,
    STARTUP_PROBE,
    killed_last,
    probe_events,
    probe_kills,
)
from kubectl_podwhy.snapshot import Container, PodSnapshot, Terminated
from kubectl_podwhy.timeutil import format_time, human_duration

CRASHLOOP_OOMKILLED = Rule(
    id="PW220", fail_fast="past-restarts", name="crashloop-oomkilled", level="container",
    title="Crash loop: killed for running out of memory",
    why="The container exceeded its memory limit (or the node ran out of memory) and the kernel "
        "killed it; the kubelet keeps restarting it with back-off.",
    fix="Raise resources.limits.memory to what the process needs, or fix the leak.",
    docs=f"{K8S}/tasks/configure-pod-container/assign-memory-resource/")

CRASHLOOP_EXIT = Rule(
    id="PW221", fail_fast="past-restarts", name="crashloop-exit", level="container",
    title="Crash loop: the process keeps exiting with an error",
    why="The process exits with a non-zero code (or is killed by a signal) soon after it starts.",
    fix="Read the previous run's logs (kubectl logs --previous); the exit code hints at the cause.",
    docs=f"{K8S}/concepts/workloads/pods/pod-lifecycle/#container-restarts")

CRASHLOOP_COMPLETED = Rule(
    id="PW222", fail_fast="past-restarts", name="crashloop-completed", level="container",
    title="Crash loop: the process exits successfully",
    why="The process exits with code 0 but restartPolicy is Always, so the kubelet restarts it: "
        "a one-shot command in a Deployment, or a daemon that forks into the background.",
    fix="Run one-shot work as a Job, or keep the main process in the foreground.",
    docs=f"{K8S}/concepts/workloads/pods/pod-lifecycle/#restart-policy")

CONTAINER_FAILED = Rule(
    id="PW224", fail_fast="yes", name="container-failed", level="container",
    title="The container failed and will not be restarted",
    why="The container exited non-zero under restartPolicy Never or OnFailure (the pod or Job "
        "attempt failed).",
    fix="Read its logs (kubectl logs -c NAME); the exit code hints at the cause.",
    docs=f"{K8S}/tasks/debug/debug-application/determine-reason-pod-failure/")

RULES: tuple[Rule, ...] = (CRASHLOOP_OOMKILLED, CRASHLOOP_EXIT, CRASHLOOP_COMPLETED,
                          CONTAINER_FAILED)

#: the waiting reasons this family explains
WAITING_REASONS = frozenset({"CrashLoopBackOff"})


def check_waiting(pod: PodSnapshot, c: Container, now: datetime) -> list[Finding]:
    """A container waiting in CrashLoopBackOff."""
    return [crash_loop(pod, c, now, c.last_state.terminated, waiting=True)]


def check_running(pod: PodSnapshot, c: Container, now: datetime) -> list[Finding]:
    """A running container caught between two crashes of a crash loop; [] for any other."""
    if not _still_looping(pod, c, now):
        return []
    return [crash_loop(pod, c, now, c.last_state.terminated, waiting=False, running_again=True)]


def check_terminated(pod: PodSnapshot, c: Container, now: datetime,
                     t: Terminated) -> list[Finding]:
    """A terminated container: a crash loop under restartPolicy Always (and for sidecars),
    a failed attempt under Never or OnFailure, or nothing (it succeeded, or the pod's end
    explains it)."""
    failed = t.exit_code != 0 or t.signal != 0 or t.reason == "OOMKilled"
    restarting = c.type == "sidecar" or pod.restart_policy == "Always"
    if not failed:
        if c.type in ("app", "sidecar") and restarting and c.restart_count > 0 \
                and not pod.terminal:
            return [crash_loop(pod, c, now, t, waiting=False)]
        return []
    if pod.terminal and _never_ran(t):
        return []  # a consequence of what ended the pod, not a cause
    if pod.terminal and c.type == "sidecar" and (t.exit_code in (137, 143)
                                                 or t.signal in (9, 15)):
        # The kubelet stops native sidecars (SIGTERM, then SIGKILL) once the pod's main
        # containers are done, whatever their outcome (KEP-753): the shutdown, not a cause.
        return []
    if restarting and not pod.terminal:
        return [crash_loop(pod, c, now, t, waiting=False)]
    # restartPolicy Never or OnFailure: this attempt is over.
    summary = f"{where(c)} failed: {exit_text(t)}"
    if t.reason == "OOMKilled":
        summary = f"{where(c)} was OOMKilled (exit code {t.exit_code})" + memory_limit(pod, c)
    if t.message.strip():
        summary += f"; message: {t.message.strip().splitlines()[-1][:120]}"
    # Under OnFailure the kubelet restarts it (then it is a crash loop, judged by its
    # restarts); under Never, or once the pod ended, this attempt is over for good.
    retried = pod.restart_policy == "OnFailure" and not pod.terminal
    return [finding(CONTAINER_FAILED, t.reason or "Error", summary, detail=t.message,
                    evidence=[term_evidence(c, t, last=False)], container=c,
                    next_command=logs_cmd(pod, c, previous=False),
                    terminal=False if retried else None, log_source="current")]


def crash_loop(pod: PodSnapshot, c: Container, now: datetime, t: Terminated | None,
               waiting: bool, running_again: bool = False) -> Finding:
    """A container that keeps restarting: name the real cause behind the back-off.

    ``running_again``: caught between two crashes (running, its last exit in ``t``)."""
    f = _crash_cause(pod, c, now, t, waiting, running_again)
    if not running_again:
        return f
    ran = human_duration((now - c.state.started_at).total_seconds()) if c.state.started_at \
        else "a moment"
    return replace(f, summary=f"{f.summary}; running again for {ran}, still within the "
                              "kubelet's back-off window (it resets after 10m without a crash)")


def _crash_cause(pod: PodSnapshot, c: Container, now: datetime, t: Terminated | None,
                 waiting: bool, running_again: bool) -> Finding:
    evidence: list[Evidence] = []
    if waiting:
        evidence.append(waiting_evidence(c))
    if running_again:
        evidence.append(field(f"{c.status_path}.state.running",
                              f"startedAt={format_time(c.state.started_at)}"))
    if t is not None:
        evidence.append(term_evidence(c, t, last=waiting or running_again))
    backoff = [e for e in container_events(pod, c, "BackOff") if "restarting" in e.message]
    evidence += [ev(e) for e in backoff[-1:]]
    logs = logs_cmd(pod, c)
    detail_parts = [t.message.strip()] if t is not None and t.message.strip() else []
    if t is not None and t.reason in START_REASONS:
        known = m.start_failure(t.message)
        why = known or t.message.strip()[:200]
        return finding(START_ERROR, t.reason,
                       f"{where(c)} cannot start: {why} ({restarts(c)})",
                       detail=t.message, evidence=evidence, container=c,
                       terminal=None if known else False,
                       next_command=kubectl(
                           "get", "pod", pod.name, "-n", pod.namespace, "-o",
                           f"jsonpath={{.spec.{c.spec_list}[{c.index}].command}}"))
    if t is not None and t.reason == "OOMKilled":
        limit = memory_limit(pod, c) or "; no memory limit set (the node ran out of memory)"
        return finding(CRASHLOOP_OOMKILLED, "OOMKilled",
                       f"{where(c)} was OOMKilled (exit code {t.exit_code}), {restarts(c)}"
                       f"{limit}", detail="\n".join(detail_parts), evidence=evidence,
                       container=c, next_command=logs, log_source="previous")
    for kind, rule in (("Liveness", LIVENESS_PROBE), ("Startup", STARTUP_PROBE)):
        kills = probe_kills(pod, c, kind, now)
        fails = probe_events(pod, c, kind, now)
        if kills or (fails and killed_last(c, t)):
            last_fail = newest(fails)
            summary = f"{kind.lower()} probe failing, so the kubelet restarts {where(c)} " \
                      f"({restarts(c)})"
            if last_fail is not None:
                summary += f": {last_fail.message}"
            evidence += [ev(e) for e in (fails[-1:] + kills[-1:])]
            return finding(rule, "Unhealthy", summary,
                           detail=last_fail.message if last_fail else "",
                           evidence=evidence, container=c, next_command=logs,
                           log_source="previous")
    hooks = [e for e in container_events(pod, c, "FailedPostStartHook") if recent(e, now)]
    if hooks:
        evidence += [ev(e) for e in hooks[-1:]]
        return finding(POSTSTART_HOOK, "PostStartHookError",
                       f"postStart hook of {where(c)} fails, so the kubelet kills it "
                       f"({restarts(c)})", detail=hooks[-1].message, evidence=evidence,
                       container=c, next_command=logs, log_source="previous")
    if t is not None and t.exit_code == 0 and not t.signal:
        return finding(CRASHLOOP_COMPLETED, t.reason or "Completed",
                       f"{where(c)} exits with code 0 but restartPolicy is Always, so it is "
                       f"restarted ({restarts(c)})",
                       detail="\n".join(detail_parts), evidence=evidence, container=c,
                       next_command=logs, log_source="previous")
    if t is None:
        return finding(CRASHLOOP_EXIT, c.state.reason or "CrashLoopBackOff",
                       f"{where(c)} keeps crashing ({restarts(c)}); its last exit is not "
                       "recorded", detail=c.state.message, evidence=evidence, container=c,
                       next_command=logs, log_source="previous")
    summary = f"{where(c)} keeps crashing: {exit_text(t)}, {restarts(c)}"
    if t.message.strip():
        summary += f"; last message: {t.message.strip().splitlines()[-1][:120]}"
    return finding(CRASHLOOP_EXIT, t.reason or "Error", summary, detail="\n".join(detail_parts),
                   evidence=evidence, container=c, next_command=logs, log_source="previous")


def _never_ran(t: Terminated) -> bool:
    """ContainerStatusUnknown with no start time: the kubelet lost track of a container that
    never ran (the pod failed or was evicted first); its exit code 137 is made up by the
    kubelet, not an exit of the process (pkg/kubelet/kubelet_pods.go)."""
    return t.reason == "ContainerStatusUnknown" and t.started_at is None


def _still_looping(pod: PodSnapshot, c: Container, now: datetime) -> bool:
    """Running, but caught between two crashes of a crash loop: restarted more than once, the
    last run ended (failed, or exited 0 where the container is always restarted; with no
    lastState on record, a back-off restarting it says it failed), and the current run
    began, within the kubelet's back-off reset window (pkg/kubelet/kuberuntime: the back-off
    is forgotten after 2 x MaxContainerBackOff without a failure)."""
    if c.restart_count < 2:
        return False
    prev = c.last_state.terminated
    backoff = newest([e for e in container_events(pod, c, "BackOff")
                      if "restarting" in e.message and e.last_seen is not None])
    if prev is not None and prev.finished_at is not None:
        always = c.type == "sidecar" or (c.type == "app" and pod.restart_policy == "Always")
        if not (prev.exit_code != 0 or prev.signal != 0 or prev.reason == "OOMKilled"
                or always):
            return False
        ended = prev.finished_at
    elif backoff is not None and backoff.last_seen is not None:
        ended = backoff.last_seen
    else:
        return False
    started = c.state.started_at or ended
    if pod.ages_are_lower_bounds and c.ready and (
            backoff is None or backoff.last_seen is None
            or (started - backoff.last_seen).total_seconds() > BACKOFF_RESET_SECONDS):
        # Without a capture time "ran for 1s" means "for at least 1s": a ready container may
        # have been up for days when the input was saved, so the loop is history, not news,
        # unless a back-off restarting it is on record just before this run (events expire
        # after an hour, so the input was saved within about an hour of it).
        return False
    return (now - ended).total_seconds() <= BACKOFF_RESET_SECONDS \
        and (now - started).total_seconds() <= BACKOFF_RESET_SECONDS

"""Container-level checks: images, config, create/start, crashes, probes, hooks, init, sidecars.

One function diagnoses one container from its state, last state and the events whose
fieldPath names it. The chain runs it over init containers (the first unfinished one),
sidecars, app containers and, for information only, ephemeral containers.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from kubectl_podwhy.report import Evidence, Finding
from kubectl_podwhy.rules import messages as m
from kubectl_podwhy.rules.base import (
    Wait,
    describe_cmd,
    ev,
    field,
    finding,
    kubectl,
    newest,
    recent,
)
from kubectl_podwhy.rules.pod import not_started
from kubectl_podwhy.snapshot import Container, Event, PodSnapshot, Terminated
from kubectl_podwhy.timeutil import format_time, human_duration

IMAGE_REASONS = frozenset({"ErrImagePull", "ImagePullBackOff", "RegistryUnavailable",
                           "SignatureValidationFailed", "ImageInspectError",
                           "ErrImageNotEnsured"})
CREATE_REASONS = frozenset({"CreateContainerError", "PreCreateHookError", "PreStartHookError"})
START_REASONS = frozenset({"StartError", "ContainerCannotRun"})
#: the waiting reasons of a container that is being created (kubelet: ContainerCreating
#: while the image is pulled and the container created; PodInitializing behind init ones)
STARTING_REASONS = frozenset({"ContainerCreating", "PodInitializing"})
#: how long a container may take to be created (image pull included) before it is stuck
CREATE_SECONDS = 600
#: how long an image pull in progress may last (a Pulling event and no Pulled or Failed
#: after it) before it is stuck. The kubelet sets no limit of its own; containerd cancels a
#: pull that makes no progress for 5 minutes (image_pull_progress_timeout), which surfaces as
#: ErrImagePull, so a pull still on is moving, and a multi-gigabyte image may take this long.
PULL_SECONDS = 1800
#: how long a regular init container may run before podwhy calls it stuck
INIT_STUCK_SECONDS = 600
#: the kubelet forgets a container's crash back-off after 2 x MaxContainerBackOff (5m)
BACKOFF_RESET_SECONDS = 600
#: a running container without a readiness probe that is not ready: stuck after this long
NOT_READY_GRACE_SECONDS = 120
#: added to a readiness probe's own budget (initialDelaySeconds + failureThreshold x
#: periodSeconds, after the startup probe's) before a not-ready container counts as stuck
READY_MARGIN_SECONDS = 30


def _logs_cmd(pod: PodSnapshot, c: Container, previous: bool = True) -> str:
    return kubectl("logs", pod.name, "-n", pod.namespace, "-c", c.name,
                   *(["--previous"] if previous else []))


def _restarts(c: Container) -> str:
    return f"restarted {c.restart_count} time{'s' if c.restart_count != 1 else ''}"


def _term_evidence(c: Container, t: Terminated, last: bool) -> Evidence:
    path = f"{c.status_path}.{'lastState' if last else 'state'}.terminated"
    text = f"reason={t.reason or '-'} exitCode={t.exit_code}"
    if t.signal:
        text += f" signal={t.signal}"
    if t.finished_at:
        text += f" finishedAt={format_time(t.finished_at)}"
    if t.message:
        text += f" message={t.message.strip()[:300]}"
    return field(path, text)


def _exit_text(t: Terminated) -> str:
    if t.reason == "ContainerStatusUnknown":
        return (f"status unknown (exit code {t.exit_code} was set by the kubelet: the container "
                "could not be located; not an OOM or a kill)")
    if t.signal:
        return f"signal {t.signal} ({m.exit_meaning(0, t.signal)})"
    return f"exit code {t.exit_code} ({m.exit_meaning(t.exit_code)})"


def _events(pod: PodSnapshot, c: Container, *reasons: str) -> list[Event]:
    return pod.events_with(*reasons, container=c.name)


def _probe_events(pod: PodSnapshot, c: Container, kind: str, now: datetime) -> list[Event]:
    return [e for e in _events(pod, c, "Unhealthy")
            if m.probe_kind(e.message) == kind and recent(e, now)]


def _probe_kills(pod: PodSnapshot, c: Container, kind: str, now: datetime) -> list[Event]:
    needle = f"failed {kind.lower()} probe"
    return [e for e in _events(pod, c, "Killing") if needle in e.message and recent(e, now)]


def _where(c: Container) -> str:
    return {"init": "init container", "sidecar": "sidecar", "app": "container",
            "ephemeral": "debug container"}[c.type] + f" {c.name}"


# --- images -----------------------------------------------------------------------------------

def _image(pod: PodSnapshot, c: Container, now: datetime) -> Finding:
    reason = c.state.reason
    pulls = [e for e in _events(pod, c, "Failed")
             if "pull" in e.message.lower() and not e.message.startswith("Error: ")]
    texts = [e.message for e in reversed(pulls)] + [c.state.message]
    cls = "unknown"
    used = ""
    for t in texts:
        if t:
            cls = m.classify_image_error(t)
            used = t
            if cls != "unknown":
                break
    if reason == "RegistryUnavailable":
        cls = "unreachable"
    image = m.image_of(used) or c.image
    rid, what = {
        "not-found": ("PW201", "not found"),
        "unauthorized": ("PW202", "pull not authorized"),
        "unreachable": ("PW203", "registry unreachable"),
        "rate-limited": ("PW204", "registry rate limit (429)"),
    }.get(cls, ("PW205", "cannot be pulled"))
    summary = f"image {image} {what}"
    if cls == "unknown" and reason in ("SignatureValidationFailed", "ImageInspectError",
                                       "ErrImageNotEnsured"):
        summary = f"image {image}: {reason}"
    elif cls == "unknown":
        summary += " (the detailed pull error has expired; only the back-off is on record)"
    evidence: list[Evidence] = [field(f"{c.status_path}.state.waiting",
                                      f"{reason}: {c.state.message}".strip(": "))]
    evidence += [ev(e) for e in pulls[-2:]]
    hint = None
    secret_events = pod.events_with("FailedToRetrieveImagePullSecret")
    if cls == "unauthorized":
        evidence += [ev(e) for e in secret_events[-1:]]
        if secret_events:
            summary += "; " + secret_events[-1].message.split(";")[0]
            hint = ("Create the image pull secret named in the event in namespace "
                    f"{pod.namespace}, or fix imagePullSecrets.")
    detail = used if used and used != c.state.message else c.state.message
    return finding(rid, reason, summary, detail=detail, evidence=evidence, container=c,
                   hint=hint, next_command=kubectl("get", "events", "-n", pod.namespace,
                                                        "--field-selector",
                                                        f"involvedObject.uid={pod.uid}"))


# --- crashes ------------------------------------------------------------------------------------

def _crash(pod: PodSnapshot, c: Container, now: datetime, t: Terminated | None,
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
        evidence.append(field(f"{c.status_path}.state.waiting",
                              f"{c.state.reason}: {c.state.message}".strip(": ")))
    if running_again:
        evidence.append(field(f"{c.status_path}.state.running",
                              f"startedAt={format_time(c.state.started_at)}"))
    if t is not None:
        evidence.append(_term_evidence(c, t, last=waiting or running_again))
    backoff = [e for e in _events(pod, c, "BackOff") if "restarting" in e.message]
    evidence += [ev(e) for e in backoff[-1:]]
    logs = _logs_cmd(pod, c)
    detail_parts = [t.message.strip()] if t is not None and t.message.strip() else []
    if t is not None and t.reason in START_REASONS:
        why = m.start_failure(t.message) or t.message.strip()[:200]
        return finding("PW212", t.reason,
                       f"{_where(c)} cannot start: {why} ({_restarts(c)})",
                       detail=t.message, evidence=evidence, container=c,
                       next_command=kubectl(
                           "get", "pod", pod.name, "-n", pod.namespace, "-o",
                           f"jsonpath={{.spec.{c.spec_list}[{c.index}].command}}"))
    if t is not None and t.reason == "OOMKilled":
        limit = _memory_limit(pod, c) or "; no memory limit set (the node ran out of memory)"
        return finding("PW220", "OOMKilled",
                       f"{_where(c)} was OOMKilled (exit code {t.exit_code}), {_restarts(c)}"
                       f"{limit}", detail="\n".join(detail_parts), evidence=evidence,
                       container=c, next_command=logs)
    for kind, rid in (("Liveness", "PW230"), ("Startup", "PW231")):
        kills = _probe_kills(pod, c, kind, now)
        fails = _probe_events(pod, c, kind, now)
        if kills or (fails and _killed_last(c, t)):
            last_fail = newest(fails)
            summary = f"{kind.lower()} probe failing, so the kubelet restarts {_where(c)} " \
                      f"({_restarts(c)})"
            if last_fail is not None:
                summary += f": {last_fail.message}"
            evidence += [ev(e) for e in (fails[-1:] + kills[-1:])]
            return finding(rid, "Unhealthy", summary,
                           detail=last_fail.message if last_fail else "",
                           evidence=evidence, container=c, next_command=logs)
    hooks = [e for e in _events(pod, c, "FailedPostStartHook") if recent(e, now)]
    if hooks:
        evidence += [ev(e) for e in hooks[-1:]]
        return finding("PW240", "PostStartHookError",
                       f"postStart hook of {_where(c)} fails, so the kubelet kills it "
                       f"({_restarts(c)})", detail=hooks[-1].message, evidence=evidence,
                       container=c, next_command=logs)
    if t is not None and t.exit_code == 0 and not t.signal:
        return finding("PW222", t.reason or "Completed",
                       f"{_where(c)} exits with code 0 but restartPolicy is Always, so it is "
                       f"restarted ({_restarts(c)})",
                       detail="\n".join(detail_parts), evidence=evidence, container=c,
                       next_command=logs)
    if t is None:
        return finding("PW221", c.state.reason or "CrashLoopBackOff",
                       f"{_where(c)} keeps crashing ({_restarts(c)}); its last exit is not "
                       "recorded", detail=c.state.message, evidence=evidence, container=c,
                       next_command=logs)
    summary = f"{_where(c)} keeps crashing: {_exit_text(t)}, {_restarts(c)}"
    if t.message.strip():
        summary += f"; last message: {t.message.strip().splitlines()[-1][:120]}"
    return finding("PW221", t.reason or "Error", summary, detail="\n".join(detail_parts),
                   evidence=evidence, container=c, next_command=logs)


# --- one container --------------------------------------------------------------------------

def diagnose(pod: PodSnapshot, c: Container, now: datetime) -> list[Finding]:
    st = c.state
    if st.kind == "waiting":
        return _waiting(pod, c, now)
    if st.kind == "terminated" and st.terminated is not None:
        return _terminated(pod, c, now, st.terminated)
    if st.kind == "running":
        return _running(pod, c, now)
    return []


def _waiting(pod: PodSnapshot, c: Container, now: datetime) -> list[Finding]:
    r, msg = c.state.reason, c.state.message
    waiting_ev = field(f"{c.status_path}.state.waiting", f"{r}: {msg}".strip(": "))
    if r in IMAGE_REASONS:
        return [_image(pod, c, now)]
    if r == "InvalidImageName":
        return [finding("PW206", r, f"image name {c.image!r} of {_where(c)} is invalid",
                        detail=msg, evidence=[waiting_ev], container=c)]
    if r == "ErrImageNeverPull":
        return [finding("PW207", r,
                        f"image {c.image} is not on node {pod.node_name or '?'} and "
                        "imagePullPolicy is Never", detail=msg,
                        evidence=[waiting_ev] + [ev(e) for e in _events(pod, c, r)[-1:]],
                        container=c)]
    if r == "CreateContainerConfigError":
        kind, obj = m.parse_config_error(msg)
        what = {
            "secret": f"secret {obj} not found",
            "configmap": f"configmap {obj} not found",
            "secret-key": f"key {obj} not found",
            "configmap-key": f"key {obj} not found",
            "run-as-non-root": "runAsNonRoot is set but the image runs as root "
                               "(or a non-numeric user)",
            "target-container": f"target container {obj} not found",
        }.get(kind, msg)
        hint = None
        if kind in ("secret", "configmap"):
            hint = (f"Create {kind} {obj} in namespace {pod.namespace} (or fix the name in "
                    "env/envFrom, or mark the reference optional: true).")
        elif kind.endswith("-key"):
            hint = "Add the missing key to the object, or fix the key name in the pod spec."
        return [finding("PW210", r, f"{_where(c)} cannot be configured: {what}",
                        detail=msg,
                        evidence=[waiting_ev] + [ev(e) for e in _events(pod, c, "Failed")[-1:]],
                        container=c, hint=hint)]
    if r in CREATE_REASONS:
        slow = "deadline exceeded" in msg.lower()
        summary = f"runtime cannot create {_where(c)}: {msg[:200] or r}"
        hint = ("The container runtime on the node is slow or stuck: check it (crictl, "
                "containerd logs) before the spec." if slow else None)
        return [finding("PW211", r, summary, detail=msg,
                        evidence=[waiting_ev] + [ev(e) for e in _events(pod, c, "Failed")[-1:]],
                        container=c, hint=hint)]
    if r == "RunContainerError":
        why = m.start_failure(msg) or msg[:200] or r
        last = c.last_state.terminated
        evidence = [waiting_ev]
        if last is not None:
            evidence.append(_term_evidence(c, last, last=True))
        return [finding("PW212", r, f"{_where(c)} cannot start: {why}", detail=msg,
                        evidence=evidence + [ev(e) for e in _events(pod, c, "Failed")[-1:]],
                        container=c)]
    if r == "PostStartHookError":
        return [finding("PW240", r, f"postStart hook of {_where(c)} failed", detail=msg,
                        evidence=[waiting_ev] + [ev(e) for e in
                                                 _events(pod, c, "FailedPostStartHook")[-1:]],
                        container=c)]
    if r == "CrashLoopBackOff":
        return [_crash(pod, c, now, c.last_state.terminated, waiting=True)]
    if r in STARTING_REASONS or not r:
        return _starting(pod, c, now, waiting_ev)
    # A reason podwhy does not know (a newer kubelet, another runtime): say so, with its
    # message; a container waiting for an unknown reason is never healthy.
    return [finding("PW213", r, f"{_where(c)} is waiting: {r}"
                    + (f": {msg[:200]}" if msg else "")
                    + " (a waiting reason podwhy does not know)", detail=msg,
                    evidence=[waiting_ev] + [ev(e) for e in
                                             [x for x in _events(pod, c) if x.type == "Warning"]
                                             [-1:]],
                    container=c, next_command=describe_cmd(pod))]


def _started_from(pod: PodSnapshot, c: Container) -> datetime | None:
    """When this container could start being created: after the init containers before it
    finished (or the sidecars before it started), its own last run ended, or the sandbox
    was (re)created (a node reboot), else when the pod started."""
    prtsc = pod.condition("PodReadyToStartContainers")
    last = c.last_state.terminated
    times = [pod.start_time or pod.created,
             prtsc.last_transition if prtsc is not None and prtsc.status == "True" else None,
             last.finished_at if last is not None else None]
    for other in pod.containers:
        if other is c or other.type == "ephemeral":
            break
        t = other.state.terminated
        if other.type == "init" and t is not None and t.finished_at is not None:
            times.append(t.finished_at)
        elif other.type == "sidecar" and other.state.started_at is not None:
            times.append(other.state.started_at)
    known = [t for t in times if t is not None]
    return max(known) if known else None


def _pull_in_progress(pod: PodSnapshot, c: Container) -> Event | None:
    """The container's newest Pulling event when no Pulled, Failed or BackOff event came at
    or after it: its image is being pulled (or waits for its turn to be)."""
    pulling = newest(_events(pod, c, "Pulling"))
    if pulling is None or pulling.last_seen is None:
        return None
    after = [e for e in _events(pod, c, "Pulled", "Failed", "BackOff", "Created", "Started")
             if e.last_seen is not None and e.last_seen >= pulling.last_seen]
    return None if after else pulling


def _starting(pod: PodSnapshot, c: Container, now: datetime,
              waiting_ev: Evidence) -> list[Finding]:
    """ContainerCreating / PodInitializing after the pod's own setup: an image pull or the
    runtime creating the container. While the pod is not started at all, or an earlier init
    container still runs, the pod-level or init container's finding says it instead."""
    if not_started(pod) or c.type == "ephemeral":
        return []
    # Init containers and sidecars start one after another, the app containers after all of
    # them (KEP-753): one that is not done (or, a sidecar, not started) holds up the rest.
    before = [x for x in pod.containers if x.type in ("init", "sidecar")]
    before = before[:before.index(c)] if c in before else before
    if any((x.type == "init" and not _completed(x)) or (x.type == "sidecar" and not x.started)
           for x in before):
        return []
    r = c.state.reason or "Waiting"
    pull = _pull_in_progress(pod, c)
    if pull is not None:
        # pkg/kubelet/images/image_manager.go: "Pulling image" is recorded before the pull
        # (queued behind others with serializeImagePulls), then "Pulled" or "Failed".
        wait = Wait(pull.last_seen, PULL_SECONDS)
        summary = wait.says(
            now, stuck=f"the image pull of {_where(c)} has run {wait.for_how_long(now)} with "
                       "no Pulled or Failed event: look at the registry's speed and the "
                       f"node {pod.node_name}'s disk and network",
            waiting=f"{_where(c)} is pulling its image {wait.for_how_long(now)} ({pull.message})"
                    f"; stuck after {wait.budget()}")
        return [finding("PW214", r, summary, evidence=[ev(pull), waiting_ev], container=c,
                        wait=wait, now=now, next_command=describe_cmd(pod))]
    wait = Wait(_started_from(pod, c), CREATE_SECONDS)
    summary = wait.says(
        now, stuck=f"{_where(c)} has not started {wait.for_how_long(now)} ({r}) and no error "
                   "is on record: look at the image pull and the container runtime on node "
                   f"{pod.node_name}",
        waiting=f"{_where(c)} is being created {wait.for_how_long(now)} ({r}: pulling its "
                f"image or starting it); stuck after {wait.budget()}")
    return [finding("PW214", r, summary, evidence=[waiting_ev], container=c, wait=wait,
                    now=now, next_command=describe_cmd(pod))]


def _completed(c: Container) -> bool:
    t = c.state.terminated
    return c.state.kind == "terminated" and t is not None and t.exit_code == 0 \
        and not t.signal


def _memory_limit(pod: PodSnapshot, c: Container) -> str:
    """"; memory limit 512Mi", the pod-level limit when the container has none (KEP-2837
    pod-level resources), or ""."""
    if c.memory_limit:
        return f"; memory limit {c.memory_limit}"
    if pod.memory_limit:
        return f"; no container memory limit, the pod-level limit is {pod.memory_limit}"
    return ""


def _killed_last(c: Container, t: Terminated | None) -> bool:
    """Did its last run end in a kill (137/143, SIGKILL/SIGTERM, not an OOM kill), as a probe
    kill does? An exit code of its own (1, 2, a panic) is the process's, and probe failures
    around it are the crash's consequence, not its cause."""
    if c.restart_count == 0:
        return False
    if t is None:
        return True  # the last exit is not recorded: the probe events are all there is
    return t.reason != "OOMKilled" and (t.exit_code in (137, 143) or t.signal in (9, 15))


def _never_ran(t: Terminated) -> bool:
    """ContainerStatusUnknown with no start time: the kubelet lost track of a container that
    never ran (the pod failed or was evicted first); its exit code 137 is made up by the
    kubelet, not an exit of the process (pkg/kubelet/kubelet_pods.go)."""
    return t.reason == "ContainerStatusUnknown" and t.started_at is None


def _terminated(pod: PodSnapshot, c: Container, now: datetime, t: Terminated) -> list[Finding]:
    failed = t.exit_code != 0 or t.signal != 0 or t.reason == "OOMKilled"
    restarts = c.type == "sidecar" or pod.restart_policy == "Always"
    if not failed:
        if c.type in ("app", "sidecar") and restarts and c.restart_count > 0 \
                and not pod.terminal:
            return [_crash(pod, c, now, t, waiting=False)]
        return []
    if pod.terminal and _never_ran(t):
        return []  # a consequence of what ended the pod, not a cause
    if pod.terminal and c.type == "sidecar" and (t.exit_code in (137, 143)
                                                 or t.signal in (9, 15)):
        # The kubelet stops native sidecars (SIGTERM, then SIGKILL) once the pod's main
        # containers are done, whatever their outcome (KEP-753): the shutdown, not a cause.
        return []
    if restarts and not pod.terminal:
        return [_crash(pod, c, now, t, waiting=False)]
    # restartPolicy Never or OnFailure: this attempt is over.
    summary = f"{_where(c)} failed: {_exit_text(t)}"
    if t.reason == "OOMKilled":
        summary = f"{_where(c)} was OOMKilled (exit code {t.exit_code})" + _memory_limit(pod, c)
    if t.message.strip():
        summary += f"; message: {t.message.strip().splitlines()[-1][:120]}"
    return [finding("PW224", t.reason or "Error", summary, detail=t.message,
                    evidence=[_term_evidence(c, t, last=False)], container=c,
                    next_command=_logs_cmd(pod, c, previous=False))]


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


def _still_looping(pod: PodSnapshot, c: Container, now: datetime) -> bool:
    """Running, but caught between two crashes of a crash loop: restarted more than once, the
    last run ended (failed, or exited 0 where the container is always restarted; with no
    lastState on record, a back-off restarting it says it failed), and the current run
    began, within the kubelet's back-off reset window (pkg/kubelet/kuberuntime: the back-off
    is forgotten after 2 x MaxContainerBackOff without a failure)."""
    if c.restart_count < 2:
        return False
    prev = c.last_state.terminated
    backoff = newest([e for e in _events(pod, c, "BackOff")
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


def _running(pod: PodSnapshot, c: Container, now: datetime) -> list[Finding]:
    out: list[Finding] = []
    logs = _logs_cmd(pod, c, previous=False)
    if _still_looping(pod, c, now):
        return [_crash(pod, c, now, c.last_state.terminated, waiting=False,
                       running_again=True)]
    if c.type == "init":
        wait = Wait(c.state.started_at, INIT_STUCK_SECONDS)
        summary = wait.says(
            now, stuck=f"init container {c.name} has been running {wait.for_how_long(now)}; "
                       "the app containers wait for it to exit (PodInitializing)",
            waiting=f"init container {c.name} running {wait.for_how_long(now)}; the app "
                    f"containers start once it exits (stuck after {wait.budget()})")
        return [finding("PW250", "ContainersNotInitialized", summary,
                        evidence=[field(f"{c.status_path}.state.running",
                                        f"startedAt={format_time(c.state.started_at)}")],
                        container=c, next_command=logs, wait=wait, now=now,
                        hint=_init_hint(pod, c))]
    # Liveness and startup failures (the container may still be up between restarts).
    for kind, rid in (("Liveness", "PW230"), ("Startup", "PW231")):
        fails = _probe_events(pod, c, kind, now)
        kills = _probe_kills(pod, c, kind, now)
        if kind == "Startup" and c.started is not False and not kills:
            continue  # the startup probe succeeded at some point: its old failures are history
        if fails or kills:
            last = newest(fails)
            summary = f"{kind.lower()} probe of {_where(c)} failing"
            if kills or c.restart_count:
                summary += f" ({_restarts(c)})"
            if last is not None:
                summary += f": {last.message}"
            evidence = [ev(e) for e in fails[-1:] + kills[-1:]]
            if kills or (fails and _killed_last(c, c.last_state.terminated)):
                # Not in a loop (that is a crash loop, above): a kill it recovered from, ready
                # again, is worth knowing but not a fault now, like PW260's restart.
                out.append(finding(rid, "Unhealthy",
                                   summary + ("; running and ready again" if c.ready else ""),
                                   detail=last.message if last else "",
                                   evidence=evidence, container=c, next_command=logs,
                                   severity="warning" if c.ready else None))
                return out
            if kind == "Startup":
                # Below its failureThreshold the kubelet keeps probing: still starting.
                wait = Wait(c.state.started_at,
                            float(c.startup.failing_after if c.startup else 0))
                out.append(finding(rid, "Unhealthy",
                                   f"{_where(c)} starting {wait.for_how_long(now)}: its "
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
            summary = f"{kind.lower()} probe of {_where(c)} "
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
            out.append(finding(rid, "Unhealthy", summary,
                               detail=last.message if last else "", evidence=evidence,
                               container=c, next_command=logs, severity="warning"))
    hooks = [e for e in _events(pod, c, "FailedPostStartHook") if recent(e, now)]
    if hooks:
        return [finding("PW240", "PostStartHookError", f"postStart hook of {_where(c)} failed",
                        detail=hooks[-1].message, evidence=[ev(hooks[-1])], container=c)]
    if not c.ready and not pod.terminal and pod.deletion_timestamp is None:
        fails = _probe_events(pod, c, "Readiness", now)
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
            waiting = (f"{_where(c)} was ready and lost it {wait.how_long(now)} ago; stuck "
                       f"after {wait.budget()}")
        elif fails:
            waiting = (f"{_where(c)} started {wait.how_long(now)} ago; its readiness probe "
                       f"has not passed yet (stuck after {wait.budget()})")
        else:
            waiting = (f"{_where(c)} started {wait.how_long(now)} ago and is not ready yet "
                       f"({probe}; stuck after {wait.budget()})")
        if fails:
            last = fails[-1]
            head = wait.says(now, stuck=f"readiness probe of {_where(c)} failing; not ready "
                                        f"{wait.for_how_long(now)}", waiting=waiting)
            out.append(finding("PW232", "Unhealthy", f"{head}: {last.message}",
                               detail=last.message, evidence=[ev(last)] + cond_ev,
                               container=c, next_command=logs, wait=wait, now=now))
        else:
            summary = wait.says(
                now, stuck=f"{_where(c)} is running but not ready {wait.for_how_long(now)} "
                           f"({probe}; no probe failure on record)", waiting=waiting)
            out.append(finding("PW233", "ContainersNotReady", summary, evidence=cond_ev,
                               container=c, next_command=logs, wait=wait, now=now))
    pre = [e for e in _events(pod, c, "FailedPreStopHook") if recent(e, now)]
    if pre:
        out.append(finding("PW241", "FailedPreStopHook", f"preStop hook of {_where(c)} failed",
                           detail=pre[-1].message, evidence=[ev(pre[-1])], container=c))
    prev = c.last_state.terminated
    if not any(f.severity != "warning" for f in out) and prev is not None and \
            (prev.exit_code != 0 or prev.reason == "OOMKilled"):
        age = (now - prev.finished_at).total_seconds() if prev.finished_at else None
        if age is not None and age <= 3600:
            out.append(finding(
                "PW260", prev.reason or "Error",
                f"{_where(c)} is running again; its previous run ended "
                f"{'at least ' if pod.ages_are_lower_bounds else ''}{human_duration(age)} "
                f"ago: {'OOMKilled' if prev.reason == 'OOMKilled' else _exit_text(prev)}",
                detail=prev.message, evidence=[_term_evidence(c, prev, last=True)],
                container=c, next_command=_logs_cmd(pod, c)))
    return out


def diagnose_ephemeral(pod: PodSnapshot, c: Container, now: datetime) -> list[Finding]:
    st = c.state
    bad = ""
    if st.kind == "waiting" and st.reason not in ("", "ContainerCreating", "PodInitializing"):
        bad = st.reason
    elif st.kind == "terminated" and st.terminated is not None and st.terminated.exit_code \
            not in (0, 130, 137, 143):
        bad = st.reason or "Error"
    if not bad:
        return []
    target = f" (targeting {c.target})" if c.target else ""
    detail = st.message
    return [finding("PW270", bad,
                    f"debug container {c.name}{target}: {bad}"
                    + (f": {detail[:160]}" if detail else "") + " (does not affect the pod)",
                    detail=detail,
                    evidence=[field(f"{c.status_path}.state.{st.kind}",
                                    f"{bad}: {detail}".strip(": "))], container=c)]

"""Container-level checks: images, config, create/start, crashes, probes, hooks, init, sidecars.

One function diagnoses one container from its state, last state and the events whose
fieldPath names it. The chain runs it over init containers (the first unfinished one),
sidecars, app containers and, for information only, ephemeral containers.
"""
from __future__ import annotations

from datetime import datetime

from kubectl_podwhy.finding import Evidence, Finding
from kubectl_podwhy.rules import messages as m
from kubectl_podwhy.rules.base import ev, field, finding, newest, recent
from kubectl_podwhy.snapshot import Container, Event, PodSnapshot, Terminated
from kubectl_podwhy.timeutil import format_time, human_duration

IMAGE_REASONS = frozenset({"ErrImagePull", "ImagePullBackOff", "RegistryUnavailable",
                           "SignatureValidationFailed", "ImageInspectError",
                           "ErrImageNotEnsured"})
CREATE_REASONS = frozenset({"CreateContainerError", "PreCreateHookError", "PreStartHookError"})
START_REASONS = frozenset({"StartError", "ContainerCannotRun"})
#: how long a regular init container may run before podwhy calls it stuck
INIT_STUCK_SECONDS = 600
#: a running, not-ready container without probe evidence is reported after this long
NOT_READY_GRACE_SECONDS = 120


def _logs_cmd(pod: PodSnapshot, c: Container, previous: bool = True) -> str:
    return (f"kubectl logs {pod.name} -n {pod.namespace} -c {c.name}"
            + (" --previous" if previous else ""))


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
                   hint=hint, next_command=f"kubectl get events -n {pod.namespace} "
                                            f"--field-selector involvedObject.uid={pod.uid}")


# --- crashes ------------------------------------------------------------------------------------

def _crash(pod: PodSnapshot, c: Container, now: datetime, t: Terminated | None,
           waiting: bool) -> Finding:
    """A container that keeps restarting: name the real cause behind the back-off."""
    evidence: list[Evidence] = []
    if waiting:
        evidence.append(field(f"{c.status_path}.state.waiting",
                              f"{c.state.reason}: {c.state.message}".strip(": ")))
    if t is not None:
        evidence.append(_term_evidence(c, t, last=waiting))
    backoff = [e for e in _events(pod, c, "BackOff") if "restarting" in e.message]
    evidence += [ev(e) for e in backoff[-1:]]
    logs = _logs_cmd(pod, c)
    detail_parts = [t.message.strip()] if t is not None and t.message.strip() else []
    if t is not None and t.reason in START_REASONS:
        binary = m.missing_binary(t.message)
        why = f"executable {binary!r} not found" if binary else t.message.strip()[:200]
        return finding("PW212", t.reason,
                       f"{_where(c)} cannot start: {why} ({_restarts(c)})",
                       detail=t.message, evidence=evidence, container=c,
                       next_command=f"kubectl get pod {pod.name} -n {pod.namespace} -o "
                                    f"jsonpath='{{.spec.{c.spec_list}[{c.index}].command}}'")
    if t is not None and t.reason == "OOMKilled":
        limit = f"; memory limit {c.memory_limit}" if c.memory_limit else \
            "; no memory limit set (the node ran out of memory)"
        return finding("PW220", "OOMKilled",
                       f"{_where(c)} was OOMKilled (exit code {t.exit_code}), {_restarts(c)}"
                       f"{limit}", detail="\n".join(detail_parts), evidence=evidence,
                       container=c, next_command=logs)
    for kind, rid in (("Liveness", "PW230"), ("Startup", "PW231")):
        kills = _probe_kills(pod, c, kind, now)
        fails = _probe_events(pod, c, kind, now)
        if kills or (fails and c.restart_count > 0):
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
        binary = m.missing_binary(msg)
        why = f"executable {binary!r} not found" if binary else (msg[:200] or r)
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
    return []


def _terminated(pod: PodSnapshot, c: Container, now: datetime, t: Terminated) -> list[Finding]:
    failed = t.exit_code != 0 or t.signal != 0 or t.reason == "OOMKilled"
    restarts = c.type == "sidecar" or pod.restart_policy == "Always"
    if not failed:
        if c.type in ("app", "sidecar") and restarts and c.restart_count > 0 \
                and not pod.terminal:
            return [_crash(pod, c, now, t, waiting=False)]
        return []
    if restarts:
        return [_crash(pod, c, now, t, waiting=False)]
    # restartPolicy Never or OnFailure: this attempt is over.
    summary = f"{_where(c)} failed: {_exit_text(t)}"
    if t.reason == "OOMKilled":
        summary = f"{_where(c)} was OOMKilled (exit code {t.exit_code})"
        if c.memory_limit:
            summary += f"; memory limit {c.memory_limit}"
    if t.message.strip():
        summary += f"; message: {t.message.strip().splitlines()[-1][:120]}"
    return [finding("PW224", t.reason or "Error", summary, detail=t.message,
                    evidence=[_term_evidence(c, t, last=False)], container=c,
                    next_command=_logs_cmd(pod, c, previous=False))]


def _running(pod: PodSnapshot, c: Container, now: datetime) -> list[Finding]:
    out: list[Finding] = []
    logs = _logs_cmd(pod, c, previous=False)
    if c.type == "init":
        ran = (now - c.state.started_at).total_seconds() if c.state.started_at else 0.0
        if ran >= INIT_STUCK_SECONDS:
            return [finding("PW250", "ContainersNotInitialized",
                            f"init container {c.name} has been running for "
                            f"{human_duration(ran)}; the app containers wait for it",
                            evidence=[field(f"{c.status_path}.state.running",
                                            f"startedAt={format_time(c.state.started_at)}")],
                            container=c, next_command=logs)]
        return []
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
            out.append(finding(rid, "Unhealthy", summary,
                               detail=last.message if last else "",
                               evidence=[ev(e) for e in fails[-1:] + kills[-1:]],
                               container=c, next_command=logs))
            return out
    hooks = [e for e in _events(pod, c, "FailedPostStartHook") if recent(e, now)]
    if hooks:
        return [finding("PW240", "PostStartHookError", f"postStart hook of {_where(c)} failed",
                        detail=hooks[-1].message, evidence=[ev(hooks[-1])], container=c)]
    if not c.ready and not pod.terminal and pod.deletion_timestamp is None:
        fails = _probe_events(pod, c, "Readiness", now)
        cond = pod.condition("ContainersReady")
        cond_ev = [field("status.conditions[ContainersReady]", f"{cond.reason}: {cond.message}")
                   ] if cond is not None and cond.status != "True" else []
        if fails:
            last = fails[-1]
            out.append(finding("PW232", "Unhealthy",
                               f"readiness probe of {_where(c)} failing: {last.message}",
                               detail=last.message, evidence=[ev(last)] + cond_ev,
                               container=c, next_command=logs))
        else:
            up = (now - c.state.started_at).total_seconds() if c.state.started_at else 1e9
            if up >= NOT_READY_GRACE_SECONDS:
                probe = "its readiness probe" if c.readiness else "no readiness probe"
                out.append(finding("PW233", "ContainersNotReady",
                                   f"{_where(c)} is running but not ready for "
                                   f"{human_duration(up)} ({probe}; no probe failure on "
                                   "record)", evidence=cond_ev, container=c,
                                   next_command=logs))
    pre = [e for e in _events(pod, c, "FailedPreStopHook") if recent(e, now)]
    if pre:
        out.append(finding("PW241", "FailedPreStopHook", f"preStop hook of {_where(c)} failed",
                           detail=pre[-1].message, evidence=[ev(pre[-1])], container=c))
    prev = c.last_state.terminated
    if not out and prev is not None and (prev.exit_code != 0 or prev.reason == "OOMKilled"):
        age = (now - prev.finished_at).total_seconds() if prev.finished_at else None
        if age is not None and age <= 3600:
            out.append(finding(
                "PW260", prev.reason or "Error",
                f"{_where(c)} is running again; its previous run ended {human_duration(age)} "
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

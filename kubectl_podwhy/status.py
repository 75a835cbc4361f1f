"""The READY, STATUS and RESTARTS columns exactly as ``kubectl get pod`` prints them (printPod
in pkg/printers/internalversion/printers.go of the kubernetes repository)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kubectl_podwhy.rawjson import as_dict, as_list
from kubectl_podwhy.timeutil import parse_time


def _ready_condition_true(status: dict[str, Any]) -> bool:
    return any(as_dict(c).get("type") == "Ready" and as_dict(c).get("status") == "True"
               for c in as_list(status.get("conditions")))


def _initialized_true(status: dict[str, Any]) -> bool:
    return any(as_dict(c).get("type") == "Initialized" and as_dict(c).get("status") == "True"
               for c in as_list(status.get("conditions")))


def _int(v: object) -> int:
    """An exit code as the API gives it; anything else (text, a list, inf) counts as 0."""
    return v if isinstance(v, int) and not isinstance(v, bool) else 0


def _restarts(v: object) -> int:
    """A restartCount as the API gives it (a non-negative int32); anything else counts as 0,
    as snapshot's validation reads it as absent."""
    n = _int(v)
    return n if 0 <= n <= 2**31 - 1 else 0


def _terminated_text(t: dict[str, Any], prefix: str = "") -> str:
    if t.get("reason"):
        return prefix + str(t["reason"])
    if t.get("signal"):
        return f"{prefix}Signal:{t['signal']}"
    return f"{prefix}ExitCode:{_int(t.get('exitCode'))}"


@dataclass(frozen=True)
class PodColumns:
    """What ``kubectl get pod`` shows of a pod's containers: READY as ``ready/total`` (app
    containers, plus restartable init containers: native sidecars), STATUS, and RESTARTS
    (``restarts``, with the time the latest restarted container last terminated,
    ``last_restart``, None when no status says)."""

    ready: int
    total: int
    status: str
    restarts: int
    last_restart: datetime | None


def _later(t: datetime | None, container_status: dict[str, Any]) -> datetime | None:
    """``t``, or when the container last terminated if that is later."""
    term = as_dict(as_dict(container_status.get("lastState")).get("terminated"))
    finished = parse_time(term.get("finishedAt"))
    return finished if finished is not None and (t is None or finished > t) else t


def pod_columns(pod: dict[str, Any]) -> PodColumns:
    """printPod's READY, STATUS and RESTARTS, step by step: init container statuses in
    order up to the first one that has not completed (a started sidecar counts as ready
    when it is; their restarts count), then, once initialised, the app containers' (their
    restarts and the sidecars' only)."""
    meta = as_dict(pod.get("metadata"))
    spec = as_dict(pod.get("spec"))
    status = as_dict(pod.get("status"))
    phase = str(status.get("phase") or "")
    reason = str(status.get("reason") or phase)
    for c in as_list(status.get("conditions")):
        c = as_dict(c)
        if c.get("type") == "PodScheduled" and c.get("reason") == "SchedulingGated":
            reason = "SchedulingGated"

    init_specs = {str(as_dict(c).get("name")): as_dict(c)
                  for c in as_list(spec.get("initContainers"))}
    n_init = len(as_list(spec.get("initContainers")))
    total = len(as_list(spec.get("containers"))) + sum(
        1 for c in as_list(spec.get("initContainers"))
        if as_dict(c).get("restartPolicy") == "Always")
    ready = restarts = sidecar_restarts = 0
    last: datetime | None = None
    last_sidecar: datetime | None = None

    initializing = False
    for i, cs in enumerate(as_list(status.get("initContainerStatuses"))):
        cs = as_dict(cs)
        state = as_dict(cs.get("state"))
        term = state.get("terminated")
        waiting = state.get("waiting")
        restartable = init_specs.get(str(cs.get("name")), {}).get("restartPolicy") == "Always"
        restarts += _restarts(cs.get("restartCount"))
        last = _later(last, cs)
        if restartable:
            sidecar_restarts += _restarts(cs.get("restartCount"))
            last_sidecar = _later(last_sidecar, cs)
        if isinstance(term, dict) and _int(term.get("exitCode")) == 0:
            continue
        if restartable and cs.get("started") is True:
            if cs.get("ready"):
                ready += 1
            continue
        if isinstance(term, dict):
            reason = _terminated_text(term, "Init:")
        elif isinstance(waiting, dict) and waiting.get("reason") and \
                waiting.get("reason") != "PodInitializing":
            reason = f"Init:{waiting['reason']}"
        else:
            reason = f"Init:{i}/{n_init}"
        initializing = True
        break

    if not initializing or _initialized_true(status):
        restarts, last = sidecar_restarts, last_sidecar
        has_running = False
        for cs in reversed(as_list(status.get("containerStatuses"))):
            cs = as_dict(cs)
            restarts += _restarts(cs.get("restartCount"))
            last = _later(last, cs)
            state = as_dict(cs.get("state"))
            waiting = state.get("waiting")
            term = state.get("terminated")
            if isinstance(waiting, dict) and waiting.get("reason"):
                reason = str(waiting["reason"])
            elif isinstance(term, dict):
                reason = _terminated_text(term)
            elif cs.get("ready") and isinstance(state.get("running"), dict):
                has_running = True
                ready += 1
        if reason == "Completed" and has_running:
            reason = "Running" if _ready_condition_true(status) else "NotReady"

    if meta.get("deletionTimestamp") and status.get("reason") == "NodeLost":
        reason = "Unknown"
    elif meta.get("deletionTimestamp") and phase not in ("Succeeded", "Failed"):
        reason = "Terminating"
    return PodColumns(ready, total, reason or "Unknown", restarts, last)


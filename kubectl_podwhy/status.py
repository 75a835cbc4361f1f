"""The STATUS column exactly as ``kubectl get pod`` prints it (printPod in kubectl's printers)."""
from __future__ import annotations

from typing import Any

from kubectl_podwhy.rawjson import as_dict, as_list


def _ready_condition_true(status: dict[str, Any]) -> bool:
    return any(as_dict(c).get("type") == "Ready" and as_dict(c).get("status") == "True"
               for c in as_list(status.get("conditions")))


def _initialized_true(status: dict[str, Any]) -> bool:
    return any(as_dict(c).get("type") == "Initialized" and as_dict(c).get("status") == "True"
               for c in as_list(status.get("conditions")))


def _int(v: object) -> int:
    """An exit code as the API gives it; anything else (text, a list, inf) counts as 0."""
    return v if isinstance(v, int) and not isinstance(v, bool) else 0


def _terminated_text(t: dict[str, Any], prefix: str = "") -> str:
    if t.get("reason"):
        return prefix + str(t["reason"])
    if t.get("signal"):
        return f"{prefix}Signal:{t['signal']}"
    return f"{prefix}ExitCode:{_int(t.get('exitCode'))}"


def kubectl_status(pod: dict[str, Any]) -> str:
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

    initializing = False
    for i, cs in enumerate(as_list(status.get("initContainerStatuses"))):
        cs = as_dict(cs)
        state = as_dict(cs.get("state"))
        term = state.get("terminated")
        waiting = state.get("waiting")
        restartable = init_specs.get(str(cs.get("name")), {}).get("restartPolicy") == "Always"
        if isinstance(term, dict) and _int(term.get("exitCode")) == 0:
            continue
        if restartable and cs.get("started") is True:
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
        has_running = False
        for cs in reversed(as_list(status.get("containerStatuses"))):
            cs = as_dict(cs)
            state = as_dict(cs.get("state"))
            waiting = state.get("waiting")
            term = state.get("terminated")
            if isinstance(waiting, dict) and waiting.get("reason"):
                reason = str(waiting["reason"])
            elif isinstance(term, dict):
                reason = _terminated_text(term)
            elif cs.get("ready") and isinstance(state.get("running"), dict):
                has_running = True
        if reason == "Completed" and has_running:
            reason = "Running" if _ready_condition_true(status) else "NotReady"

    if meta.get("deletionTimestamp") and status.get("reason") == "NodeLost":
        reason = "Unknown"
    elif meta.get("deletionTimestamp") and phase not in ("Succeeded", "Failed"):
        reason = "Terminating"
    return reason or "Unknown"

"""Small hand-built API objects for tests that need one specific shape."""
from __future__ import annotations

from typing import Any

NOW = "2026-11-21T10:00:00Z"


def pod(name: str = "web-0", namespace: str = "default", uid: str = "uid-web-0",
        *, containers: list[dict[str, Any]] | None = None,
        statuses: list[dict[str, Any]] | None = None, phase: str = "Running",
        node: str = "node-1", **status: Any) -> dict[str, Any]:
    ready = all(s.get("ready") for s in statuses or [])
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "uid": uid,
                     "creationTimestamp": "2026-11-21T09:00:00Z"},
        "spec": {"nodeName": node, "restartPolicy": "Always",
                 "containers": containers or [{"name": "app", "image": "nginx:1.27"}]},
        "status": {"phase": phase, "startTime": "2026-11-21T09:00:01Z",
                   "conditions": [{"type": "Ready", "status": "True" if ready else "False"},
                                  {"type": "ContainersReady",
                                   "status": "True" if ready else "False"},
                                  {"type": "Initialized", "status": "True"},
                                  {"type": "PodScheduled", "status": "True"}],
                   "containerStatuses": statuses if statuses is not None else [{
                       "name": "app", "ready": True, "restartCount": 0, "started": True,
                       "image": "nginx:1.27",
                       "state": {"running": {"startedAt": "2026-11-21T09:00:05Z"}}}],
                   **status},
    }


def crashloop_statuses(exit_code: int = 1, reason: str = "Error",
                       message: str = "") -> list[dict[str, Any]]:
    return [{"name": "app", "ready": False, "restartCount": 7, "started": False,
             "image": "nginx:1.27",
             "state": {"waiting": {"reason": "CrashLoopBackOff",
                                   "message": "back-off 5m0s restarting failed container=app "
                                              "pod=web-0_default(uid-web-0)"}},
             "lastState": {"terminated": {"exitCode": exit_code, "reason": reason,
                                          "message": message,
                                          "startedAt": "2026-11-21T09:54:00Z",
                                          "finishedAt": "2026-11-21T09:55:00Z"}}}]


def event(reason: str, message: str, *, uid: str = "uid-web-0", name: str = "web-0",
          kind: str = "Pod", type_: str = "Warning", count: int = 1,
          field_path: str = "", last: str = "2026-11-21T09:58:00Z") -> dict[str, Any]:
    return {
        "apiVersion": "v1", "kind": "Event",
        "metadata": {"name": f"{name}.{reason.lower()}", "namespace": "default",
                     "uid": f"ev-{reason}-{uid}-{count}"},
        "involvedObject": {"kind": kind, "name": name, "namespace": "default", "uid": uid,
                           "fieldPath": field_path},
        "reason": reason, "message": message, "type": type_, "count": count,
        "firstTimestamp": "2026-11-21T09:30:00Z", "lastTimestamp": last,
        "source": {"component": "kubelet"},
    }


def as_list(*objs: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "List", "metadata": {}, "items": list(objs)}

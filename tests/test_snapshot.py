"""Normalisation: events matched to the right pod, both event APIs, containers told apart."""
from __future__ import annotations

from typing import Any

from kubectl_podwhy.snapshot import Gathered, build_snapshots, effective_requests
from kubectl_podwhy.sources import files
from tests import podfactory as pf


def snap(*objs: dict[str, Any]) -> Any:
    g = Gathered()
    for o in objs:
        if o["kind"] == "Pod":
            g.pods.append(o)
        else:
            g.events.append(o)
    return build_snapshots(g)


def test_events_are_matched_by_uid_not_by_name() -> None:
    [s] = snap(pf.pod(uid="new"),
               pf.event("FailedScheduling", "old pod's event", uid="old"),
               pf.event("BackOff", "this pod's event", uid="new"))
    assert [e.message for e in s.events] == ["this pod's event"]


def test_events_of_another_kind_with_the_same_name_are_ignored() -> None:
    [s] = snap(pf.pod(uid="u"), pf.event("FailedCreate", "rs event", uid="", kind="ReplicaSet"),
               pf.event("Unhealthy", "no uid: matched by name", uid=""))
    assert [e.message for e in s.events] == ["no uid: matched by name"]


def test_events_k8s_io_v1_events_are_normalised_and_deduplicated() -> None:
    core = pf.event("BackOff", "Back-off restarting failed container app", uid="u",
                    field_path="spec.containers{app}", count=3)
    new_api = {
        "apiVersion": "events.k8s.io/v1", "kind": "Event",
        "metadata": {"name": "x", "namespace": "default", "uid": "ev-2"},
        "regarding": {"kind": "Pod", "name": "web-0", "namespace": "default", "uid": "u",
                      "fieldPath": "spec.containers{app}"},
        "reason": "Unhealthy", "note": "Readiness probe failed: 503", "type": "Warning",
        "series": {"count": 9, "lastObservedTime": "2026-11-21T09:59:00.123456Z"},
        "eventTime": "2026-11-21T09:40:00.000000Z", "reportingController": "kubelet",
        "reportingInstance": "node-1", "action": "Probe",
    }
    same_as_core = dict(core)  # the same stored event read through the other API
    [s] = snap(pf.pod(uid="u"), core, new_api, same_as_core)
    assert [(e.reason, e.count, e.container, e.api) for e in s.events] == [
        ("BackOff", 3, "app", "v1"), ("Unhealthy", 9, "app", "events.k8s.io/v1")]
    assert s.events[1].last_seen is not None
    assert s.events[1].last_seen.isoformat() == "2026-11-21T09:59:00.123456+00:00"


def test_typed_list_items_without_kind_inherit_it(tmp_path: Any) -> None:
    p = tmp_path / "podlist.json"
    item = pf.pod()
    del item["kind"], item["apiVersion"]
    import json
    p.write_text(json.dumps({"apiVersion": "v1", "kind": "PodList", "items": [item]}))
    assert len(files.load([str(p)]).pods) == 1


def test_containers_are_told_apart_init_sidecar_app_ephemeral() -> None:
    p = pf.pod()
    p["spec"]["initContainers"] = [{"name": "migrate", "image": "m"},
                                   {"name": "proxy", "image": "p", "restartPolicy": "Always"}]
    p["spec"]["ephemeralContainers"] = [{"name": "debugger", "image": "busybox",
                                         "targetContainerName": "app"}]
    [s] = snap(p)
    assert [(c.name, c.type) for c in s.containers] == [
        ("migrate", "init"), ("proxy", "sidecar"), ("app", "app"), ("debugger", "ephemeral")]
    assert s.containers[-1].target == "app"


def test_effective_requests_follow_the_scheduler_accounting() -> None:
    spec = {"initContainers": [
                {"name": "big-init", "resources": {"requests": {"cpu": "3"}}},
                {"name": "sidecar", "restartPolicy": "Always",
                 "resources": {"requests": {"cpu": "500m", "memory": "64Mi"}}}],
            "containers": [{"name": "a", "resources": {"requests": {"cpu": "1",
                                                                    "memory": "1Gi"}}},
                           {"name": "b", "resources": {"requests": {"cpu": "250m"}}}]}
    # max(init 3, app 1.25 + sidecar 0.5) = 3 cpu; memory 1Gi + 64Mi
    assert effective_requests(spec) == {"cpu": "3", "memory": "1088Mi"}

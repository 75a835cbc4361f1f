"""Normalisation: events matched to the right pod, both event APIs, containers told apart."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from kubectl_podwhy.errors import PodwhyError
from kubectl_podwhy.snapshot import (
    PULL_EVENT_REASONS,
    UNREAD_EVENT_REASONS,
    Gathered,
    build_snapshots,
    effective_requests,
    normalize_event,
    pull_event_pods,
    reference,
    reference_time,
    trim_event,
    trim_pod,
    unreadable_status,
)
from kubectl_podwhy.sources import files
from kubectl_podwhy.verdict import assemble
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


@pytest.mark.parametrize(("status", "why"), [
    (None, "status is null"),
    ("Running", "status is a str, not an object"),
    ({}, "status.phase is missing"),
    ({"phase": ["Running"]}, "status.phase is not a string"),
    ({"phase": "Unknown"}, "status.phase is Unknown"),
    ({"phase": "Exploded"}, "status.phase 'Exploded' is not a pod phase"),
    ({"phase": "Running", "containerStatuses": None}, "phase Running but no container statuses"),
    ({"phase": "Running", "containerStatuses": "app"}, "status.containerStatuses is not a list"),
    ({"phase": "Running", "containerStatuses": ["app"]}, "entries that are not objects"),
    ({"phase": "Running", "containerStatuses": [{"name": "app", "state": "running"}]},
     "status.containerStatuses[app].state is missing or unreadable"),
    ({"phase": "Running", "containerStatuses": [{"name": "app", "state": {}}]},
     "status.containerStatuses[app].state is missing or unreadable"),
])
def test_a_status_that_cannot_be_trusted_says_why(status: object, why: str) -> None:
    assert why in unreadable_status({"status": status})


@pytest.mark.parametrize("status", [
    {"phase": "Pending"},  # just created: no container statuses yet
    {"phase": "Failed", "reason": "OutOfcpu"},  # rejected at admission: none either
    pf.pod()["status"],
])
def test_a_real_status_is_readable(status: dict[str, object]) -> None:
    assert unreadable_status({"status": status}) == ""


def test_yaml_timestamps_left_unquoted_stay_timestamps(tmp_path: Path) -> None:
    p = tmp_path / "pod.yaml"
    p.write_text("kind: Pod\nmetadata:\n  name: a\n  creationTimestamp: 2026-11-21T09:00:00Z\n"
                 "status:\n  phase: Pending\n")
    g = files.load([str(p)])
    assert g.pods[0]["metadata"]["creationTimestamp"] == "2026-11-21T09:00:00Z"
    assert reference_time(g) == (datetime(2026, 11, 21, 9, tzinfo=timezone.utc), "inferred")


def test_the_deletion_request_is_a_moment_the_input_proves() -> None:
    p = pf.pod()
    p["metadata"].update(deletionTimestamp="2026-11-21T11:00:30Z",
                         deletionGracePeriodSeconds=30)
    when, basis = reference_time(Gathered(pods=[p]))
    assert (when, basis) == (datetime(2026, 11, 21, 11, tzinfo=timezone.utc), "inferred")


@pytest.mark.parametrize("text", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00",
                                  "2026-13-01T00:00:00Z", "yesterday", "", "9" * 100])
def test_timestamps_out_of_range_or_malformed_are_absent_not_errors(text: str) -> None:
    from kubectl_podwhy.timeutil import parse_time

    assert parse_time(text) is None


ROOT = Path(__file__).parent.parent
INPUTS = sorted(p for d in ("tests/fixtures", "tests/cases", "tests/hostile", "examples")
                for p in (ROOT / d).rglob("*") if p.suffix in (".json", ".yaml", ".yml")
                and not p.name.endswith(".expect.json"))


def _verdicts(g: Gathered, now: datetime, basis: Any) -> list[Any]:
    result = assemble(g, None, now, basis=basis)
    return ([(r.pod.key, r.status, r.state, r.verdict, r.findings, r.pod.notes)
             for r in result.pods]
            + [(w.view.workload.key, w.state, w.verdict, w.findings) for w in result.workloads])


def test_trimmed_pods_and_events_give_the_verdicts_whole_ones_give() -> None:
    # The cluster source's lean LISTs keep only the fields the snapshot's schema lists
    # (trim_pod, trim_event) and leave the events no rule reads on the server; a rule reading
    # a field or an event left out would judge live runs differently from saved objects.
    # Every bundled input is judged both ways.
    compared = 0
    differ = []
    for path in INPUTS:
        try:
            whole = files.load([str(path)])
        except PodwhyError:
            continue  # unusable input (tests/hostile): no verdict to compare
        trimmed = files.load([str(path)])
        trimmed.pods = [trim_pod(p) for p in trimmed.pods]
        left = (*UNREAD_EVENT_REASONS, *PULL_EVENT_REASONS)
        trimmed.events = [trim_event(e) for e in trimmed.events
                          if normalize_event(e)[1].reason not in left]
        need = pull_event_pods(trimmed)  # then fetched by uid, whole, as the source does
        trimmed.events += [e for e in whole.events if normalize_event(e)[0].get("uid") in need]
        now, basis, _ = reference(whole, None, datetime(2026, 11, 21, tzinfo=timezone.utc))
        if _verdicts(trimmed, now, basis) != _verdicts(whole, now, basis):
            differ.append(path.relative_to(ROOT))
        compared += 1
    assert not differ, f"trimming changes the verdicts of {differ}"
    assert compared > 250, compared


def test_trimming_keeps_what_is_read_and_drops_the_rest() -> None:
    pod = pf.pod()
    pod["metadata"]["annotations"] = {"kubernetes.io/config.mirror": "x", "big": "y" * 1000}
    pod["metadata"]["managedFields"] = [{"manager": "kubectl"}]
    pod["spec"]["containers"][0]["env"] = [{"name": "A", "value": "1"}]
    pod["spec"]["volumes"] = [{"name": "data", "persistentVolumeClaim": {"claimName": "d"},
                               "csi": {"driver": "x"}}]
    lean = trim_pod(pod)
    assert lean["metadata"]["annotations"] == {"kubernetes.io/config.mirror": "x"}
    assert "managedFields" not in lean["metadata"]
    assert "env" not in lean["spec"]["containers"][0]
    assert lean["spec"]["containers"][0]["name"] == pod["spec"]["containers"][0]["name"]
    assert lean["spec"]["volumes"] == [{"name": "data",
                                        "persistentVolumeClaim": {"claimName": "d"}}]
    assert lean["status"] == pod["status"]


def test_trimming_keeps_a_value_of_the_wrong_type_so_it_is_still_named() -> None:
    pod = pf.pod()
    pod["spec"]["containers"] = "not a list"
    pod["metadata"]["annotations"] = ["a"]
    lean = trim_pod(pod)
    assert lean["spec"]["containers"] == "not a list"
    assert lean["metadata"]["annotations"] == ["a"]

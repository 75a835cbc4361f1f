"""False-positive traps from the failure catalog (section 2.7) that have no file fixture.

Each test builds the trap and shows podwhy does not raise a false alarm. The other traps have
fixtures: healthy-job-sidecar-137 (1), healthy-old-restart (2), PW104-within-grace (3),
trap-evicted-error-137 (4), PW115-node-shutdown (5), healthy-running-noise and
trap-pull-secret-warning (6), trap-old-incarnation-events and trap-replicaset-same-name (9),
PW205-backoff-only (10).
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from kubectl_podwhy.report import PodReport
from kubectl_podwhy.snapshot import Gathered, build_snapshots
from kubectl_podwhy.verdict import diagnose_pod
from tests import podfactory as pf

NOW = datetime(2026, 11, 21, 10, 0, tzinfo=timezone.utc)


def diagnose(pod: dict[str, Any], *events: dict[str, Any],
             nodes: dict[str, dict[str, Any]] | None = None) -> PodReport:
    g = Gathered(pods=[pod], events=list(events), nodes=nodes or {})
    return diagnose_pod(build_snapshots(g)[0], NOW)


def node(name: str = "node-1", *extra: dict[str, str]) -> dict[str, Any]:
    conds = [{"type": "Ready", "status": "True", "reason": "KubeletReady",
              "message": "kubelet is posting ready status"}, *extra]
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name},
            "spec": {}, "status": {"conditions": conds}}


def test_trap8_sandbox_changed_once_after_a_reboot_is_not_a_problem() -> None:
    r = diagnose(pf.pod(), pf.event("SandboxChanged", "Pod sandbox changed, it will be killed "
                                    "and re-created.", type_="Normal"))
    assert r.healthy
    assert r.findings == ()


def test_trap12_non_standard_node_conditions_do_not_make_the_node_not_ready() -> None:
    npd = {"type": "KernelDeadlock", "status": "True", "reason": "DockerHung",
           "message": "kernel: INFO: task docker:20744 blocked for more than 120 seconds."}
    r = diagnose(pf.pod(), nodes={"node-1": node("node-1", npd)})
    assert r.healthy
    assert r.findings == ()


def test_trap13_a_transient_start_error_that_recovered_is_only_a_warning() -> None:
    statuses = [{"name": "app", "ready": True, "restartCount": 1, "started": True,
                 "state": {"running": {"startedAt": "2026-11-21T09:50:00Z"}},
                 "lastState": {"terminated": {
                     "exitCode": 128, "reason": "StartError",
                     "message": "failed to create containerd task: context deadline exceeded",
                     "startedAt": "1970-01-01T00:00:00Z",
                     "finishedAt": "2026-11-21T09:49:58Z"}}}]
    r = diagnose(pf.pod(statuses=statuses))
    assert r.healthy
    assert [(f.rule, f.severity, f.reason) for f in r.findings] == [
        ("PW260", "warning", "StartError")]


def test_trap7_a_pending_pod_during_scale_up_says_the_autoscaler_is_acting() -> None:
    p = pf.pod(phase="Pending", node="", statuses=[])
    p["spec"].pop("nodeName")
    p["status"]["conditions"] = [{"type": "PodScheduled", "status": "False",
                                  "reason": "Unschedulable",
                                  "message": "0/2 nodes are available: 2 Insufficient cpu. "
                                             "preemption: 0/2 nodes are available: 2 No "
                                             "preemption victims found for incoming pod."}]
    r = diagnose(p, pf.event("TriggeredScaleUp", "pod triggered scale-up: "
                             "[{eks-workers 3->4 (max: 10)}]", type_="Normal"))
    assert r.verdict is not None
    assert r.verdict.rule == "PW121"
    assert "autoscaler triggered a scale-up" in r.verdict.summary


def test_a_ready_node_with_an_old_node_not_ready_event_is_healthy() -> None:
    r = diagnose(pf.pod(), pf.event("NodeNotReady", "Node is not ready",
                                    last="2026-11-21T09:59:00Z"),
                 nodes={"node-1": node()})
    assert r.healthy


def test_terminating_pod_is_not_blamed_on_its_unready_containers() -> None:
    p = pf.pod(statuses=pf.crashloop_statuses())
    p["metadata"]["deletionTimestamp"] = "2026-11-21T10:00:20Z"
    p["metadata"]["deletionGracePeriodSeconds"] = 30
    r = diagnose(p)
    # Progressing (it waits out its grace period), never failing on its containers.
    assert r.state == "progressing"
    assert [f.rule for f in r.findings] == ["PW104"]
    assert r.verdict is not None
    assert (r.verdict.rule, r.verdict.severity) == ("PW104", "waiting")


def test_dra_device_taint_deletion_is_reported_as_a_taint_manager_deletion() -> None:
    p = pf.pod()
    p["metadata"]["deletionTimestamp"] = "2026-11-21T10:00:20Z"
    p["metadata"]["deletionGracePeriodSeconds"] = 30
    p["status"]["conditions"].append({
        "type": "DisruptionTarget", "status": "True", "reason": "DeletionByDeviceTaintManager",
        "message": "Device Taint manager: deleting due to NoExecute taint"})
    r = diagnose(p)
    assert r.verdict is not None
    assert (r.verdict.rule, r.verdict.reason) == ("PW112", "DeletionByDeviceTaintManager")
    assert "device" in r.verdict.summary
    assert [f.rule for f in r.findings] == ["PW112", "PW104"]


def _liveness_failure(last: str, count: int = 2) -> dict[str, Any]:
    return pf.event("Unhealthy", "Liveness probe failed: HTTP probe failed with statuscode: 500",
                    field_path="spec.containers{app}", count=count, last=last)


def test_an_old_liveness_failure_on_a_ready_container_is_said_in_the_past() -> None:
    # 50 minutes without a later failure: the kubelet probed every 10 s since and it passed.
    r = diagnose(pf.pod(), _liveness_failure("2026-11-21T09:10:00Z"))
    assert r.healthy
    assert [(f.rule, f.severity) for f in r.findings] == [("PW230", "warning")]
    assert r.findings[0].summary == (
        "liveness probe of container app failed 2 times, last 50m ago; passing since, no "
        "restart: Liveness probe failed: HTTP probe failed with statuscode: 500")


def test_a_liveness_failure_seconds_ago_is_still_failing() -> None:
    r = diagnose(pf.pod(), _liveness_failure("2026-11-21T09:59:50Z"))
    assert r.healthy
    assert r.findings[0].summary == (
        "liveness probe of container app failing: Liveness probe failed: HTTP probe failed "
        "with statuscode: 500 (no restart yet)")


def test_restarts_with_another_cause_are_not_pinned_on_a_probe_that_killed_nothing() -> None:
    statuses = [{"name": "app", "ready": True, "restartCount": 2, "started": True,
                 "state": {"running": {"startedAt": "2026-11-21T09:08:52Z"}},
                 "lastState": {"terminated": {
                     "exitCode": 137, "reason": "OOMKilled",
                     "startedAt": "2026-11-21T09:00:05Z",
                     "finishedAt": "2026-11-21T09:08:50Z"}}}]
    r = diagnose(pf.pod(statuses=statuses), _liveness_failure("2026-11-21T09:09:30Z"))
    probe = next(f for f in r.findings if f.rule == "PW230")
    assert "restarted" not in probe.summary
    assert "no restart" in probe.summary

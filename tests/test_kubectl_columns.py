"""kubectl get pod's READY, STATUS and RESTARTS (printPod in the kubernetes repository's
pkg/printers/internalversion/printers.go) and its ages (duration.HumanDuration), which
-o wide shows: the same text kubectl prints for the same pod."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from kubectl_podwhy.status import PodColumns, pod_columns
from kubectl_podwhy.timeutil import kubectl_duration
from tests import podfactory as pf

S, M, H, D, Y = 1, 60, 3600, 86400, 365 * 86400


@pytest.mark.parametrize(("seconds", "shown"), [
    # apimachinery's pkg/util/duration/duration_test.go, TestHumanDuration(Boundaries)
    (-2, "<invalid>"), (-1.999, "0s"), (0, "0s"), (0.999, "0s"), (1, "1s"), (70, "70s"),
    (2 * M - 0.001, "119s"), (2 * M, "2m"), (2 * M + 1, "2m1s"), (190, "3m10s"),
    (10 * M - 0.001, "9m59s"), (10 * M, "10m"), (10 * M + 1, "10m"), (70 * M, "70m"),
    (3 * H - 0.001, "179m"), (3 * H, "3h"), (3 * H + M, "3h1m"), (8 * H - 0.001, "7h59m"),
    (8 * H, "8h"), (8 * H + 59 * M, "8h"), (47 * H, "47h"), (2 * D, "2d"), (49 * H, "2d1h"),
    (8 * D - 0.001, "7d23h"), (8 * D, "8d"), (8 * D + 23 * H, "8d"), (367 * D, "367d"),
    (2 * Y - 0.001, "729d"), (2 * Y, "2y"), (2 * Y + D - 0.001, "2y"), (2 * Y + D, "2y1d"),
    (2 * Y + 25 * H, "2y1d"), (8 * Y - 0.001, "7y364d"), (8 * Y, "8y"), (9 * Y, "9y"),
])
def test_ages_are_kubectls_human_duration(seconds: float, shown: str) -> None:
    assert kubectl_duration(seconds) == shown


def status(name: str, ready: bool, restarts: int = 0, state: dict[str, Any] | None = None,
           finished: str | None = None, started: bool | None = None) -> dict[str, Any]:
    st: dict[str, Any] = {"name": name, "ready": ready, "restartCount": restarts,
                          "state": state or {"running": {"startedAt": "2026-11-21T09:00:05Z"}}}
    if finished:
        st["lastState"] = {"terminated": {"exitCode": 1, "reason": "Error",
                                          "finishedAt": finished}}
    if started is not None:
        st["started"] = started
    return st


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


def test_ready_counts_ready_app_containers_and_started_sidecars_and_restarts_both() -> None:
    p = pf.pod(containers=[{"name": "app"}, {"name": "worker"}], statuses=[
        status("app", True, 2, finished="2026-11-21T09:40:00Z"),
        status("worker", False, 0, {"waiting": {"reason": "CrashLoopBackOff"}})])
    p["spec"]["initContainers"] = [
        {"name": "setup"}, {"name": "proxy", "restartPolicy": "Always"}]
    p["status"]["initContainerStatuses"] = [
        status("setup", False, 1, {"terminated": {"exitCode": 0, "reason": "Completed"}},
               finished="2026-11-21T09:58:00Z"),
        status("proxy", True, 3, finished="2026-11-21T09:50:00Z", started=True)]
    # setup's restart is not counted once the pod is initialised (only sidecars' are)
    assert pod_columns(p) == PodColumns(2, 3, "CrashLoopBackOff", 5,
                                        at("2026-11-21T09:50:00Z"))


def test_an_init_container_still_failing_counts_every_init_restart_and_no_app_container(
        ) -> None:
    p = pf.pod(statuses=[status("app", False, 0, {"waiting": {"reason": "PodInitializing"}})])
    p["spec"]["initContainers"] = [{"name": "migrate"}, {"name": "late-sidecar",
                                                         "restartPolicy": "Always"}]
    p["status"]["initContainerStatuses"] = [
        status("migrate", False, 4, {"waiting": {"reason": "CrashLoopBackOff"}},
               finished="2026-11-21T09:57:00Z"),
        status("late-sidecar", False, 0, {"waiting": {"reason": "PodInitializing"}})]
    p["status"]["conditions"] = [{"type": "Initialized", "status": "False"}]
    assert pod_columns(p) == PodColumns(0, 2, "Init:CrashLoopBackOff", 4,
                                        at("2026-11-21T09:57:00Z"))


def test_restarts_without_a_recorded_termination_have_no_time() -> None:
    p = pf.pod(statuses=[status("app", True, 3)])
    assert pod_columns(p) == PodColumns(1, 1, "Running", 3, None)


@pytest.mark.parametrize("count", [-5, 10**40, 2**31])
def test_a_restart_count_that_is_not_an_int32_counts_as_zero_as_the_warning_says(
        count: int) -> None:
    p = pf.pod(statuses=[status("app", True, 3)])
    p["status"]["containerStatuses"][0]["restartCount"] = count
    assert pod_columns(p) == PodColumns(1, 1, "Running", 0, None)

"""The --wait gate on saved inputs: which failing verdicts Kubernetes will not fix by itself
(terminal: fail at once), on real fixtures run as `kubectl podwhy -f` runs them, and where each
target of a run stands."""
from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from kubectl_podwhy.gate import DEFAULT_MAX_RESTARTS, Standing, is_terminal, standings
from kubectl_podwhy.report import Finding, Report, Severity
from kubectl_podwhy.rules.catalog import RULES, RULES_BY_ID
from kubectl_podwhy.verdict import overall_state, worst
from tests import podfactory as pf
from tests.fixturelib import FIXTURES, Fixture, load_fixture, run_fixture


def test_warnings_and_waiting_rules_never_fail_fast() -> None:
    for r in RULES:
        if r.severity != "error":
            assert r.fail_fast == "no", r.id








def _finding(rule: str, severity: Severity = "error", terminal: bool | None = None,
             container: str | None = None) -> Finding:
    r = RULES_BY_ID[rule]
    return Finding(rule=r.id, level=r.level, severity=severity,
                   reason="R", summary="s", detail="", hint=r.fix, docs=r.docs,
                   container=container, container_type="app" if container else None,
                   terminal=terminal)


def test_only_an_error_can_be_terminal() -> None:
    assert is_terminal(_finding("PW201"), None)
    # a waiting finding is within its deadline; a warning (or an error now history) never is
    assert not is_terminal(_finding("PW121", severity="waiting"), None)
    assert not is_terminal(_finding("PW201", severity="warning"), None)
    assert not is_terminal(_finding("PW201", severity="warning", terminal=True), None)


def test_a_findings_own_answer_beats_its_rules() -> None:
    assert not is_terminal(_finding("PW301", terminal=False), None)
    assert is_terminal(_finding("PW160", terminal=True), None)
    assert not is_terminal(_finding("PW160"), None)


def test_a_crash_loop_without_its_pod_is_not_terminal() -> None:
    assert not is_terminal(_finding("PW221", container="app"), None)


# --- real fixtures, run as `kubectl podwhy -f FILE` runs them --------------------------------

def _run(name: str) -> Report:
    return run_fixture(load_fixture(FIXTURES / f"{name}.yaml"))


def _variant(name: str, tmp_path: Path, edit: Callable[[str], str]) -> Report:
    """A fixture with its text edited (the Expectation kept for its time and targets)."""
    fx = load_fixture(FIXTURES / f"{name}.yaml")
    path = tmp_path / f"{name}-variant.yaml"
    text = edit(fx.path.read_text())
    assert text != fx.path.read_text(), "the edit changed nothing"
    path.write_text(text)
    return run_fixture(Fixture(path, fx.expectation, fx.now))


def _in_strings(pattern: str, by: str) -> Callable[[str], str]:
    """An edit that rewrites every string value of the input's objects matching
    ``pattern`` (a regex) with ``by``: messages in events, statuses and conditions alike."""
    def walk(obj: Any) -> Any:
        if isinstance(obj, str):
            return re.sub(pattern, by, obj)
        if isinstance(obj, list):
            return [walk(x) for x in obj]
        if isinstance(obj, dict):
            return {k: walk(v) for k, v in obj.items()}
        return obj

    def edit(text: str) -> str:
        return yaml.safe_dump_all([walk(d) for d in yaml.safe_load_all(text)])
    return edit


def _only(report: Report, max_restarts: int = DEFAULT_MAX_RESTARTS) -> Standing:
    got = standings(report, max_restarts)
    assert len(got) == 1, got
    return got[0]


@pytest.mark.parametrize(("fixture", "rule", "state", "terminal"), [
    ("PW201-image-not-found", "PW201", "failing", True),
    ("PW202-image-pull-unauthorized", "PW202", "failing", True),
    ("PW203-registry-dns", "PW203", "failing", False),
    ("PW204-rate-limited", "PW204", "failing", False),
    ("PW210-secret-not-found", "PW210", "failing", True),
    ("PW212-exec-format-error", "PW212", "failing", True),
    ("PW224-never-exit-2", "PW224", "failing", True),
    ("PW232-readiness-failing", "PW232", "failing", False),
    ("PW221-crashloop-exit-127", "PW221", "failing", True),  # restartCount 6
    ("PW230-liveness-restarting", "PW230", "failing", True),  # restartCount 4
    ("PW121-insufficient-cpu", "PW121", "failing", True),
    ("live-sched-insufficient-cpu", "PW121", "failing", True),
    # the cluster autoscaler triggered a scale-up: waiting for the node, not failing
    ("PW121-scale-up-triggered-waiting", "PW121", "progressing", False),
    ("PW126-pvc-not-found", "PW126", "failing", True),
    # the claim exists and is Pending: it may be provisioned or bound by itself
    ("PW126-unbound-immediate-pvc", "PW126", "failing", False),
    ("PW160-configmap-not-found", "PW160", "failing", True),
    ("PW160-secret-not-found", "PW160", "failing", True),
    ("PW160-mount-timeout-only", "PW160", "failing", False),
    ("PW153-containercreating-4h", "PW153", "failing", False),
    ("PW110-memory-pressure", "PW110", "failing", True),
    ("PW140-node-unknown", "PW140", "failing", False),
    ("live-healthy", None, "healthy", False),
])
def test_a_pods_verdict_is_terminal_only_when_kubernetes_will_not_fix_it(
        fixture: str, rule: str | None, state: str, terminal: bool) -> None:
    s = _only(_run(fixture))
    assert (s.verdict.rule if s.verdict else None, s.state, s.terminal) == (rule, state,
                                                                            terminal)
    assert s.cause is (s.verdict if terminal else None)


def _restarts(n: int) -> Callable[[str], str]:
    return lambda text: text.replace("restartCount: 6", f"restartCount: {n}")


def test_a_crash_loop_is_terminal_once_the_container_restarted_max_restarts_times(
        tmp_path: Path) -> None:
    report = _variant("PW221-crashloop-exit-127", tmp_path, _restarts(1))
    [pod] = report.pods
    assert pod.verdict is not None
    assert pod.verdict.rule == "PW221"
    assert not is_terminal(pod.verdict, pod.pod)  # the default: 2 restarts
    assert not _only(report).terminal
    assert is_terminal(pod.verdict, pod.pod, max_restarts=1)
    assert _only(report, max_restarts=1).terminal
    # restartCount 6 is past any small --max-restarts, but not past 7
    [six] = _run("PW221-crashloop-exit-127").pods
    assert six.verdict is not None
    assert is_terminal(six.verdict, six.pod, 6)
    assert not is_terminal(six.verdict, six.pod, 7)


def test_a_crash_loop_built_by_hand_counts_its_own_containers_restarts(
        tmp_path: Path) -> None:
    statuses = pf.crashloop_statuses()
    statuses[0]["restartCount"] = 1
    path = tmp_path / "pod.yaml"
    path.write_text(yaml.safe_dump(pf.as_list(pf.pod(statuses=statuses))))
    report = run_fixture(Fixture(path, {}, load_fixture(
        FIXTURES / "PW221-crashloop-exit-1.yaml").now))
    [r] = report.pods
    assert r.verdict is not None
    assert (r.verdict.rule, r.verdict.container) == ("PW221", "app")
    assert not is_terminal(r.verdict, r.pod, 2)
    assert is_terminal(r.verdict, r.pod, 1)


def test_a_start_error_naming_no_missing_command_may_be_transient(tmp_path: Path) -> None:
    report = _variant("PW212-exec-format-error", tmp_path,
                      _in_strings(r'exec: "[^"]*": exec format error',
                                  "container init exited prematurely"))
    s = _only(report)
    assert s.verdict is not None
    assert (s.verdict.rule, s.state, s.verdict.terminal, s.terminal) == (
        "PW212", "failing", False, False)


def test_a_config_error_podwhy_cannot_classify_may_be_transient(tmp_path: Path) -> None:
    report = _variant("PW210-secret-not-found", tmp_path,
                      _in_strings(r'secret "[^"]*" not found',
                                  "failed to sync secret cache: timed out waiting for the "
                                  "condition"))
    s = _only(report)
    assert s.verdict is not None
    assert (s.verdict.rule, s.state, s.terminal) == ("PW210", "failing", False)


def _failed_container(tmp_path: Path, policy: str, phase: str) -> Report:
    """A pod whose only container exited 2 a minute ago, under ``policy``."""
    statuses = [{"name": "app", "ready": False, "restartCount": 0, "started": False,
                 "image": "nginx:1.27",
                 "state": {"terminated": {"exitCode": 2, "reason": "Error",
                                          "startedAt": "2026-11-21T09:58:00Z",
                                          "finishedAt": "2026-11-21T09:59:00Z"}}}]
    raw = pf.pod(statuses=statuses, phase=phase)
    raw["spec"]["restartPolicy"] = policy
    path = tmp_path / f"{policy}.yaml"
    path.write_text(yaml.safe_dump(pf.as_list(raw)))
    return run_fixture(Fixture(path, {}, load_fixture(
        FIXTURES / "PW224-never-exit-2.yaml").now))


def test_a_container_failed_under_never_is_terminal_under_on_failure_not(
        tmp_path: Path) -> None:
    """Under OnFailure the kubelet restarts it (a crash loop then, judged by its restarts)."""
    never = _only(_failed_container(tmp_path, "Never", "Failed"))
    on_failure = _only(_failed_container(tmp_path, "OnFailure", "Running"))
    assert _table([never, on_failure]) == [("pod/default/web-0", "failing", "PW224", True),
                                           ("pod/default/web-0", "failing", "PW224", False)]


# --- workloads ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("fixture", "rule", "terminal"), [
    ("live-wl-quota", "PW301", True),
    ("live-wl-podsecurity", "PW301", True),
    ("live-wl-missing-sa", "PW301", True),
    ("PW301-deployment-cannot-create-replicaset", "PW301", True),
    ("live-wl-progress-deadline", "PW302", True),
    ("live-wl-job-backoff", "PW304", True),
    ("live-wl-job-deadline", "PW305", True),
    ("PW312-job-pod-failure-policy", "PW312", True),
    ("PW309-daemonset-missing-pod", "PW309", False),
])
def test_a_workloads_own_verdict_decides_when_no_current_pod_fails(
        fixture: str, rule: str, terminal: bool) -> None:
    s = _only(_run(fixture))
    assert s.verdict is not None
    assert (s.key.split("/")[0] in ("Deployment", "Job", "DaemonSet", "CronJob"),
            s.verdict.rule, s.state, s.terminal) == (True, rule, "failing", terminal)


def test_a_failed_create_for_a_transient_api_error_is_not_terminal(tmp_path: Path) -> None:
    s = _only(_variant("live-wl-quota", tmp_path, _in_strings(
        r"(?s)^.*exceeded quota.*$", "Error creating: etcdserver: request timed out")))
    assert s.verdict is not None
    assert (s.verdict.rule, s.state, s.terminal) == ("PW301", "failing", False)
    assert "etcdserver" in s.verdict.summary


def test_a_stalled_rollout_is_as_terminal_as_its_new_pods_failure() -> None:
    """PW303 is the verdict; the new ReplicaSet's pod (OOMKilled, restarted 6 times) is the
    cause, judged with that pod's restarts."""
    report = _run("live-wl-rollout-stalled")
    s = _only(report)
    assert (s.key, s.state) == (report.targets[0], "failing")
    assert re.fullmatch(r"Deployment/[^/]+/web", s.key)
    assert s.verdict is not None
    assert s.cause is not None
    assert (s.verdict.rule, s.terminal, s.cause.rule) == ("PW303", True, "PW220")
    assert not _only(report, max_restarts=7).terminal


# --- standings: what the exit code counts --------------------------------------------------------

def test_standings_follow_the_targets_and_their_keys() -> None:
    report = _run("live-wl-rollout-stalled")
    assert [s.key for s in standings(report)] == list(report.targets)
    assert worst(s.state for s in standings(report)) == overall_state(report)


def test_standings_name_a_pod_target_and_a_workload_target_as_the_report_does(
        tmp_path: Path) -> None:
    report = _namespace_input(tmp_path, ("deploy/web", "worker-8c9-b1"))
    assert report.targets == ("pod/shop/worker-8c9-b1", "Deployment/shop/web")
    assert _table(standings(report)) == [
        ("pod/shop/worker-8c9-b1", "failing", "PW221", False),
        ("Deployment/shop/web", "failing", "PW201", True),
    ]


def _namespace_input(tmp_path: Path, targets: tuple[str, ...] = ()) -> Report:
    """A namespace run: Deployment shop/web (its current pod cannot pull its image), a bare
    healthy pod, and two pods of a ReplicaSet the input does not hold (one crash-looping
    with 1 restart, one healthy)."""
    deploy = {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop", "uid": "uid-deploy", "generation": 2,
                     "annotations": {"deployment.kubernetes.io/revision": "2"},
                     "creationTimestamp": "2026-11-21T09:00:00Z"},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": [{"name": "app", "image": "web:2"}]}}},
        "status": {"observedGeneration": 2, "replicas": 1, "updatedReplicas": 1,
                   "readyReplicas": 0, "availableReplicas": 0,
                   "conditions": [{"type": "Progressing", "status": "True",
                                   "reason": "ReplicaSetUpdated",
                                   "lastUpdateTime": "2026-11-21T09:58:00Z",
                                   "lastTransitionTime": "2026-11-21T09:58:00Z"}]},
    }
    rs = {
        "apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {"name": "web-5f6d7", "namespace": "shop", "uid": "uid-rs",
                     "annotations": {"deployment.kubernetes.io/revision": "2"},
                     "creationTimestamp": "2026-11-21T09:00:00Z",
                     "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment",
                                          "name": "web", "uid": "uid-deploy",
                                          "controller": True}]},
        "spec": {"replicas": 1},
        "status": {"replicas": 1, "readyReplicas": 0, "availableReplicas": 0},
    }

    def owned(p: dict[str, Any], kind: str, name: str, uid: str) -> dict[str, Any]:
        p["metadata"]["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": kind,
                                             "name": name, "uid": uid, "controller": True}]
        return p

    pulling = [{"name": "app", "ready": False, "restartCount": 0, "started": False,
                "image": "web:2",
                "state": {"waiting": {"reason": "ImagePullBackOff",
                                      "message": 'Back-off pulling image "web:2"'}}}]
    web = owned(pf.pod("web-5f6d7-a1", "shop", "uid-web", statuses=pulling),
                "ReplicaSet", "web-5f6d7", "uid-rs")
    web["metadata"]["labels"] = {"app": "web", "pod-template-hash": "5f6d7"}
    pull_error = pf.event("Failed", 'Failed to pull image "web:2": rpc error: code = '
                          'NotFound desc = failed to pull and unpack image '
                          '"docker.io/library/web:2": not found', uid="uid-web",
                          name="web-5f6d7-a1", field_path="spec.containers{app}")
    pull_error["metadata"]["namespace"] = pull_error["involvedObject"]["namespace"] = "shop"
    loop = pf.crashloop_statuses()
    loop[0]["restartCount"] = 1
    workers = [owned(pf.pod("worker-8c9-b1", "shop", "uid-w1", statuses=loop),
                     "ReplicaSet", "worker-8c9", "uid-worker-rs"),
               owned(pf.pod("worker-8c9-b2", "shop", "uid-w2"),
                     "ReplicaSet", "worker-8c9", "uid-worker-rs")]
    bare = pf.pod("toolbox", "shop", "uid-toolbox")
    path = tmp_path / "namespace.yaml"
    path.write_text(yaml.safe_dump(pf.as_list(deploy, rs, web, pull_error, *workers, bare)))
    now = load_fixture(FIXTURES / "PW221-crashloop-exit-1.yaml").now
    return run_fixture(Fixture(path, {"namespace": "shop", "targets": list(targets)}, now))


def _table(got: list[Standing]) -> list[tuple[str, str, str | None, bool]]:
    return [(s.key, s.state, s.verdict.rule if s.verdict else None, s.terminal) for s in got]


def test_standings_without_targets_count_what_the_exit_code_counts(tmp_path: Path) -> None:
    report = _namespace_input(tmp_path)
    assert not report.targets
    # the Deployment's pod stands under the Deployment; the loose pods stand alone and
    # under their owner group
    assert _table(standings(report)) == [
        ("pod/shop/worker-8c9-b1", "failing", "PW221", False),
        ("pod/shop/worker-8c9-b2", "healthy", None, False),
        ("pod/shop/toolbox", "healthy", None, False),
        ("Deployment/shop/web", "failing", "PW201", True),
        ("ReplicaSet/shop/worker-8c9", "failing", "PW221", False),
    ]
    assert worst(s.state for s in standings(report)) == overall_state(report)
    # with --max-restarts 1 the crash loop is terminal, alone and for its owner group
    assert _table(standings(report, max_restarts=1))[0] == (
        "pod/shop/worker-8c9-b1", "failing", "PW221", True)
    assert _table(standings(report, max_restarts=1))[4] == (
        "ReplicaSet/shop/worker-8c9", "failing", "PW221", True)


def test_the_verdict_of_a_workload_is_judged_with_the_pod_it_came_from(
        tmp_path: Path) -> None:
    report = _namespace_input(tmp_path)
    [deploy] = report.workloads
    [pod] = deploy.view.reports
    s = next(x for x in standings(report) if x.key == "Deployment/shop/web")
    assert s.verdict is pod.verdict
    assert s.cause is pod.verdict


def test_a_replaced_evicted_pod_does_not_make_a_namespace_run_terminal() -> None:
    report = _run("healthy-namespace-evicted-pod-of-an-old-replicaset")
    evicted = [r for r in report.pods if r.verdict is not None and r.verdict.rule == "PW110"]
    assert evicted
    assert all(r.pod.key in report.replaced for r in evicted)
    got = standings(report)
    assert all(f"pod/{r.pod.key}" not in {s.key for s in got} for r in evicted)
    assert {(s.state, s.terminal) for s in got} == {("healthy", False)}


def test_owner_groups_of_two_namespaces_stand_apart() -> None:
    report = _run("PW201-same-name-other-namespace")
    assert _table(standings(report)) == [
        ("pod/production/billing-api-0", "healthy", None, False),
        ("pod/staging/billing-api-0", "failing", "PW201", True),
        ("StatefulSet/production/billing-api", "healthy", None, False),
        ("StatefulSet/staging/billing-api", "failing", "PW201", True),
    ]

"""Live workloads: the real controllers (Deployment, ReplicaSet, StatefulSet, DaemonSet, Job,
CronJob, ResourceQuota and PodSecurity admission) produce each workload-level failure, and
podwhy finds the pods through owner references, groups them and names the cause.

Each case's dump becomes the offline fixture ``tests/fixtures/live-wl-<case>.yaml``
(``PODWHY_REFRESH_FIXTURES=1`` refreshes them); the offline verdict must equal the live one.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.fixturelib import FIXTURES, load_fixture
from tests.live.conftest import LiveCluster, wait_for
from tests.live.test_scenarios import EXIT, REFRESH, ROOT, podwhy

SCENARIO = "podwhy.test/scenario"


def template(scenario: str | None = None, **spec: Any) -> dict[str, Any]:
    labels = {"app": "web"}
    if scenario:
        labels[SCENARIO] = scenario
    return {"metadata": {"labels": labels},
            "spec": {"containers": [{"name": "app", "image": "registry.example/app:1"}],
                     "terminationGracePeriodSeconds": 1, **spec}}


def deployment(name: str, replicas: int, scenario: str | None = None,
               **extra: Any) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                     "template": template(scenario), **extra}}


def job(name: str, scenario: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name},
            "spec": {"backoffLimit": 0,
                     "template": template(scenario, restartPolicy="Never"), **extra}}


def workload_item(cluster: LiveCluster, ns: str, target: str, rule: str | None,
                  timeout: float = 60,
                  extra: Callable[[dict[str, Any]], bool] = lambda w: True,
                  state: str | None = None) -> dict[str, Any]:
    """Poll podwhy TARGET until the workload's verdict rule is ``rule`` (and its state is
    ``state``, with that state's exit code, when given)."""
    last: dict[str, Any] = {}

    def check() -> dict[str, Any] | None:
        nonlocal last
        code, doc, err = podwhy(cluster, target, "-n", ns)
        last = {"exit": code, "stderr": err, "doc": doc}
        if not doc or not doc.get("workloads"):
            return None
        w: dict[str, Any] = doc["workloads"][0]
        got = w["verdict"]["rule"] if w["verdict"] else None
        if state is not None and (w["state"] != state or code != EXIT[state]):
            return None
        return doc if got == rule and extra(w) else None

    try:
        return wait_for(f"{target} verdict {rule}", check, timeout, interval=1.0)
    except BaseException:
        print(json.dumps(last, indent=1)[:5000])
        raise


def replay(cluster: LiveCluster, ns: str, target: str, doc: dict[str, Any], case: str,
           tmp_path: Path) -> None:
    """--dump the run; -f on it gives the same workload verdict; keep it as a fixture."""
    dump = tmp_path / "dump.yaml"
    code, again, err = podwhy(cluster, target, "-n", ns, "--dump", str(dump))
    live_w = again["workloads"][0]
    assert code == EXIT[live_w["state"]], err
    assert live_w["state"] == doc["workloads"][0]["state"]
    r = subprocess.run([sys.executable, "-m", "kubectl_podwhy", "-f", str(dump), target, "-o",
                        "json"], capture_output=True, text=True, check=False, cwd=ROOT,
                       env={**os.environ, "KUBECONFIG": "/dev/null"})
    off = json.loads(r.stdout)
    off_w = off["workloads"][0]
    assert (off_w["verdict"] or {}).get("rule") == (live_w["verdict"] or {}).get("rule")
    assert [f["rule"] for f in off_w["findings"]] == [f["rule"] for f in live_w["findings"]]
    assert off_w["healthy"] == live_w["healthy"]
    assert off_w["state"] == live_w["state"]
    assert r.returncode == code
    fixture = FIXTURES / f"live-wl-{case}.yaml"
    want = {
        "workload": f"{live_w['kind']}/{ns}/{live_w['name']}",
        "healthy": live_w["healthy"],
        "state": live_w["state"],
        "verdict": None if live_w["verdict"] is None else {
            "rule": live_w["verdict"]["rule"], "level": live_w["verdict"]["level"],
            "reason": live_w["verdict"]["reason"]},
        "findings": [f["rule"] for f in live_w["findings"]],
        "groups": [{"count": g["count"], "rule": (g["verdict"] or {}).get("rule")}
                   for g in live_w["groups"]],
    }
    if REFRESH:
        from kubectl_podwhy.snapshot import reference_time
        from kubectl_podwhy.sources import files
        from kubectl_podwhy.timeutil import format_time

        items = yaml.safe_load(dump.read_text())["items"]
        exp = {"apiVersion": "podwhy.test/v1", "kind": "Expectation",
               "description": f"live workload case {case}, dumped from the local control plane "
                              "(real controllers and admission, kwok kubelet)",
               "now": format_time(reference_time(files.load([str(dump)]))[0]),
               "targets": [target], "namespace": ns, "pods": [], "workloads": [want]}
        with fixture.open("w") as fh:
            yaml.safe_dump_all([exp, *items], fh, sort_keys=False)
    assert fixture.is_file(), f"{fixture.name} missing: run with PODWHY_REFRESH_FIXTURES=1"
    offline = load_fixture(fixture).expectation["workloads"][0]
    assert offline["verdict"] == want["verdict"]
    assert offline["findings"] == want["findings"]
    assert offline["state"] == want["state"]


# --- PW301 FailedCreate from admission ----------------------------------------------------------

def test_quota_exhausted_failed_create(live_cluster: LiveCluster, local_control_plane: Any,
                                       namespace: str, tmp_path: Path) -> None:
    live_cluster.apply({"apiVersion": "v1", "kind": "ResourceQuota",
                        "metadata": {"name": "pods"}, "spec": {"hard": {"pods": "1"}}},
                       namespace)
    wait_for("quota status", lambda: live_cluster.get_json(
        "resourcequota", "pods", "-n", namespace).get("status", {}).get("hard"), 20)
    live_cluster.apply(deployment("web", 3), namespace)
    doc = workload_item(live_cluster, namespace, "deploy/web", "PW301")
    v = doc["workloads"][0]["verdict"]
    assert v["level"] == "workload"
    assert v["reason"] == "FailedCreate"
    assert "ResourceQuota pods is exhausted" in v["summary"]
    assert "1 of 3 pods exist" in v["summary"]
    assert len(doc["items"]) == 1
    replay(live_cluster, namespace, "deploy/web", doc, "quota", tmp_path)
    # A namespace run (no target) finds the ReplicaSet through its FailedCreate events: the
    # run is failing, though its one pod is healthy.
    code, ns_doc, err = podwhy(live_cluster, "-n", namespace)
    assert code == 1, err
    [rs] = [w for w in ns_doc["workloads"] if w["kind"] == "ReplicaSet" and w["uid"]]
    assert (rs["state"], rs["verdict"]["rule"]) == ("failing", "PW301")
    assert "ResourceQuota pods is exhausted" in rs["verdict"]["summary"]
    assert "1 of 3 pods exist" in rs["verdict"]["summary"]


def test_pod_security_denial_failed_create(live_cluster: LiveCluster, local_control_plane: Any,
                                           namespace: str, tmp_path: Path) -> None:
    live_cluster.kubectl("label", "namespace", namespace,
                         "pod-security.kubernetes.io/enforce=restricted")
    live_cluster.apply(deployment("web", 2), namespace)
    doc = workload_item(live_cluster, namespace, "deployment.apps/web", "PW301")
    v = doc["workloads"][0]["verdict"]
    assert "PodSecurity restricted:latest admission denies the pod" in v["summary"]
    assert doc["items"] == []
    replay(live_cluster, namespace, "deployment.apps/web", doc, "podsecurity", tmp_path)


def test_missing_service_account_failed_create(live_cluster: LiveCluster,
                                               local_control_plane: Any, namespace: str,
                                               tmp_path: Path) -> None:
    d = deployment("web", 1)
    d["spec"]["template"]["spec"]["serviceAccountName"] = "ghost"
    live_cluster.apply(d, namespace)
    doc = workload_item(live_cluster, namespace, "deploy/web", "PW301")
    assert "ServiceAccount ghost does not exist" in doc["workloads"][0]["verdict"]["summary"]
    replay(live_cluster, namespace, "deploy/web", doc, "missing-sa", tmp_path)


# --- Deployments --------------------------------------------------------------------------------

def test_progress_deadline_exceeded_names_the_new_pods_cause(
        live_cluster: LiveCluster, local_control_plane: Any, namespace: str,
        tmp_path: Path) -> None:
    live_cluster.apply(deployment("web", 2, "image-not-found", progressDeadlineSeconds=3),
                       namespace)
    doc = workload_item(live_cluster, namespace, "deploy/web", "PW302", timeout=90)
    w = doc["workloads"][0]
    assert w["verdict"]["reason"] == "ProgressDeadlineExceeded"
    assert "2 of 2 pods: ImagePullBackOff in container app" in w["verdict"]["summary"]
    assert [(g["count"], g["verdict"]["rule"]) for g in w["groups"]] == [(2, "PW201")]
    assert [o["kind"] for o in w["owners"]] == ["ReplicaSet"]
    assert {i["verdict"]["rule"] for i in doc["items"]} == {"PW201"}
    replay(live_cluster, namespace, "deploy/web", doc, "progress-deadline", tmp_path)


def test_rollout_stalled_while_the_old_replicaset_serves(
        live_cluster: LiveCluster, local_control_plane: Any, namespace: str,
        tmp_path: Path) -> None:
    live_cluster.apply(deployment("web", 2), namespace)
    workload_item(live_cluster, namespace, "deploy/web", None,
                  extra=lambda w: w["healthy"] and w["replicas"]["ready"] == 2)
    d = deployment("web", 2, "crashloop-oom")
    live_cluster.apply(d, namespace)
    doc = workload_item(live_cluster, namespace, "deploy/web", "PW303")
    w = doc["workloads"][0]
    assert "OOMKilled" in w["verdict"]["summary"]
    assert "old ReplicaSet still serves" in w["verdict"]["summary"]
    notes = [o["note"] for o in w["owners"]]
    assert notes == ["revision 2, new", "revision 1, old"]
    new, old = w["owners"]
    assert {g["verdict"]["rule"] for g in new["groups"]} == {"PW220"}
    assert [g["verdict"] for g in old["groups"]] == [None]
    replay(live_cluster, namespace, "deploy/web", doc, "rollout-stalled", tmp_path)


def test_scaled_to_zero_is_a_warning(live_cluster: LiveCluster, local_control_plane: Any,
                                     namespace: str, tmp_path: Path) -> None:
    live_cluster.apply(deployment("web", 0), namespace)
    doc = workload_item(live_cluster, namespace, "deploy/web", None,
                        extra=lambda w: [f["rule"] for f in w["findings"]] == ["PW308"])
    code, _, _ = podwhy(live_cluster, "deploy/web", "-n", namespace)
    assert code == 0
    assert doc["workloads"][0]["healthy"] is True
    replay(live_cluster, namespace, "deploy/web", doc, "scaled-to-zero", tmp_path)


def test_same_verdicts_are_grouped_and_the_outlier_shown(
        live_cluster: LiveCluster, local_control_plane: Any, namespace: str) -> None:
    live_cluster.apply(deployment("web", 5, "crashloop-oom"), namespace)
    doc = workload_item(live_cluster, namespace, "deploy/web", "PW220",
                        extra=lambda w: sum(g["count"] for g in w["groups"]) == 5)
    # One replica recovers: it leaves kwok's hands and its status is written directly.
    victim = sorted(i["pod"]["name"] for i in doc["items"])[0]
    live_cluster.kubectl("label", "pod", victim, "-n", namespace, "podwhy.test/kwok=disregard")
    pod = live_cluster.pod(namespace, victim)
    status = {"status": {"phase": "Running", "conditions": [
        {"type": t, "status": "True"} for t in
        ("PodReadyToStartContainers", "Initialized", "ContainersReady", "Ready", "PodScheduled")],
        "containerStatuses": [{"name": "app", "ready": True, "started": True,
                               "restartCount": 0, "image": "registry.example/app:1",
                               "imageID": "", "state": {"running": {
                                   "startedAt": pod["status"]["startTime"]}}}]}}
    live_cluster.kubectl("patch", "pod", victim, "-n", namespace, "--subresource=status",
                         "--type=merge", "-p", json.dumps(status))
    doc = workload_item(live_cluster, namespace, "deploy/web", "PW220",
                        extra=lambda w: len(w["groups"]) == 2)
    w = doc["workloads"][0]
    assert [(g["count"], g["of"], (g["verdict"] or {}).get("rule")) for g in w["groups"]] == [
        (4, 5, "PW220"), (1, 5, None)]
    assert w["groups"][1]["pods"] == [f"{namespace}/{victim}"]
    assert w["groups"][0]["text"].startswith("4 of 5 pods: OOMKilled in container app")
    table = subprocess.run([sys.executable, "-m", "kubectl_podwhy", "deploy/web", "-n",
                            namespace, "--kubeconfig", live_cluster.kubeconfig, "--color",
                            "never"], capture_output=True, text=True, check=False, cwd=ROOT)
    assert "4 of 5 pods: OOMKilled in container app" in table.stdout
    assert "1 of 5 pods: healthy" in table.stdout
    assert "1 healthy (not listed; --show-healthy lists them)" in table.stdout
    assert victim not in table.stdout.split("pods: 4 failing")[0].split("SUMMARY")[-1]


# --- StatefulSets and DaemonSets ---------------------------------------------------------------

def test_statefulset_waits_for_an_unready_ordinal(live_cluster: LiveCluster,
                                                  local_control_plane: Any, namespace: str,
                                                  tmp_path: Path) -> None:
    sts = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"},
           "spec": {"replicas": 3, "serviceName": "db",
                    "selector": {"matchLabels": {"app": "web"}},
                    "template": template("readiness-fail")}}
    live_cluster.apply(sts, namespace)
    # db-0 has just started and is not ready yet: the StatefulSet waits for it (progressing),
    # it is not failing before db-0's own deadline
    doc = workload_item(live_cluster, namespace, "sts/db", "PW309", state="progressing")
    v = doc["workloads"][0]["verdict"]
    assert v["severity"] == "waiting"
    assert "1 of 3 pods exist" in v["summary"]
    assert "waits for db-0" in v["summary"]
    assert [i["pod"]["name"] for i in doc["items"]] == ["db-0"]
    assert doc["items"][0]["verdict"]["rule"] == "PW232"
    assert doc["items"][0]["state"] == "progressing"
    replay(live_cluster, namespace, "sts/db", doc, "statefulset-ordinal", tmp_path)


def test_daemonset_that_fits_no_node(live_cluster: LiveCluster, local_control_plane: Any,
                                     namespace: str, tmp_path: Path) -> None:
    ds = {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent"},
          "spec": {"selector": {"matchLabels": {"app": "web"}},
                   "template": template(nodeSelector={"podwhy.test/role": "gpu"})}}
    live_cluster.apply(ds, namespace)
    # Nothing is down (kubectl rollout status calls it rolled out): a warning, like a
    # Deployment scaled to zero, naming why it fits no node
    doc = workload_item(live_cluster, namespace, "ds/agent", None, state="healthy",
                        extra=lambda w: [f["rule"] for f in w["findings"]] == ["PW307"])
    assert "nodeSelector podwhy.test/role=gpu matches none of the" in \
        doc["workloads"][0]["findings"][0]["summary"]
    replay(live_cluster, namespace, "ds/agent", doc, "daemonset-no-nodes", tmp_path)


def test_healthy_daemonset_runs_on_every_node(live_cluster: LiveCluster,
                                              local_control_plane: Any,
                                              namespace: str) -> None:
    ds = {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent"},
          "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": template()}}
    live_cluster.apply(ds, namespace)
    nodes = [n for n in live_cluster.get_json("nodes")["items"]
             if not any(t["effect"] in ("NoSchedule", "NoExecute")
                        for t in n["spec"].get("taints", []))]
    doc = workload_item(live_cluster, namespace, "daemonset/agent", None,
                        extra=lambda w: w["healthy"] and w["replicas"]["pods"] == len(nodes))
    assert len(doc["items"]) == len(nodes)


# --- Jobs and CronJobs --------------------------------------------------------------------------

def test_job_backoff_limit_exceeded(live_cluster: LiveCluster, local_control_plane: Any,
                                    namespace: str, tmp_path: Path) -> None:
    live_cluster.apply(job("migrate", "terminated-error"), namespace)
    doc = workload_item(live_cluster, namespace, "job/migrate", "PW304")
    v = doc["workloads"][0]["verdict"]
    assert v["reason"] == "BackoffLimitExceeded"
    assert "backoff limit (0)" in v["summary"]
    assert "1 of 1 pod: Error in container app" in v["summary"]
    replay(live_cluster, namespace, "job/migrate", doc, "job-backoff", tmp_path)


def test_job_active_deadline_exceeded(live_cluster: LiveCluster, local_control_plane: Any,
                                      namespace: str, tmp_path: Path) -> None:
    live_cluster.apply(job("slow", "readiness-fail", activeDeadlineSeconds=2), namespace)
    doc = workload_item(live_cluster, namespace, "jobs.batch/slow", "PW305")
    assert "activeDeadlineSeconds (2s)" in doc["workloads"][0]["verdict"]["summary"]
    replay(live_cluster, namespace, "jobs.batch/slow", doc, "job-deadline", tmp_path)


def test_cronjob_job_pod_hierarchy_and_failure(live_cluster: LiveCluster,
                                               local_control_plane: Any, namespace: str,
                                               tmp_path: Path) -> None:
    cj = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "nightly"},
          "spec": {"schedule": "0 3 * * *", "jobTemplate": {"spec": {
              "backoffLimit": 0, "template": template("terminated-error",
                                                      restartPolicy="Never")}}}}
    live_cluster.apply(cj, namespace)
    # kubectl create job --from sets the CronJob as the Job's controller, like the schedule.
    live_cluster.kubectl("create", "job", "nightly-manual", "--from=cronjob/nightly", "-n",
                         namespace)
    doc = workload_item(live_cluster, namespace, "cj/nightly", "PW304")
    w = doc["workloads"][0]
    assert w["kind"] == "CronJob"
    assert [(o["kind"], o["name"], o["note"]) for o in w["owners"]] == [
        ("Job", "nightly-manual", "Job, failed")]
    assert "Job nightly-manual: failed after reaching its backoff limit" in \
        w["verdict"]["summary"]
    assert doc["items"][0]["verdict"]["rule"] == "PW224"
    replay(live_cluster, namespace, "cj/nightly", doc, "cronjob-failed-job", tmp_path)


def test_suspended_cronjob(live_cluster: LiveCluster, local_control_plane: Any,
                           namespace: str, tmp_path: Path) -> None:
    cj = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "report"},
          "spec": {"schedule": "*/5 * * * *", "suspend": True,
                   "jobTemplate": {"spec": {"template": template(restartPolicy="Never")}}}}
    live_cluster.apply(cj, namespace)
    doc = workload_item(live_cluster, namespace, "cronjob/report", None,
                        extra=lambda w: [f["rule"] for f in w["findings"]] == ["PW306"])
    assert "'*/5 * * * *'" in doc["workloads"][0]["findings"][0]["summary"]
    replay(live_cluster, namespace, "cronjob/report", doc, "cronjob-suspended", tmp_path)


# --- target forms, selectors, scopes ------------------------------------------------------------

def test_target_forms_several_targets_selector_and_scopes(
        live_cluster: LiveCluster, local_control_plane: Any, namespace: str) -> None:
    live_cluster.apply(deployment("web", 2), namespace)
    live_cluster.apply(live_cluster.scenario_pod("loose", "crashloop-exit1"), namespace)
    doc = workload_item(live_cluster, namespace, "deploy/web", None,
                        extra=lambda w: w["healthy"] and w["replicas"]["ready"] == 2)
    rs = doc["workloads"][0]["owners"][0]["name"]
    for form in ("deploy/web", "deployment/web", "deployments/web", "deployments.apps/web",
                 "Deployment/web", f"rs/{rs}", f"replicaset.apps/{rs}"):
        code, d, err = podwhy(live_cluster, form, "-n", namespace)
        assert code == 0, (form, err)
        assert len(d["items"]) == 2, form
    code, d, err = podwhy(live_cluster, "deploy/web", "pod/loose", "-n", namespace)
    assert code == 1, err
    names = sorted(i["pod"]["name"] for i in d["items"])
    assert "loose" in names
    assert len(names) == 3
    code, d, _ = podwhy(live_cluster, "-n", namespace, "-l", "app=web")
    assert (code, len(d["items"])) == (0, 2)
    code, d, _ = podwhy(live_cluster, "-n", namespace, "-l", f"{SCENARIO}=crashloop-exit1")
    assert (code, [i["pod"]["name"] for i in d["items"]]) == (1, ["loose"])
    code, d, _ = podwhy(live_cluster, "-A", "-l", f"{SCENARIO}=crashloop-exit1")
    assert code == 1
    assert f"{namespace}/loose" in [f"{i['pod']['namespace']}/{i['pod']['name']}"
                                    for i in d["items"]]
    # namespace mode groups by owner without listing workloads
    code, d, _ = podwhy(live_cluster, "-n", namespace)
    assert code == 1
    assert [(w["kind"], w["name"]) for w in d["workloads"]] == [("ReplicaSet", rs)]
    code, _, err = podwhy(live_cluster, "deploy/nope", "-n", namespace)
    assert code == 4
    assert f'deployment "nope" not found in namespace "{namespace}"' in err


@pytest.mark.parametrize("flag", ["-A"])
def test_workload_name_with_all_namespaces_is_a_usage_error(live_cluster: LiveCluster,
                                                            flag: str) -> None:
    code, _, err = podwhy(live_cluster, "deploy/web", flag)
    assert code == 2
    assert "cannot be combined" in err


# --- the three states over time -----------------------------------------------------------------

def _set_gate(cluster: LiveCluster, ns: str, pod: str, gate: str) -> None:
    """What a load balancer controller does: set the pod's readiness-gate condition."""
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    current = cluster.pod(ns, pod)["status"].get("conditions", [])
    conditions = [c for c in current if c["type"] != gate] + [
        {"type": gate, "status": "True", "lastTransitionTime": now}]
    cluster.kubectl("patch", "pod", pod, "-n", ns, "--subresource=status", "--type=merge",
                    "-p", json.dumps({"status": {"conditions": conditions}}))


def test_deployment_mid_rollout_is_progressing_then_healthy(
        live_cluster: LiveCluster, local_control_plane: Any, namespace: str,
        tmp_path: Path) -> None:
    """The pods run, but a readiness gate (a load balancer's) is not set yet: the Deployment
    is rolling out, exit 5 with what it waits for; once the gates are set, exit 0."""
    gate = "podwhy.test/load-balancer-ready"
    d = deployment("web", 2)
    d["spec"]["template"]["spec"]["readinessGates"] = [{"conditionType": gate}]
    live_cluster.apply(d, namespace)
    doc = workload_item(live_cluster, namespace, "deploy/web", "PW310", state="progressing",
                        extra=lambda w: w["replicas"]["pods"] == 2)
    w = doc["workloads"][0]
    assert w["verdict"]["severity"] == "waiting"
    assert "0 of 2 updated replicas are available" in w["verdict"]["summary"]
    assert "waiting for its readiness gate" in w["verdict"]["summary"]
    assert {i["verdict"]["rule"] for i in doc["items"]} == {"PW170"}
    assert {i["state"] for i in doc["items"]} == {"progressing"}
    replay(live_cluster, namespace, "deploy/web", doc, "rollout-in-progress", tmp_path)
    for item in doc["items"]:
        _set_gate(live_cluster, namespace, item["pod"]["name"], gate)
    done = workload_item(live_cluster, namespace, "deploy/web", None, state="healthy")
    assert done["workloads"][0]["findings"] == []


def test_replicaset_with_an_old_failed_create_and_all_pods_ready_is_healthy(
        live_cluster: LiveCluster, local_control_plane: Any, namespace: str,
        tmp_path: Path) -> None:
    """The real ReplicaSet controller fails to create pods until their ServiceAccount
    exists (FailedCreate); once it does and every pod is ready, the event is history."""
    rs = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "api"},
          "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                   "template": template(serviceAccountName="late")}}
    live_cluster.apply(rs, namespace)
    doc = workload_item(live_cluster, namespace, "rs/api", "PW301", state="failing")
    assert "ServiceAccount late does not exist" in doc["workloads"][0]["verdict"]["summary"]
    live_cluster.kubectl("create", "serviceaccount", "late", "-n", namespace)
    doc = workload_item(live_cluster, namespace, "rs/api", None, state="healthy",
                        timeout=90, extra=lambda w: w["replicas"]["ready"] == 2)
    w = doc["workloads"][0]
    assert [(f["rule"], f["severity"]) for f in w["findings"]] == [("PW301", "warning")]
    assert "(history: ReplicaSet api has all its pods now)" in w["findings"][0]["summary"]
    replay(live_cluster, namespace, "rs/api", doc, "old-failed-create", tmp_path)

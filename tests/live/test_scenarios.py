"""Live verdicts: the real scheduler, controllers and (kwok-simulated) kubelet produce each
failure, and podwhy names it exactly as it does offline.

Every scenario has one expectation (rule, level, reason, container, containerType). The live
run must give it; the committed offline fixture ``tests/fixtures/live-<scenario>.yaml`` (a
``--dump`` of that live run plus the same expectation) must give it too; and the dump fed back
with ``-f`` must give it. Refresh the fixtures with ``PODWHY_REFRESH_FIXTURES=1 make test-live``.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.fixturelib import FIXTURES, load_fixture
from tests.live.conftest import LiveCluster, wait_for

REFRESH = os.environ.get("PODWHY_REFRESH_FIXTURES") == "1"
ROOT = Path(__file__).resolve().parents[2]

Verdict = tuple[str, str, str, "str | None", "str | None"]  # rule, level, reason, container, type
#: the exit code of each state (errors.ExitCode)
EXIT = {"healthy": 0, "failing": 1, "progressing": 5}


def podwhy(cluster: LiveCluster, *args: str,
           timeout: float = 60) -> tuple[int, dict[str, Any], str]:
    r = subprocess.run([sys.executable, "-m", "kubectl_podwhy", "--kubeconfig",
                        cluster.kubeconfig, "--context", cluster.context, "-o", "json", *args],
                       capture_output=True, text=True, timeout=timeout, check=False, cwd=ROOT)
    assert "Traceback" not in r.stderr, r.stderr
    doc = json.loads(r.stdout) if r.stdout.strip() else {}
    return r.returncode, doc, r.stderr


def verdict_of(item: dict[str, Any]) -> Verdict | None:
    v = item["verdict"]
    if v is None:
        return None
    return (v["rule"], v["level"], v["reason"], v["container"], v["containerType"])


def kubectl_status(cluster: LiveCluster, ns: str, name: str) -> str:
    """The STATUS column of the real kubectl's `get pod`."""
    out = cluster.kubectl("get", "pod", name, "-n", ns, "--no-headers").stdout.split()
    return out[2]


def expect_verdict(cluster: LiveCluster, ns: str, name: str, want: Verdict | None,
                   timeout: float = 45, state: str | None = None) -> dict[str, Any]:
    """Poll until podwhy's verdict for the pod is ``want`` in ``state`` (default: failing
    with a verdict, healthy without) with that state's exit code; return the report item."""
    last: dict[str, Any] = {}
    state = state or ("healthy" if want is None else "failing")

    def check() -> dict[str, Any] | None:
        nonlocal last
        code, doc, err = podwhy(cluster, name, "-n", ns)
        if not doc:
            last = {"exit": code, "stderr": err}
            return None
        last = doc["items"][0]
        ok = verdict_of(last) == want and last["state"] == state and code == EXIT[state]
        return last if ok else None

    try:
        return wait_for(f"verdict {want} ({state}) for {ns}/{name}", check, timeout,
                        interval=1.0)
    except BaseException:
        print(json.dumps(last, indent=1)[:4000])
        raise


def dump_and_replay(cluster: LiveCluster, ns: str, name: str, item: dict[str, Any],
                    tmp_path: Path, fixture_id: str, want: Verdict | None) -> None:
    """--dump the live run; -f on the dump gives the same verdict and state (judged at the
    capture time the dump records); kubectl reads the dump; compare with the fixture."""
    dump = tmp_path / "dump.yaml"
    code, doc, err = podwhy(cluster, name, "-n", ns, "--dump", str(dump))
    state = item["state"]
    assert code == EXIT[state], err
    assert verdict_of(doc["items"][0]) == want
    assert doc["items"][0]["state"] == state
    dumped = yaml.safe_load(dump.read_text())["items"]
    assert "Pod" in {o["kind"] for o in dumped}
    # written as kubectl prints objects: without managedFields
    assert not [o for o in dumped if "managedFields" in o.get("metadata", {})]
    r = subprocess.run([sys.executable, "-m", "kubectl_podwhy", "-f", str(dump), "-o", "json"],
                       capture_output=True, text=True, check=False, cwd=ROOT,
                       env={**os.environ, "KUBECONFIG": "/dev/null"})
    replayed = json.loads(r.stdout)
    replay = replayed["items"][0]
    assert verdict_of(replay) == want, r.stderr
    assert replay["state"] == state
    assert r.returncode == EXIT[state]
    assert replay["pod"]["status"] == doc["items"][0]["pod"]["status"]
    # the replay is judged at the moment the live run saw, not at the newest timestamp
    assert (replayed["asOfBasis"], replayed["asOf"]) == ("capture", doc["asOf"])
    assert kubectl_reads(cluster, dump) >= 1

    fixture = FIXTURES / f"live-{fixture_id}.yaml"
    expectation = {
        "rule": want[0], "level": want[1], "reason": want[2], "container": want[3],
        "containerType": want[4]} if want else None
    if REFRESH:
        _write_fixture(fixture, dump, f"{ns}/{name}", fixture_id, expectation,
                       doc["items"][0]["pod"]["status"], state)
    assert fixture.is_file(), f"{fixture.name} missing: run with PODWHY_REFRESH_FIXTURES=1"
    offline = load_fixture(fixture).pods[0]
    got = offline["verdict"]
    if got is not None:
        got = {k: got[k] for k in ("rule", "level", "reason", "container", "containerType")}
    assert got == expectation, f"{fixture.name} expects another verdict than the live run"
    assert offline["state"] == state, f"{fixture.name} expects another state than the live run"


def kubectl_reads(cluster: LiveCluster, dump: Path) -> int:
    """kubectl still reads a --dump (with its capture-time annotation) as a List: the
    number of objects a client-side dry run names."""
    r = cluster.kubectl("apply", "--dry-run=client", "-o", "name", "-f", str(dump))
    return len(r.stdout.split())


def _write_fixture(path: Path, dump: Path, key: str, fixture_id: str,
                   verdict: dict[str, Any] | None, status: str, state: str) -> None:
    from kubectl_podwhy.snapshot import reference_time
    from kubectl_podwhy.sources import files
    from kubectl_podwhy.timeutil import format_time

    g = files.load([str(dump)])
    items = yaml.safe_load(dump.read_text())["items"]
    exp = {"apiVersion": "podwhy.test/v1", "kind": "Expectation",
           "description": f"live scenario {fixture_id}, dumped from the local control plane "
                          "with --dump (real scheduler/controllers, kwok kubelet)",
           "now": format_time(reference_time(g)[0]),
           "pods": [{"pod": key, "healthy": state == "healthy", "state": state,
                     "status": status, "verdict": verdict}]}
    with path.open("w") as fh:
        yaml.safe_dump_all([exp, *items], fh, sort_keys=False)


# --- kubelet-side failures (kwok stages) ------------------------------------------------------

KUBELET_SCENARIOS: dict[str, Verdict] = {
    "image-not-found": ("PW201", "container", "ImagePullBackOff", "app", "app"),
    "image-unauthorized": ("PW202", "container", "ImagePullBackOff", "app", "app"),
    "crashloop-exit1": ("PW221", "container", "Error", "app", "app"),
    "crashloop-oom": ("PW220", "container", "OOMKilled", "app", "app"),
    "crashloop-exit0": ("PW222", "container", "Completed", "app", "app"),
    "config-error": ("PW210", "container", "CreateContainerConfigError", "app", "app"),
    "start-error": ("PW212", "container", "StartError", "app", "app"),
    "readiness-fail": ("PW232", "container", "Unhealthy", "app", "app"),
    "liveness-fail": ("PW230", "container", "Unhealthy", "app", "app"),
    "init-crash": ("PW221", "container", "Error", "init", "init"),
    "sidecar-crash": ("PW221", "container", "Error", "sidecar", "sidecar"),
    "mount-failed": ("PW160", "pod", "FailedMount", None, None),
    "sandbox-failed": ("PW150", "pod", "FailedCreatePodSandBox", None, None),
    "evicted": ("PW110", "pod", "Evicted", None, None),
    "terminated-error": ("PW224", "container", "Error", "app", "app"),
}


#: scenarios whose verdict is first a waiting one (progressing, exit 5), failing once the
#: deadline passed: the readiness probe's budget (1 x 1 s) plus podwhy's 30 s margin
PROGRESSING_FIRST = {"readiness-fail"}


@pytest.mark.parametrize("scenario", sorted(KUBELET_SCENARIOS))
def test_kubelet_side_failure_gives_the_offline_verdict(
        scenario: str, live_cluster: LiveCluster, local_control_plane: Any, namespace: str,
        tmp_path: Path) -> None:
    want = KUBELET_SCENARIOS[scenario]
    live_cluster.apply(live_cluster.scenario_pod("p", scenario), namespace)
    timeout = 45.0
    if scenario in PROGRESSING_FIRST:
        # a pod progressing, then stuck past its deadline
        first = expect_verdict(live_cluster, namespace, "p", want, state="progressing")
        assert first["verdict"]["severity"] == "waiting"
        assert first["verdict"]["deadline"] is not None
        timeout = 90.0
    item = expect_verdict(live_cluster, namespace, "p", want, timeout=timeout)
    assert item["pod"]["status"] == kubectl_status(live_cluster, namespace, "p")
    dump_and_replay(live_cluster, namespace, "p", item, tmp_path, scenario, want)


def test_healthy_pod_is_healthy(live_cluster: LiveCluster, local_control_plane: Any,
                                namespace: str, tmp_path: Path) -> None:
    live_cluster.apply(live_cluster.scenario_pod("ok"), namespace)
    item = expect_verdict(live_cluster, namespace, "ok", None)
    assert item["findings"] == []
    assert item["pod"]["status"] == "Running"
    dump_and_replay(live_cluster, namespace, "ok", item, tmp_path, "healthy", None)


def test_pod_with_a_running_sidecar_is_healthy(live_cluster: LiveCluster,
                                               local_control_plane: Any, namespace: str) -> None:
    pod = live_cluster.scenario_pod("with-sidecar")
    pod["spec"]["initContainers"] = [{"name": "proxy", "image": "registry.example/proxy:1",
                                      "restartPolicy": "Always"}]
    live_cluster.apply(pod, namespace)
    item = expect_verdict(live_cluster, namespace, "with-sidecar", None)
    assert item["findings"] == []
    assert item["pod"]["status"] == kubectl_status(live_cluster, namespace, "with-sidecar")


#: kubectl get pods --no-headers: NAME READY STATUS RESTARTS ("3" or "3 (10s ago)") AGE
_KUBECTL_ROW = re.compile(r"(\S+)\s+(\S+)\s+(\S+)\s+(\d+)(?: \([^)]*\))?\s+\S+")


def test_wide_ready_status_and_restarts_are_what_kubectl_get_pods_prints(
        live_cluster: LiveCluster, local_control_plane: Any, namespace: str,
        tmp_path: Path) -> None:
    """Same objects, same columns: a healthy pod, one with a running sidecar (1 of 2 counted
    as kubectl counts it), an app and an init container crash-looping (restarts)."""
    sidecar = live_cluster.scenario_pod("with-sidecar")
    sidecar["spec"]["initContainers"] = [{"name": "proxy", "image": "registry.example/proxy:1",
                                          "restartPolicy": "Always"}]
    live_cluster.apply([live_cluster.scenario_pod("ok"), sidecar,
                        live_cluster.scenario_pod("oom", "crashloop-oom"),
                        live_cluster.scenario_pod("init", "init-crash")], namespace)

    def restarted() -> bool:
        pods = {p["metadata"]["name"]: p["status"] for p in
                live_cluster.get_json("pods", "-n", namespace)["items"]}
        return all(cs.get("restartCount", 0) > 0 for name, key in
                   (("oom", "containerStatuses"), ("init", "initContainerStatuses"))
                   for cs in pods.get(name, {}).get(key) or [{}])

    wait_for("both crash loops restarted", restarted, timeout=60)

    def kubectl_rows() -> dict[str, tuple[str, str, str]]:
        out = live_cluster.kubectl("get", "pods", "-n", namespace, "--no-headers").stdout
        rows = [m.groups() for m in map(_KUBECTL_ROW.fullmatch, out.splitlines()) if m]
        return {name: (ready, status, restarts) for name, ready, status, restarts in rows}

    def same_pods_twice() -> tuple[dict[str, tuple[str, str, str]], str] | None:
        before = kubectl_rows()
        objects = live_cluster.kubectl("get", "pods", "-n", namespace, "-o", "json").stdout
        return (before, objects) if kubectl_rows() == before and len(before) == 4 else None

    shown, objects = wait_for("a moment the pods do not change", same_pods_twice, timeout=30)
    saved = tmp_path / "pods.json"
    saved.write_text(objects)
    r = subprocess.run([sys.executable, "-m", "kubectl_podwhy", "-f", str(saved), "-o", "wide",
                        "--show-healthy"], capture_output=True, text=True, check=False,
                       cwd=ROOT, timeout=60)
    head, *rows = r.stdout.split("\n\n")[0].splitlines()
    assert re.split(r"\s{2,}", head)[1:5] == ["NAME", "READY", "STATUS", "RESTARTS"]
    ours = {cells[1]: (cells[2], cells[3], cells[4].split()[0])
            for cells in (re.split(r"\s{2,}", row) for row in rows)}
    assert ours == shown
    assert shown["with-sidecar"][0] == "2/2"
    assert shown["oom"][1] == "CrashLoopBackOff"


def test_completed_job_pod_with_a_sidecar_is_healthy(live_cluster: LiveCluster,
                                                     local_control_plane: Any,
                                                     namespace: str) -> None:
    """The real Job controller creates the pod; its sidecar ends with 143: no false alarm."""
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "report"},
           "spec": {"backoffLimit": 0, "template": {"spec": {
               "restartPolicy": "Never",
               "initContainers": [{"name": "proxy", "image": "registry.example/proxy:1",
                                   "restartPolicy": "Always"}],
               "containers": [{"name": "app", "image": "registry.example/report:1"}]}}}}
    live_cluster.apply(job, namespace)

    def succeeded() -> str | None:
        pods = live_cluster.get_json("pods", "-n", namespace, "-l", "job-name=report")["items"]
        done = [p for p in pods if p["status"].get("phase") == "Succeeded"]
        return done[0]["metadata"]["name"] if done else None

    name = wait_for("the Job's pod to succeed", succeeded, timeout=45)
    code, doc, err = podwhy(live_cluster, name, "-n", namespace)
    assert code == 0, err
    item = doc["items"][0]
    assert (item["healthy"], item["verdict"], item["findings"]) == (True, None, [])
    assert item["pod"]["status"] == "Completed"


def test_stuck_on_a_finalizer_past_its_grace_period(live_cluster: LiveCluster,
                                                   local_control_plane: Any,
                                                   namespace: str) -> None:
    pod = live_cluster.scenario_pod("held")
    pod["metadata"]["finalizers"] = ["podwhy.test/hold"]
    pod["spec"]["terminationGracePeriodSeconds"] = 1
    live_cluster.apply(pod, namespace)
    expect_verdict(live_cluster, namespace, "held", None)
    live_cluster.kubectl("delete", "pod", "held", "-n", namespace, "--wait=false")
    # first waiting out the grace period and the finalizers' controllers (30 s) ...
    first = expect_verdict(live_cluster, namespace, "held",
                           ("PW104", "pod", "Terminating", None, None), state="progressing")
    assert "podwhy.test/hold" in first["verdict"]["summary"]
    # ... then stuck on the finalizer
    item = expect_verdict(live_cluster, namespace, "held",
                          ("PW101", "pod", "Terminating", None, None), timeout=75)
    assert "podwhy.test/hold" in item["verdict"]["summary"]


# --- the real scheduler -------------------------------------------------------------------------

@contextmanager
def all_nodes_tainted(cluster: LiveCluster, taint: str) -> Iterator[None]:
    nodes = [n["metadata"]["name"] for n in cluster.get_json("nodes")["items"]]
    for n in nodes:
        cluster.kubectl("taint", "node", n, taint, "--overwrite")
    try:
        yield
    finally:
        for n in nodes:
            cluster.kubectl("taint", "node", n, taint.split("=", 1)[0] + "-", check=False)


def _pending(name: str, **spec: Any) -> dict[str, Any]:
    container: dict[str, Any] = {"name": "app", "image": "registry.example/app:1"}
    container.update(spec.pop("container", {}))
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [container], **spec}}


SCHEDULER_CASES: dict[str, tuple[Callable[[], dict[str, Any]], str, list[str]]] = {
    "insufficient-cpu": (lambda: _pending("big", container={"resources": {
        "requests": {"cpu": "64"}}}), "PW121", ["Insufficient cpu", "cpu 64"]),
    "node-selector": (lambda: _pending("picky", nodeSelector={"disktype": "ssd"}), "PW123",
                      ["disktype=ssd"]),
    "missing-pvc": (lambda: _pending("claims", volumes=[{
        "name": "data", "persistentVolumeClaim": {"claimName": "data"}}]), "PW126",
        ['persistentvolumeclaim "data" not found', "PVC data does not exist"]),
    "scheduling-gate": (lambda: _pending("gated", schedulingGates=[
        {"name": "example.com/quota"}]), "PW120", ["example.com/quota"]),
}


@pytest.mark.parametrize("case", sorted(SCHEDULER_CASES))
def test_scheduler_failure_gives_the_offline_verdict(case: str, live_cluster: LiveCluster,
                                                     namespace: str, tmp_path: Path) -> None:
    make, rule, mentions = SCHEDULER_CASES[case]
    pod = make()
    name = pod["metadata"]["name"]
    live_cluster.apply(pod, namespace)
    reason = "SchedulingGated" if rule == "PW120" else "Unschedulable"
    # a gate is removed by its controller within seconds: waiting for 5 minutes, not failing
    state = "progressing" if rule == "PW120" else "failing"
    item = expect_verdict(live_cluster, namespace, name, (rule, "pod", reason, None, None),
                          state=state)
    text = item["verdict"]["summary"] + "\n" + item["verdict"]["detail"]
    for m in mentions:
        assert m in text
    assert item["pod"]["status"] == kubectl_status(live_cluster, namespace, name)
    dump_and_replay(live_cluster, namespace, name, item, tmp_path, f"sched-{case}",
                    (rule, "pod", reason, None, None))


def test_untolerated_taint_on_every_node(live_cluster: LiveCluster, namespace: str,
                                         tmp_path: Path) -> None:
    with all_nodes_tainted(live_cluster, "podwhy.test/dedicated=batch:NoSchedule"):
        live_cluster.apply(_pending("tainted"), namespace)
        want: Verdict = ("PW122", "pod", "Unschedulable", None, None)
        item = expect_verdict(live_cluster, namespace, "tainted", want)
        assert "podwhy.test/dedicated" in item["verdict"]["summary"]
        dump_and_replay(live_cluster, namespace, "tainted", item, tmp_path,
                        "sched-untolerated-taint", want)


def test_host_port_taken_on_every_node(live_cluster: LiveCluster, local_control_plane: Any,
                                       namespace: str, tmp_path: Path) -> None:
    nodes = [n for n in live_cluster.get_json("nodes")["items"]
             if not n["spec"].get("taints") and not n["spec"].get("unschedulable")]
    port = {"container": {"ports": [{"containerPort": 80, "hostPort": 18080}]}}
    for i in range(len(nodes)):
        live_cluster.apply(_pending(f"holder-{i}", **port), namespace)
        live_cluster.wait_for_pod(namespace, f"holder-{i}",
                                  lambda p: p["status"].get("phase") == "Running",
                                  "running", timeout=30)
    live_cluster.apply(_pending("late", **port), namespace)
    want: Verdict = ("PW124", "pod", "Unschedulable", None, None)
    item = expect_verdict(live_cluster, namespace, "late", want)
    assert "hostPort 18080" in item["verdict"]["summary"]
    dump_and_replay(live_cluster, namespace, "late", item, tmp_path, "sched-host-port", want)


def test_unbound_pvc_blocks_scheduling(live_cluster: LiveCluster, namespace: str,
                                       tmp_path: Path) -> None:
    """No StorageClass serves the claim: the real PV controller leaves it Pending."""
    live_cluster.apply({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                        "metadata": {"name": "data"},
                        "spec": {"accessModes": ["ReadWriteOnce"],
                                 "storageClassName": "no-such-class",
                                 "resources": {"requests": {"storage": "1Gi"}}}}, namespace)
    live_cluster.apply(_pending("waits", volumes=[{
        "name": "data", "persistentVolumeClaim": {"claimName": "data"}}]), namespace)
    want: Verdict = ("PW126", "pod", "Unschedulable", None, None)
    item = expect_verdict(live_cluster, namespace, "waits", want)
    assert "PVC data is Pending" in item["verdict"]["summary"]
    assert "unbound immediate PersistentVolumeClaims" in item["verdict"]["detail"]
    dump_and_replay(live_cluster, namespace, "waits", item, tmp_path, "sched-unbound-pvc",
                    want)


# --- the real node lifecycle controller -----------------------------------------------------

def test_node_that_stops_heartbeating(live_cluster: LiveCluster, local_control_plane: Any,
                                      namespace: str, tmp_path: Path) -> None:
    cp = local_control_plane
    node = "kwok-lost-0"
    cp.create_node(node, labels={"podwhy.test/pool": "lost"})
    cp.wait_nodes_ready([node], timeout=30)
    pod = live_cluster.scenario_pod("stranded")
    pod["spec"]["nodeSelector"] = {"podwhy.test/pool": "lost"}
    live_cluster.apply(pod, namespace)
    expect_verdict(live_cluster, namespace, "stranded", None)
    cp.stop_heartbeat(node)
    try:
        want: Verdict = ("PW140", "pod", "NodeNotReady", None, None)
        item = expect_verdict(live_cluster, namespace, "stranded", want, timeout=90)
        summary = item["verdict"]["summary"]
        assert node in summary
        assert "NodeStatusUnknown" in summary
        sources = [e["source"] for e in item["verdict"]["evidence"]]
        assert f"node/{node}.spec.taints" in sources
        wait_for("NodeNotReady event on the pod", lambda: any(
            e["reason"] == "NodeNotReady" for e in live_cluster.events(namespace, "stranded")),
            timeout=30)
        item = expect_verdict(live_cluster, namespace, "stranded", want)
        assert "event:NodeNotReady" in [e["source"] for e in item["verdict"]["evidence"]]
        dump_and_replay(live_cluster, namespace, "stranded", item, tmp_path,
                        "node-not-ready", want)
    finally:
        live_cluster.kubectl("delete", "pod", "stranded", "-n", namespace, "--force",
                             "--grace-period=0", check=False)
        cp.delete_node(node)


# --- event attribution ------------------------------------------------------------------------

def test_recreated_pod_does_not_inherit_the_old_pods_events(live_cluster: LiveCluster,
                                                            local_control_plane: Any,
                                                            namespace: str,
                                                            tmp_path: Path) -> None:
    live_cluster.apply(live_cluster.scenario_pod("same", "crashloop-oom"), namespace)
    old = expect_verdict(live_cluster, namespace, "same",
                         ("PW220", "container", "OOMKilled", "app", "app"))
    live_cluster.kubectl("delete", "pod", "same", "-n", namespace, "--wait=true")
    live_cluster.apply(live_cluster.scenario_pod("same"), namespace)
    new = expect_verdict(live_cluster, namespace, "same", None)
    assert new["pod"]["uid"] != old["pod"]["uid"]
    # The old pod's BackOff event is still stored under the same name...
    assert any(e["reason"] == "BackOff" for e in live_cluster.events(namespace, "same"))
    # ...but podwhy read only the new pod's events.
    dump = tmp_path / "d.json"
    podwhy(live_cluster, "same", "-n", namespace, "--dump", str(dump))
    events = [o for o in json.loads(dump.read_text())["items"] if o["kind"] == "Event"]
    assert all(e["involvedObject"]["uid"] == new["pod"]["uid"] for e in events)
    assert not [e for e in events if e["reason"] == "BackOff"]


def test_events_written_through_events_k8s_io_v1_are_read(live_cluster: LiveCluster,
                                                          local_control_plane: Any,
                                                          namespace: str) -> None:
    live_cluster.apply(live_cluster.scenario_pod("web"), namespace)
    item = expect_verdict(live_cluster, namespace, "web", None)
    uid = item["pod"]["uid"]
    now = time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime())
    live_cluster.apply({
        "apiVersion": "events.k8s.io/v1", "kind": "Event",
        "metadata": {"name": "web.readiness"},
        "regarding": {"kind": "Pod", "name": "web", "namespace": namespace, "uid": uid,
                      "apiVersion": "v1", "fieldPath": "spec.containers{app}"},
        "reason": "Unhealthy", "type": "Warning", "action": "Probe",
        "note": "Readiness probe failed: HTTP probe failed with statuscode: 503",
        "eventTime": now, "reportingController": "kubelet", "reportingInstance": "kwok-node-0",
    }, namespace)
    live_cluster.apply({
        "apiVersion": "v1", "kind": "Event", "metadata": {"name": "web.pulled"},
        "involvedObject": {"kind": "Pod", "name": "web", "namespace": namespace, "uid": uid},
        "reason": "Pulled", "type": "Normal", "message": 'Container image "x" already present',
        "source": {"component": "kubelet"}, "firstTimestamp": now[:19] + "Z",
        "lastTimestamp": now[:19] + "Z", "count": 1}, namespace)
    # The container is ready, so a readiness failure is history, but both events are read:
    dump = Path(live_cluster.kubeconfig).parent / f"{namespace}-events.json"
    code, _doc, err = podwhy(live_cluster, "web", "-n", namespace, "--dump", str(dump))
    reasons = sorted(o["reason"] for o in json.loads(dump.read_text())["items"]
                     if o["kind"] == "Event")
    assert "Unhealthy" in reasons
    assert "Pulled" in reasons
    assert code == 0, err


# --- the three states over time -----------------------------------------------------------------

def _write_status(cluster: LiveCluster, ns: str, name: str, status: dict[str, Any]) -> None:
    cluster.kubectl("patch", "pod", name, "-n", ns, "--subresource=status", "--type=merge",
                    "-p", json.dumps({"status": status}))


def test_pod_progressing_then_healthy(live_cluster: LiveCluster, local_control_plane: Any,
                                      namespace: str, tmp_path: Path) -> None:
    """Bound to a node, containers being created: progressing (exit 5, what it waits for and
    its deadline); then running and ready: healthy (exit 0). The kubelet's side is written
    by the test (kwok leaves the pod alone)."""
    node = next(n["metadata"]["name"] for n in live_cluster.get_json("nodes")["items"]
                if not n["spec"].get("unschedulable") and not n["spec"].get("taints"))
    pod = live_cluster.scenario_pod("slow")
    pod["metadata"]["labels"]["podwhy.test/kwok"] = "disregard"
    pod["spec"]["nodeName"] = node
    live_cluster.apply(pod, namespace)
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    _write_status(live_cluster, namespace, "slow", {
        "phase": "Pending", "startTime": now, "conditions": [
            {"type": "PodReadyToStartContainers", "status": "False", "lastTransitionTime": now},
            {"type": "Initialized", "status": "True", "lastTransitionTime": now},
            {"type": "ContainersReady", "status": "False", "reason": "ContainersNotReady",
             "lastTransitionTime": now},
            {"type": "Ready", "status": "False", "reason": "ContainersNotReady",
             "lastTransitionTime": now},
            {"type": "PodScheduled", "status": "True", "lastTransitionTime": now}],
        "containerStatuses": [{"name": "app", "image": "registry.example/app:1", "imageID": "",
                               "ready": False, "restartCount": 0, "started": False,
                               "state": {"waiting": {"reason": "ContainerCreating"}}}]})
    want: Verdict = ("PW153", "pod", "ContainerCreating", None, None)
    item = expect_verdict(live_cluster, namespace, "slow", want, state="progressing")
    v = item["verdict"]
    assert v["severity"] == "waiting"
    assert node in v["summary"]
    assert v["since"] == now
    assert v["deadline"] is not None
    dump_and_replay(live_cluster, namespace, "slow", item, tmp_path, "progressing-setup", want)
    ready = [{"type": t, "status": "True", "lastTransitionTime": now} for t in
             ("PodReadyToStartContainers", "Initialized", "ContainersReady", "Ready",
              "PodScheduled")]
    _write_status(live_cluster, namespace, "slow", {
        "phase": "Running", "conditions": ready, "containerStatuses": [{
            "name": "app", "image": "registry.example/app:1", "imageID": "", "ready": True,
            "restartCount": 0, "started": True, "state": {"running": {"startedAt": now}}}]})
    healthy = expect_verdict(live_cluster, namespace, "slow", None)
    assert healthy["findings"] == []


def test_a_finished_image_pull_reads_the_same_in_a_namespace_run(
        live_cluster: LiveCluster, local_control_plane: Any, namespace: str) -> None:
    """Namespace runs leave Pulled, Created and Started on the server and fetch them for the
    pods still being created after a Pulling event (snapshot.pull_event_pods): a pull that
    ended 8 minutes ago reads as ended, as it does for the pod alone, not as still running."""
    node = next(n["metadata"]["name"] for n in live_cluster.get_json("nodes")["items"]
                if not n["spec"].get("unschedulable") and not n["spec"].get("taints"))
    pod = live_cluster.scenario_pod("pulled")
    pod["metadata"]["labels"]["podwhy.test/kwok"] = "disregard"
    pod["spec"]["nodeName"] = node
    live_cluster.apply(pod, namespace)
    uid = live_cluster.pod(namespace, "pulled")["metadata"]["uid"]

    def ago(minutes: int) -> str:
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - minutes * 60))

    _write_status(live_cluster, namespace, "pulled", {
        "phase": "Pending", "startTime": ago(12), "conditions": [
            {"type": t, "status": s, "lastTransitionTime": ago(12)} for t, s in (
                ("PodReadyToStartContainers", "True"), ("Initialized", "True"),
                ("ContainersReady", "False"), ("Ready", "False"), ("PodScheduled", "True"))],
        "containerStatuses": [{"name": "app", "image": "registry.example/app:1", "imageID": "",
                               "ready": False, "restartCount": 0, "started": False,
                               "state": {"waiting": {"reason": "ContainerCreating"}}}]})
    live_cluster.apply([{
        "apiVersion": "v1", "kind": "Event",
        "metadata": {"name": f"pulled.{reason.lower()}", "namespace": namespace},
        "involvedObject": {"kind": "Pod", "name": "pulled", "namespace": namespace,
                           "uid": uid, "fieldPath": "spec.containers{app}"},
        "reason": reason, "message": message, "type": "Normal", "count": 1,
        "firstTimestamp": ago(minutes), "lastTimestamp": ago(minutes),
        "source": {"component": "kubelet", "host": node}}
        for reason, minutes, message in (
            ("Pulling", 12, 'Pulling image "registry.example/app:1"'),
            ("Pulled", 8, 'Successfully pulled image "registry.example/app:1" in 4m'))],
        namespace)
    _, alone, _ = podwhy(live_cluster, "pulled", "-n", namespace)
    code, every, err = podwhy(live_cluster, "-n", namespace)
    item = next(i for i in every["items"] if i["pod"]["name"] == "pulled")
    assert item["verdict"]["rule"] == "PW214", (item, err)
    assert item["verdict"]["severity"] == "error"
    assert "has not started for 12m" in item["verdict"]["summary"]
    assert verdict_of(item) == verdict_of(alone["items"][0])
    assert code == 1

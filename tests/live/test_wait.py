"""Live ``--wait`` and ``--watch``: the real controllers (and kwok's kubelet) drive each case,
and podwhy, following the cluster through watches, must end the wait the way a CD gate needs:

- exit 0 once every target is healthy (a rollout done, a Job complete), and not before;
- exit 1 at once (well within 20 s of the apply) when a failure will not fix itself, naming the
  verdict's rule;
- exit 1 with outcome ``timeout`` and what it still waits for when ``--timeout`` passes;
- a dropped watch resumes from its resourceVersion (no new LIST), and the requests a wait
  sends do not grow with time (the API server's audit log counts them).

Each wait is timed by the wall clock around the subprocess; the bounds are generous: they
catch a wait that never fails fast, not slowness.
"""
from __future__ import annotations

import json
import os
import queue
import re
import secrets
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from tests.live.conftest import LiveCluster, wait_for
from tests.live.test_scenarios import ROOT
from tests.live.test_workloads import _set_gate, deployment, job, template

#: a failure Kubernetes will not fix by itself ends the wait within this many seconds of the
#: apply (the controllers and kwok act in about a second; podwhy starts in one or two)
FAST = 20.0
GATE = "podwhy.test/load-balancer-ready"


# --- running podwhy ------------------------------------------------------------------------------

@dataclass
class Waited:
    """How one ``podwhy --wait -o json`` run ended."""

    code: int
    doc: dict[str, Any]
    stderr: str
    #: wall-clock seconds from ``t0`` (the apply, or the start of the run) to its exit
    seconds: float

    @property
    def wait(self) -> dict[str, Any]:
        w: dict[str, Any] = self.doc.get("wait") or {}
        return w

    def rule(self, index: int = 0) -> str | None:
        """The verdict rule of the index-th workload of the report."""
        v = self.doc["workloads"][index]["verdict"]
        return None if v is None else str(v["rule"])

    def show(self) -> str:
        """For assertion messages: the exit, the time and the report's gist."""
        gist = {"exit": self.code, "seconds": round(self.seconds, 1), "wait": self.wait,
                "workloads": [(w["kind"], w["name"], w["state"], w["verdict"])
                              for w in self.doc.get("workloads", [])],
                "pods": [(i["pod"]["name"], i["state"], (i["verdict"] or {}).get("rule"))
                         for i in self.doc.get("items", [])],
                "stderr": self.stderr[-2000:]}
        return json.dumps(gist, indent=1, default=str)


def podwhy_argv(cluster: LiveCluster, *args: str, kubeconfig: str | os.PathLike[str] | None = None
                ) -> list[str]:
    """The podwhy command line as the other live tests run it (as admin unless
    ``kubeconfig``, whose current context is then used)."""
    auth = ["--kubeconfig", str(kubeconfig)] if kubeconfig is not None else [
        "--kubeconfig", cluster.kubeconfig, "--context", cluster.context]
    return [sys.executable, "-m", "kubectl_podwhy", *auth, *args]


def start_wait(cluster: LiveCluster, *args: str,
               kubeconfig: str | os.PathLike[str] | None = None) -> subprocess.Popen[str]:
    """Start ``podwhy --wait -o json ARGS`` in the background."""
    return subprocess.Popen(podwhy_argv(cluster, "--wait", "-o", "json", *args,
                                        kubeconfig=kubeconfig),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)


def finish(proc: subprocess.Popen[str], t0: float, timeout: float = 120.0) -> Waited:
    """Wait for a started run to exit; its result, timed from ``t0``."""
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise AssertionError(f"podwhy --wait did not exit within {timeout:.0f}s:\n{err}"
                             ) from None
    seconds = time.monotonic() - t0
    assert "Traceback" not in err, err
    doc = json.loads(out) if out.strip() else {}
    return Waited(proc.returncode, doc, err, seconds)


def run_wait(cluster: LiveCluster, *args: str, t0: float | None = None,
             kubeconfig: str | os.PathLike[str] | None = None,
             timeout: float = 120.0) -> Waited:
    """``podwhy --wait -o json ARGS``, timed from ``t0`` (default: now)."""
    t0 = time.monotonic() if t0 is None else t0
    return finish(start_wait(cluster, *args, kubeconfig=kubeconfig), t0, timeout)


def assert_failed_fast(w: Waited, rule: str, key: str) -> None:
    """The wait ended at once on ``key``'s terminal failure ``rule``."""
    assert w.code == 1, w.show()
    assert w.wait.get("outcome") == "failing", w.show()
    assert w.wait["reason"].startswith(
        f"{key} is failing and Kubernetes will not fix it by itself: {rule} "), w.show()
    assert w.seconds < FAST, w.show()
    assert w.wait["elapsedSeconds"] < FAST, w.show()


def gated_deployment(name: str, replicas: int) -> dict[str, Any]:
    """A Deployment whose pods run but are never ready until someone sets their readiness
    gate (what a load balancer controller does): a rollout that stays in progress."""
    d = deployment(name, replicas)
    d["spec"]["template"]["spec"]["readinessGates"] = [{"conditionType": GATE}]
    return d


def running_pods(cluster: LiveCluster, ns: str, count: int) -> list[str]:
    """Wait until ``count`` pods of the namespace run; their names."""
    def check() -> list[str] | None:
        pods = cluster.get_json("pods", "-n", ns)["items"]
        names = [p["metadata"]["name"] for p in pods if p["status"].get("phase") == "Running"]
        return sorted(names) if len(names) == count and len(pods) == count else None
    return wait_for(f"{count} running pods in {ns}", check, timeout=40)


# --- the audit log -------------------------------------------------------------------------------

def requests_of(cp: Any, user: str, since: float) -> list[dict[str, Any]]:
    """The requests ``user`` sent, one audit event each (a WATCH is logged when its
    response starts and again when it ends: one request, one auditID)."""
    seen: dict[str, dict[str, Any]] = {}
    for e in cp.audit_events(user=user, since=since):
        seen.setdefault(e["auditID"], e)
    return list(seen.values())


def by_verb(events: list[dict[str, Any]]) -> Counter[tuple[str, str]]:
    return Counter((e["verb"], (e.get("objectRef") or {}).get("resource", "")) for e in events)


def admin_user(cp: Any, prefix: str) -> tuple[str, Path]:
    """A fresh admin user (its own name in the audit log) and its kubeconfig."""
    user = f"{prefix}-{secrets.token_hex(3)}"
    return user, cp.make_user_kubeconfig(user, ("system:masters",))


# --- a TCP proxy that can drop every connection ---------------------------------------------------

class DroppingProxy:
    """Forwards TCP connections from 127.0.0.1:port to ``upstream`` (TLS passes through
    untouched) and can close every open connection at once, as a load balancer or an API
    server restart does."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        self.pairs: list[tuple[socket.socket, socket.socket]] = []
        self.accepted = 0
        self.closed = threading.Event()
        threading.Thread(target=self._accept, name="proxy accept", daemon=True).start()

    def _accept(self) -> None:
        while not self.closed.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream, timeout=10)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            with self.lock:
                self.pairs.append((client, server))
                self.accepted += 1
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()

    def _pump(self, a: socket.socket, b: socket.socket) -> None:
        try:
            while True:
                readable, _, _ = select.select([a, b], [], [], 0.5)
                if self.closed.is_set():
                    return
                for src in readable:
                    data = src.recv(65536)
                    if not data:
                        return
                    (b if src is a else a).sendall(data)
        except (OSError, ValueError):  # closed by drop_all (or the peer)
            return
        finally:
            self._close(a, b)

    def _close(self, a: socket.socket, b: socket.socket) -> None:
        with self.lock:
            if (a, b) in self.pairs:
                self.pairs.remove((a, b))
        for s in (a, b):
            with suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def open_connections(self) -> int:
        with self.lock:
            return len(self.pairs)

    def drop_all(self) -> int:
        """Close every open connection (both sides); how many there were."""
        with self.lock:
            pairs = list(self.pairs)
        for a, b in pairs:
            self._close(a, b)
        return len(pairs)

    def close(self) -> None:
        self.closed.set()
        self.listener.close()
        self.drop_all()


def api_address(kubeconfig: Path) -> tuple[str, int]:
    """The API server's host and port in a (one-cluster) kubeconfig."""
    url = urlsplit(yaml.safe_load(kubeconfig.read_text())["clusters"][0]["cluster"]["server"])
    assert url.hostname == "127.0.0.1", "the serving certificate is for 127.0.0.1"
    return url.hostname, url.port or 443


def proxied_kubeconfig(kubeconfig: Path, port: int, out: Path) -> Path:
    """A copy of ``kubeconfig`` whose server is https://127.0.0.1:port (the proxy)."""
    doc = yaml.safe_load(kubeconfig.read_text())
    doc["clusters"][0]["cluster"]["server"] = f"https://127.0.0.1:{port}"
    out.write_text(yaml.safe_dump(doc))
    out.chmod(0o600)
    return out


# --- healthy -------------------------------------------------------------------------------------

def test_wait_exits_0_once_a_good_rollout_is_done(live_cluster: LiveCluster,
                                                  local_control_plane: Any,
                                                  namespace: str) -> None:
    t0 = time.monotonic()
    live_cluster.apply(deployment("web", 2), namespace)
    w = run_wait(live_cluster, "deploy/web", "-n", namespace, t0=t0)
    assert w.code == 0, w.show()
    assert (w.wait["outcome"], w.wait["reason"], w.wait["waitingFor"]) == (
        "healthy", "every target is healthy", []), w.show()
    assert w.doc["workloads"][0]["state"] == "healthy", w.show()
    assert w.seconds < 30, w.show()
    # not before the rollout is done, as kubectl rollout status judges it
    st = live_cluster.get_json("deployment", "web", "-n", namespace)["status"]
    assert (st.get("updatedReplicas"), st.get("readyReplicas"), st.get("availableReplicas")
            ) == (2, 2, 2), st
    assert len(w.doc["items"]) == 2, w.show()


# --- failing fast --------------------------------------------------------------------------------

def test_wait_fails_fast_on_an_image_that_does_not_exist(live_cluster: LiveCluster,
                                                         local_control_plane: Any,
                                                         namespace: str) -> None:
    t0 = time.monotonic()
    live_cluster.apply(deployment("web", 2, "image-not-found"), namespace)
    w = run_wait(live_cluster, "deploy/web", "-n", namespace, t0=t0)
    assert_failed_fast(w, "PW201", f"Deployment/{namespace}/web")
    assert w.rule() == "PW201", w.show()
    assert "registry.example/nope:1 not found" in w.wait["reason"], w.show()


def test_wait_fails_fast_on_a_crash_loop(live_cluster: LiveCluster, local_control_plane: Any,
                                         namespace: str) -> None:
    t0 = time.monotonic()
    live_cluster.apply(deployment("web", 2, "crashloop-exit1"), namespace)
    w = run_wait(live_cluster, "deploy/web", "-n", namespace, t0=t0)
    assert_failed_fast(w, "PW221", f"Deployment/{namespace}/web")
    assert w.rule() == "PW221", w.show()
    assert {i["verdict"]["rule"] for i in w.doc["items"]} == {"PW221"}, w.show()


def test_wait_fails_fast_when_no_node_can_run_the_pods(live_cluster: LiveCluster,
                                                       local_control_plane: Any,
                                                       namespace: str) -> None:
    d = deployment("web", 2)
    d["spec"]["template"]["spec"]["nodeSelector"] = {"disktype": "ssd"}
    t0 = time.monotonic()
    live_cluster.apply(d, namespace)
    w = run_wait(live_cluster, "deploy/web", "-n", namespace, t0=t0)
    assert_failed_fast(w, "PW123", f"Deployment/{namespace}/web")
    assert w.rule() == "PW123", w.show()
    assert "disktype=ssd" in w.wait["reason"], w.show()


def test_wait_fails_fast_when_a_quota_forbids_the_pods(live_cluster: LiveCluster,
                                                       local_control_plane: Any,
                                                       namespace: str) -> None:
    live_cluster.apply({"apiVersion": "v1", "kind": "ResourceQuota",
                        "metadata": {"name": "pods"}, "spec": {"hard": {"pods": "1"}}},
                       namespace)
    wait_for("quota status", lambda: live_cluster.get_json(
        "resourcequota", "pods", "-n", namespace).get("status", {}).get("hard"), 20)
    t0 = time.monotonic()
    live_cluster.apply(deployment("web", 3), namespace)
    w = run_wait(live_cluster, "deploy/web", "-n", namespace, t0=t0)
    assert_failed_fast(w, "PW301", f"Deployment/{namespace}/web")
    assert w.rule() == "PW301", w.show()
    assert "ResourceQuota pods is exhausted" in w.wait["reason"], w.show()


def test_wait_fails_fast_on_a_rollout_stalled_while_the_old_replicaset_serves(
        live_cluster: LiveCluster, local_control_plane: Any, namespace: str) -> None:
    live_cluster.apply(deployment("web", 2), namespace)
    first = run_wait(live_cluster, "deploy/web", "-n", namespace)
    assert (first.code, first.wait.get("outcome")) == (0, "healthy"), first.show()
    t0 = time.monotonic()
    live_cluster.apply(deployment("web", 2, "crashloop-exit1"), namespace)
    w = run_wait(live_cluster, "deploy/web", "-n", namespace, t0=t0)
    assert_failed_fast(w, "PW303", f"Deployment/{namespace}/web")
    assert w.rule() == "PW303", w.show()
    assert "(revision 2) is stalled" in w.wait["reason"], w.show()
    assert "the old ReplicaSet still serves 2 ready pod(s)" in w.wait["reason"], w.show()


def test_wait_tolerates_a_failure_that_may_clear_for_fail_after(live_cluster: LiveCluster,
                                                               local_control_plane: Any,
                                                               namespace: str) -> None:
    """A crash loop is terminal only past --max-restarts (kwok's pods restarted 6 times):
    below it, the wait tolerates it for --fail-after, then fails."""
    live_cluster.apply(deployment("web", 2, "crashloop-exit1"), namespace)
    w = run_wait(live_cluster, "deploy/web", "-n", namespace, "--max-restarts", "10",
                 "--fail-after", "3s")
    assert w.code == 1, w.show()
    assert w.wait.get("outcome") == "failing", w.show()
    assert 3.0 <= w.wait["elapsedSeconds"] < 5.0, w.show()
    assert w.seconds < 3 + FAST, w.show()
    # counted from the verdict's own start, which a loaded machine sees a tick late: 3-4s
    assert re.match(rf"Deployment/{namespace}/web has been failing for [34]s \(--fail-after "
                    r"3s\): PW221 ", w.wait["reason"]), w.show()


# --- Jobs ----------------------------------------------------------------------------------------

def test_wait_fails_fast_on_a_job_past_its_backoff_limit(live_cluster: LiveCluster,
                                                         local_control_plane: Any,
                                                         namespace: str) -> None:
    t0 = time.monotonic()
    live_cluster.apply(job("migrate", "terminated-error"), namespace)
    w = run_wait(live_cluster, "job/migrate", "-n", namespace, t0=t0)
    assert_failed_fast(w, "PW304", f"Job/{namespace}/migrate")
    assert w.rule() == "PW304", w.show()
    assert w.doc["workloads"][0]["verdict"]["reason"] == "BackoffLimitExceeded", w.show()


def test_wait_for_a_job_exits_0_only_once_it_completed(live_cluster: LiveCluster,
                                                       local_control_plane: Any,
                                                       namespace: str) -> None:
    """Four completions one after the other (kwok completes each pod a second after it
    runs): the Job is running, progressing (PW311), for several seconds."""
    t0 = time.monotonic()
    live_cluster.apply(job("batch", completions=4, parallelism=1), namespace)
    w = run_wait(live_cluster, "job/batch", "-n", namespace, t0=t0)
    assert w.code == 0, w.show()
    assert w.wait["outcome"] == "healthy", w.show()
    assert w.seconds < 60, w.show()
    st = live_cluster.get_json("job", "batch", "-n", namespace)["status"]
    assert st.get("succeeded") == 4, st
    done = {c["type"] for c in st.get("conditions", []) if c["status"] == "True"}
    assert done & {"Complete", "SuccessCriteriaMet"}, st


# --- progressing: what it waits for, and the timeout ---------------------------------------------

def test_wait_timeout_on_a_statefulset_names_the_ordinal_it_waits_for(
        live_cluster: LiveCluster, local_control_plane: Any, namespace: str) -> None:
    """db-0 runs but is not ready (readiness-fail: progressing for its probe budget plus
    podwhy's 30 s margin), so the StatefulSet does not create db-1: a timeout of 8 s
    passes while it waits for db-0."""
    sts = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"},
           "spec": {"replicas": 3, "serviceName": "db",
                    "selector": {"matchLabels": {"app": "web"}},
                    "template": template("readiness-fail")}}
    t0 = time.monotonic()
    live_cluster.apply(sts, namespace)
    w = run_wait(live_cluster, "sts/db", "-n", namespace, "--timeout", "8s", t0=t0)
    assert w.code == 1, w.show()
    assert w.wait["outcome"] == "timeout", w.show()
    assert 8.0 <= w.wait["elapsedSeconds"] < 10.0, w.show()
    assert w.seconds < 8 + FAST, w.show()
    [still] = w.wait["waitingFor"]
    assert still.startswith(f"StatefulSet/{namespace}/db: progressing: PW309 "), w.show()
    assert "waits for db-0, which is not ready" in still, w.show()
    assert w.wait["reason"] == f"still waiting for {still}", w.show()
    assert [(i["pod"]["name"], i["verdict"]["rule"]) for i in w.doc["items"]] == [
        ("db-0", "PW232")], w.show()


def test_wait_timeout_says_what_it_still_waits_for_and_since_when(
        live_cluster: LiveCluster, local_control_plane: Any, namespace: str) -> None:
    live_cluster.apply(gated_deployment("web", 2), namespace)
    running_pods(live_cluster, namespace, 2)
    w = run_wait(live_cluster, "deploy/web", "-n", namespace, "--timeout", "5s")
    assert w.code == 1, w.show()
    assert w.wait["outcome"] == "timeout", w.show()
    assert 5.0 <= w.wait["elapsedSeconds"] <= 6.5, w.show()
    assert w.seconds < 5 + FAST, w.show()
    [still] = w.wait["waitingFor"]
    assert still.startswith(f"Deployment/{namespace}/web: progressing: PW310 "), w.show()
    assert "readiness gate" in still, w.show()
    assert "(since 20" in still, w.show()
    assert w.wait["reason"] == f"still waiting for {still}", w.show()
    assert {i["verdict"]["rule"] for i in w.doc["items"]} == {"PW170"}, w.show()
    assert {i["state"] for i in w.doc["items"]} == {"progressing"}, w.show()


def test_wait_waits_for_a_target_created_after_it_started(live_cluster: LiveCluster,
                                                          local_control_plane: Any,
                                                          namespace: str) -> None:
    cp = local_control_plane
    user, kc = admin_user(cp, "podwhy-late")
    since = time.time() - 1
    t0 = time.monotonic()
    proc = start_wait(live_cluster, "deploy/late", "-n", namespace, "--timeout", "60s",
                      kubeconfig=kc)
    try:
        # podwhy has looked for the Deployment (and found none) before it is created
        wait_for("podwhy to look for deploy/late", lambda: by_verb(
            requests_of(cp, user, since))[("watch", "deployments")], timeout=20)
        time.sleep(max(0.0, 3 - (time.monotonic() - t0)))
        assert proc.poll() is None, "podwhy --wait ended before its target existed"
        created = time.monotonic()
        live_cluster.apply(deployment("late", 2), namespace)
        w = finish(proc, t0)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert w.code == 0, w.show()
    assert w.wait["outcome"] == "healthy", w.show()
    assert w.wait["elapsedSeconds"] >= 1.0, w.show()
    assert w.seconds > created - t0, w.show()
    assert w.seconds < created - t0 + 30, w.show()
    assert (w.doc["workloads"][0]["kind"], w.doc["workloads"][0]["name"]) == (
        "Deployment", "late"), w.show()


# --- the watches: resumed after a drop, and the requests of a long wait --------------------------

def test_wait_resumes_dropped_watches_without_listing_again(
        live_cluster: LiveCluster, local_control_plane: Any, namespace: str,
        tmp_path: Path) -> None:
    cp = local_control_plane
    live_cluster.apply(gated_deployment("web", 2), namespace)
    pods = running_pods(live_cluster, namespace, 2)
    user, kc = admin_user(cp, "podwhy-resume")
    proxy = DroppingProxy(api_address(kc))
    proxied = proxied_kubeconfig(kc, proxy.port, tmp_path / "proxied.kubeconfig")
    since = time.time() - 1
    t0 = time.monotonic()
    proc = start_wait(live_cluster, "deploy/web", "-n", namespace, "--timeout", "90s",
                      kubeconfig=proxied)
    try:
        def watching() -> Counter[tuple[str, str]] | None:
            """Every store LISTed is WATCHed, through the proxy."""
            counted = by_verb(requests_of(cp, user, since))
            lists = {r: n for (v, r), n in counted.items() if v == "list"}
            watches = {r: n for (v, r), n in counted.items() if v == "watch"}
            ok = (lists and watches == lists
                  and proxy.open_connections() >= sum(watches.values()))
            return counted if ok else None

        wait_for("podwhy's watches", watching, timeout=30)
        time.sleep(1.0)  # the first judgement is made; nothing new is asked for
        before = wait_for("podwhy's watches", watching, timeout=10)
        assert proc.poll() is None, "podwhy --wait ended before the gates were set"
        dropped = proxy.drop_all()
        assert dropped >= sum(n for (v, _), n in before.items() if v == "watch")
        time.sleep(0.5)
        assert proc.poll() is None, "podwhy --wait ended when its watches were dropped"
        for pod in pods:
            _set_gate(live_cluster, namespace, pod, GATE)
        w = finish(proc, t0, timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
        proxy.close()
    assert w.code == 0, w.show()
    assert w.wait["outcome"] == "healthy", w.show()
    time.sleep(1.0)
    events = requests_of(cp, user, since)
    after = by_verb(events)
    shown = f"before the drop: {sorted(before.items())}; in all: {sorted(after.items())}"
    assert after[("watch", "pods")] >= 2, shown  # watched again after the drop
    assert after[("list", "pods")] == 1, shown  # ... from the resourceVersion, not a LIST
    assert after[("watch", "pods")] > before[("watch", "pods")], shown
    # every store resumed its watch, none LISTed again
    assert {k: n for k, n in after.items() if k[0] == "list"} == \
        {k: n for k, n in before.items() if k[0] == "list"}, shown
    resumed = [e["requestURI"] for e in events
               if e["verb"] == "watch" and e["objectRef"]["resource"] == "pods"]
    assert all("resourceVersion=" in u and "resourceVersion=&" not in u for u in resumed), \
        resumed


def test_requests_of_a_long_wait_do_not_grow_with_time(live_cluster: LiveCluster,
                                                       local_control_plane: Any,
                                                       namespace: str) -> None:
    """A 60 s and a 10 s wait on the same progressing Deployment, side by side, each as its
    own user: one LIST and one WATCH per store, the same requests for both, nothing per pod
    and nothing per second."""
    cp = local_control_plane
    live_cluster.apply(gated_deployment("web", 3), namespace)
    pods = running_pods(live_cluster, namespace, 3)
    uids = [live_cluster.pod(namespace, p)["metadata"]["uid"] for p in pods]
    long_user, long_kc = admin_user(cp, "podwhy-60s")
    short_user, short_kc = admin_user(cp, "podwhy-10s")
    since = time.time() - 1

    def run(kc: Path, timeout: str) -> Waited:
        return run_wait(live_cluster, "deploy/web", "-n", namespace, "--timeout", timeout,
                        kubeconfig=kc)

    with ThreadPoolExecutor(2) as pool:
        long_run = pool.submit(run, long_kc, "60s")
        short_run = pool.submit(run, short_kc, "10s")
        waits = {60: long_run.result(), 10: short_run.result()}
    time.sleep(1.5)  # the audit log is written as the watches end
    counted: dict[int, Counter[tuple[str, str]]] = {}
    for seconds, user in ((60, long_user), (10, short_user)):
        w = waits[seconds]
        assert (w.code, w.wait["outcome"]) == (1, "timeout"), w.show()
        assert seconds <= w.wait["elapsedSeconds"] < seconds + 2, w.show()
        events = requests_of(cp, user, since)
        c = by_verb(events)
        counted[seconds] = c
        shown = f"--timeout {seconds}s sent {sorted(c.items())}"
        lists = {r: n for (v, r), n in c.items() if v == "list"}
        watches = {r: n for (v, r), n in c.items() if v == "watch"}
        assert lists, shown
        assert lists == watches, shown  # each store: one LIST, then one WATCH
        assert (lists.get("deployments"), lists.get("replicasets"), lists.get("pods")) == (
            1, 1, 1), shown
        assert lists.get("events", 0) <= 2, shown  # the pods' events, the workloads' own
        assert lists.get("nodes", 0) <= 3, shown  # a few nodes one by one, or one LIST
        assert set(lists) <= {"deployments", "replicasets", "pods", "events", "nodes"}, shown
        assert c[("get", "pods")] == 0, shown
        assert {v for v, _ in c} <= {"list", "watch", "get"}, shown
        assert sum(c.values()) < 25, shown
        per_pod = [e["requestURI"] for e in events
                   if any(p in e["requestURI"] for p in [*pods, *uids])]
        assert per_pod == [], per_pod
    assert counted[60] == counted[10], (
        f"60 s: {sorted(counted[60].items())}; 10 s: {sorted(counted[10].items())}")


# --- --watch -------------------------------------------------------------------------------------

@contextmanager
def watching_lines(cluster: LiveCluster, *args: str
                   ) -> Iterator[tuple[subprocess.Popen[str], queue.Queue[str]]]:
    """``podwhy --watch ARGS`` in the background; its stdout lines arrive in the queue."""
    proc = subprocess.Popen(podwhy_argv(cluster, "--watch", "--color", "never", *args),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)

    reader = threading.Thread(target=read, name="podwhy --watch stdout", daemon=True)
    reader.start()
    try:
        yield proc, lines
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        reader.join(5)
        for pipe in (proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()


def test_watch_prints_the_change_to_failing_and_ends_on_ctrl_c(live_cluster: LiveCluster,
                                                              local_control_plane: Any,
                                                              namespace: str) -> None:
    with watching_lines(live_cluster, "-n", namespace) as (proc, lines):
        time.sleep(2)  # the watch is under way before the Deployment exists
        assert proc.poll() is None, "podwhy --watch ended on its own"
        live_cluster.apply(deployment("web", 2, "image-not-found"), namespace)
        seen: list[str] = []
        deadline = time.monotonic() + FAST + 10
        found = None
        while found is None and time.monotonic() < deadline:
            try:
                line = lines.get(timeout=0.5)
            except queue.Empty:
                continue
            seen.append(line)
            if "-> failing" in line and "PW201" in line:
                found = line
        assert found is not None, "no line '-> failing ... PW201':\n" + "".join(seen)
        assert proc.poll() is None, "podwhy --watch ended on its own:\n" + "".join(seen)
        proc.send_signal(signal.SIGINT)
        try:
            code = proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            raise AssertionError("podwhy --watch did not end on SIGINT") from None
        assert proc.stderr is not None
        err = proc.stderr.read()
    assert code == 0, err
    assert "Traceback" not in err, err
    assert "registry.example/nope:1 not found" in found, found
    assert f"pod/{namespace}/web-" in found, found


# --- a pod target, and a selector over a namespace -----------------------------------------------

def test_wait_for_a_pod_fails_fast_on_a_config_error(live_cluster: LiveCluster,
                                                     local_control_plane: Any,
                                                     namespace: str) -> None:
    t0 = time.monotonic()
    live_cluster.apply(live_cluster.scenario_pod("p", "config-error"), namespace)
    w = run_wait(live_cluster, "p", "-n", namespace, t0=t0)
    assert_failed_fast(w, "PW210", f"pod/{namespace}/p")
    [item] = w.doc["items"]
    assert (item["pod"]["name"], item["state"], item["verdict"]["rule"]) == (
        "p", "failing", "PW210"), w.show()
    assert "secret db-creds not found" in w.wait["reason"], w.show()


def test_wait_with_a_selector_judges_only_the_pods_it_selects(live_cluster: LiveCluster,
                                                              local_control_plane: Any,
                                                              namespace: str) -> None:
    """A failing pod outside the selector does not fail the wait."""
    other = live_cluster.scenario_pod("other", "crashloop-exit1", labels={"app": "other"})
    live_cluster.apply(other, namespace)
    t0 = time.monotonic()
    live_cluster.apply(deployment("web", 2), namespace)
    w = run_wait(live_cluster, "-n", namespace, "-l", "app=web", t0=t0)
    assert w.code == 0, w.show()
    assert (w.wait["outcome"], w.wait["reason"]) == (
        "healthy", "every pod and workload is healthy"), w.show()
    assert w.seconds < 30, w.show()
    assert {i["pod"]["name"].split("-")[0] for i in w.doc["items"]} == {"web"}, w.show()


@contextmanager
def controllers_paused(cp: Any) -> Iterator[None]:
    """The controller manager stopped (SIGSTOP): what the cluster looks like in the moment
    after ``kubectl apply``, before any controller acted."""
    pid = int(cp.state["pids"]["kube-controller-manager"])
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


def test_a_namespace_wait_does_not_end_healthy_before_the_controllers_create_pods(
        live_cluster: LiveCluster, local_control_plane: Any, namespace: str) -> None:
    """kubectl apply, then a namespace-wide --wait: the new Deployment has no pod yet, and the
    wait must wait for it (it then fails fast on the image), not end healthy on an empty
    namespace."""
    d = deployment("web", 2)
    d["spec"]["template"]["metadata"]["labels"]["podwhy.test/scenario"] = "image-not-found"
    with controllers_paused(local_control_plane):
        live_cluster.apply(d, namespace)
        early = run_wait(live_cluster, "-n", namespace, "--timeout", "4s")
    assert early.code == 1, early.show()
    assert early.wait["outcome"] == "timeout", early.show()
    assert early.wait["reason"].startswith(
        f"still waiting for Deployment/{namespace}/web: progressing: "), early.show()
    t0 = time.monotonic()
    w = run_wait(live_cluster, "-n", namespace, t0=t0)
    assert w.code == 1, w.show()
    assert w.wait["outcome"] == "failing", w.show()
    assert "PW201" in w.wait["reason"], w.show()


def test_a_rolling_update_waiting_for_room_its_old_pods_free_is_not_a_failure(
        live_cluster: LiveCluster, local_control_plane: Any, namespace: str) -> None:
    """The surge pod is unschedulable until the controller scales an old pod down: kubectl
    rollout status completes, and so must the gate (capacity is not terminal while the old
    revision's pods still run)."""
    nodes = sum(1 for n in live_cluster.get_json("nodes")["items"]
                if not n["spec"].get("taints") and not n["spec"].get("unschedulable")
                and any(c["type"] == "Ready" and c["status"] == "True"
                        for c in n["status"].get("conditions", [])))  # every one full
    d = deployment("big", nodes)
    d["spec"]["strategy"] = {"type": "RollingUpdate",
                             "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 1}}
    d["spec"]["template"]["spec"]["containers"][0]["resources"] = {"requests": {"cpu": "3"}}
    live_cluster.apply(d, namespace)
    running_pods(live_cluster, namespace, nodes)
    live_cluster.kubectl("-n", namespace, "set", "image", "deploy/big", "app=big:2")
    w = run_wait(live_cluster, "deploy/big", "-n", namespace, "--timeout", "90s")
    assert w.code == 0, w.show()
    assert w.wait["outcome"] == "healthy", w.show()


def test_a_paused_deployment_with_a_new_template_is_not_rolled_out(
        live_cluster: LiveCluster, local_control_plane: Any, namespace: str) -> None:
    live_cluster.apply(deployment("pz", 2), namespace)
    assert run_wait(live_cluster, "deploy/pz", "-n", namespace).code == 0
    live_cluster.kubectl("-n", namespace, "rollout", "pause", "deploy/pz")
    live_cluster.kubectl("-n", namespace, "set", "image", "deploy/pz", "app=app:2")
    w = run_wait(live_cluster, "deploy/pz", "-n", namespace, "--timeout", "4s")
    assert (w.code, w.wait["outcome"], w.doc["state"]) == (1, "timeout", "progressing"), w.show()
    assert "not rolled out: paused (spec.paused): 0 of 2 replicas run the new template" in \
        w.wait["reason"], w.show()


def test_a_target_deleted_during_the_wait_ends_it(live_cluster: LiveCluster,
                                                  local_control_plane: Any,
                                                  namespace: str) -> None:
    live_cluster.apply(gated_deployment("del", 1), namespace)
    t0 = time.monotonic()
    proc = start_wait(live_cluster, "deploy/del", "-n", namespace, "--timeout", "60s")
    time.sleep(4)
    live_cluster.kubectl("-n", namespace, "delete", "deploy/del", "--wait=false")
    w = finish(proc, t0)
    assert (w.code, w.wait["outcome"]) == (1, "failing"), w.show()
    assert "(it existed when the wait began: deleted)" in w.wait["reason"], w.show()
    assert w.seconds < 20, w.show()

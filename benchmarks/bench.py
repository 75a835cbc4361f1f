#!/usr/bin/env python3
"""``make bench``: how fast and how big is ``kubectl podwhy`` on a large cluster?

Starts its own local control plane (scripts/control_plane.py: real apiserver, scheduler,
controllers, etcd; kwok as the kubelet), creates fake nodes and thousands of pods in several
namespaces (mostly healthy, ~6% failing across the kwok failure scenarios), waits until kwok has
moved every pod to its final state, tops the events up with kubelet-like Normal events
(Pulled/Created/Started per container) and then measures, in the same run, the median of
``--runs`` runs after a warm-up:

* ``kubectl podwhy -A -o json`` against ``kubectl get pods -A -o json`` (wall time, peak RSS);
* ``kubectl podwhy POD -n NS`` (table) against ``kubectl describe pod POD -n NS``, for both
  installs: the pip install (the venv's ``kubectl-podwhy``) and the packaged one-folder
  PyInstaller binary of ``make dist`` (``--binary``; reported as not measured when it is not
  there), with the ``--version`` start-up time of each (interpreter and imports);
* ``kubectl podwhy -A -o json`` at each ``--scaling`` size (the cluster grows between sizes);
* the rollout gate (benchmarks/rollout_gate.py), on the grown cluster: ``kubectl podwhy
  deploy/NAME --wait`` against ``kubectl rollout status`` on broken and good rollouts (time
  to exit, time after the first failure signal) and the API requests per minute of waiting.
  ``--gate-only`` runs only this section, on a small cluster (~3 minutes).

It writes ``benchmarks/results.json`` and prints a summary. It asserts nothing: timings are
measured and reported, never checked. See benchmarks/README.md.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import hashlib
import http.client
import json
import math
import os
import platform
import random
import shutil
import signal
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import control_plane as cpm  # noqa: E402
import rollout_gate  # noqa: E402

JSON = dict[str, Any]
BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_OUT = BENCH_DIR / "results.json"
QUICK_OUT = BENCH_DIR / "results-quick.json"
GATE_OUT = BENCH_DIR / "results-gate.json"
VENV_BIN = Path(sys.executable).parent
#: the packaged install `make dist` builds (PyInstaller, one folder), measured beside the pip one
DEFAULT_BINARY = ROOT / "dist" / "kubectl-podwhy_linux_amd64" / "kubectl-podwhy"

#: Issue targets (reported, never asserted).
TARGET_RATIO_ALL = 2.0
TARGET_RSS_MB = 300.0
TARGET_RATIO_SINGLE = 2.0    # issue 11, "fast start": one pod within 2x kubectl describe pod
TARGET_RATIO_YAML = 2.0      # 20,000 pods from YAML against the same from JSON
TARGET_BIG_RSS_MB = 1024.0   # 20,000 pods from YAML

#: Scenarios that are failures (``complete`` and ``stuck-terminating`` are healthy pods).
FAILING = tuple(s for s in cpm.SCENARIOS if s not in ("complete", "stuck-terminating"))
APPS = ("web", "api", "worker", "checkout", "cart", "search", "auth", "billing", "orders",
        "catalog", "notifier", "gateway", "inventory", "reports", "media", "profile")
TIERS = ("frontend", "backend", "batch")


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def now_rfc3339() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------------------------------------
# A small, fast admin client: one keep-alive HTTPS connection per thread
# ---------------------------------------------------------------------------------------------

class HttpError(RuntimeError):
    def __init__(self, method: str, path: str, status: int, body: str) -> None:
        super().__init__(f"{method} {path}: HTTP {status}: {body[:300]}")
        self.status = status


class Api:
    """Admin REST calls to the apiserver; safe to use from many threads."""

    RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})

    def __init__(self, cp: cpm.ControlPlane) -> None:
        url = urllib.parse.urlsplit(cp.server)
        self.host = url.hostname or "127.0.0.1"
        self.port = url.port or 443
        pki = cp.state["pki"]
        self.ctx = ssl.create_default_context(cafile=str(cp.ca_file))
        self.ctx.load_cert_chain(str(pki["admin_crt"]), str(pki["admin_key"]))
        self._local = threading.local()

    def _conn(self) -> http.client.HTTPSConnection:
        conn: http.client.HTTPSConnection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = http.client.HTTPSConnection(self.host, self.port, context=self.ctx,
                                               timeout=60)
            self._local.conn = conn
        return conn

    def _drop(self) -> None:
        conn: http.client.HTTPSConnection | None = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
        self._local.conn = None

    def call(self, method: str, path: str, body: Any = None, *,
             ok: Iterable[int] = (), attempts: int = 8) -> tuple[int, Any]:
        """Returns (status, decoded body). Statuses in ``ok`` are returned, not raised."""
        data = None if body is None else json.dumps(body).encode()
        headers = {"Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        accept = set(ok)
        delay = 0.2
        for attempt in range(attempts):
            try:
                conn = self._conn()
                conn.request(method, path, body=data, headers=headers)
                resp = conn.getresponse()
                raw = resp.read()
            except (OSError, http.client.HTTPException):
                self._drop()
                if attempt == attempts - 1:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            status = resp.status
            if 200 <= status < 300 or status in accept:
                return status, json.loads(raw) if raw else None
            if status in self.RETRY_STATUSES and attempt < attempts - 1:
                time.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            raise HttpError(method, path, status, raw.decode("utf-8", "replace"))
        raise AssertionError("unreachable")  # pragma: no cover

    def get(self, path: str) -> JSON:
        _, body = self.call("GET", path)
        return body if isinstance(body, dict) else {}

    def list_all(self, path: str, params: dict[str, str] | None = None,
                 limit: int = 500) -> list[JSON]:
        items: list[JSON] = []
        token = ""
        while True:
            q = dict(params or {}, limit=str(limit))
            if token:
                q["continue"] = token
            page = self.get(f"{path}?{urllib.parse.urlencode(q)}")
            items += page.get("items") or []
            token = (page.get("metadata") or {}).get("continue") or ""
            if not token:
                return items

    def count(self, path: str, params: dict[str, str] | None = None) -> int:
        """Number of objects, from one limit=1 page (remainingItemCount) when possible."""
        q = dict(params or {}, limit="1")
        page = self.get(f"{path}?{urllib.parse.urlencode(q)}")
        meta = page.get("metadata") or {}
        if "remainingItemCount" in meta:
            return len(page.get("items") or []) + int(meta["remainingItemCount"])
        if not meta.get("continue"):
            return len(page.get("items") or [])
        return len(self.list_all(path, params))  # field selectors: no remainingItemCount

    def parallel(self, method: str, items: Sequence[tuple[str, JSON]], what: str,
                 workers: int, ok: Iterable[int] = (409,)) -> dict[int, int]:
        """Send many requests from ``workers`` threads; returns {status: count}."""
        accept = tuple(ok)
        counts: dict[int, int] = {}
        lock = threading.Lock()
        done = 0
        started = time.monotonic()
        last = started

        def one(item: tuple[str, JSON]) -> None:
            nonlocal done, last
            status, _ = self.call(method, item[0], item[1], ok=accept)
            with lock:
                counts[status] = counts.get(status, 0) + 1
                done += 1
                now = time.monotonic()
                if now - last >= 10:
                    last = now
                    log(f"  {what}: {done}/{len(items)} ({done / (now - started):.0f}/s)")

        with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
            for fut in concurrent.futures.as_completed([pool.submit(one, i) for i in items]):
                fut.result()
        elapsed = time.monotonic() - started
        log(f"  {what}: {len(items)} in {elapsed:.1f}s "
            f"({len(items) / max(elapsed, 1e-9):.0f}/s) {counts}")
        return counts


# ---------------------------------------------------------------------------------------------
# The workload: realistic pods, deterministic from their index
# ---------------------------------------------------------------------------------------------

def namespaces(count: int) -> list[str]:
    return [f"bench-{i:02d}" for i in range(count)]


@dataclass(frozen=True)
class PodPlan:
    index: int
    namespace: str
    name: str
    app: str
    scenario: str | None
    sidecar: bool


def plan_pod(index: int, ns_names: Sequence[str]) -> PodPlan:
    """Pod ``index``: namespace, Deployment-like name, scenario. ~6.25% fail (1 in 16),
    spread evenly over every failure scenario; 2% are completed Job-like pods."""
    rng = random.Random(index * 7919 + 17)
    app = APPS[(index // len(ns_names)) % len(APPS)]
    template_hash = hashlib.sha256(f"{app}-{index % len(ns_names)}".encode()).hexdigest()[:10]
    suffix = "".join(rng.choice("bcdfghjklmnpqrstvwxz2456789") for _ in range(5))
    scenario: str | None = None
    if index % 16 == 7:
        scenario = FAILING[(index // 16) % len(FAILING)]
    elif index % 50 == 13:
        scenario = "complete"
    return PodPlan(index=index, namespace=ns_names[index % len(ns_names)],
                   name=f"{app}-{template_hash}-{suffix}", app=app, scenario=scenario,
                   sidecar=scenario is None and index % 3 == 0)


def pod_manifest(p: PodPlan) -> JSON:
    labels = {"app": p.app, "app.kubernetes.io/name": p.app,
              "app.kubernetes.io/part-of": "bench", "tier": TIERS[p.index % len(TIERS)],
              "pod-template-hash": p.name.split("-")[-2]}
    annotations = {"prometheus.io/scrape": "true", "prometheus.io/port": "9090",
                   "kubectl.kubernetes.io/default-container": "app"}
    if p.scenario is not None and p.scenario != "complete":
        # the kwok stages' fixed event texts assume these names (container app, init, ...)
        m: JSON = cpm.scenario_pod_manifest(p.name, p.scenario, namespace=p.namespace,
                                            labels=labels)
        m["metadata"]["annotations"] = annotations
        return m
    image = f"registry.example/{p.app}:1.{p.index % 9}.{p.index % 4}"
    app: JSON = {
        "name": "app", "image": image, "imagePullPolicy": "IfNotPresent",
        "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"},
                  {"name": "metrics", "containerPort": 9090, "protocol": "TCP"}],
        "env": [{"name": "LOG_LEVEL", "value": "info"},
                {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                {"name": "POD_NAMESPACE",
                 "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}}],
        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"},
                      "limits": {"memory": "256Mi"}},
        "readinessProbe": {"httpGet": {"path": "/ready", "port": "http"}, "periodSeconds": 10},
        "livenessProbe": {"httpGet": {"path": "/healthz", "port": "http"},
                          "periodSeconds": 20, "failureThreshold": 3},
    }
    containers = [app]
    if p.sidecar:
        containers.append({
            "name": "proxy", "image": "registry.example/mesh-proxy:1.22.3",
            "args": ["proxy", "sidecar", "--log-level=warning"],
            "ports": [{"name": "proxy-admin", "containerPort": 15000, "protocol": "TCP"}],
            "resources": {"requests": {"cpu": "10m", "memory": "40Mi"},
                          "limits": {"memory": "128Mi"}}})
    spec: JSON = {"containers": containers, "terminationGracePeriodSeconds": 30,
                  "securityContext": {"runAsNonRoot": True, "runAsUser": 10001},
                  "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "bench",
                                   "effect": "NoSchedule"}]}
    meta: JSON = {"name": p.name, "namespace": p.namespace, "labels": labels,
                  "annotations": annotations}
    if p.scenario == "complete":
        meta["labels"][cpm.SCENARIO_LABEL] = "complete"
        spec["restartPolicy"] = "Never"
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}


#: Kubelet Normal lifecycle events per container, by scenario (what a kubelet would have written
#: before the failure the kwok stage simulates).
LIFECYCLE: dict[str | None, tuple[str, ...]] = {
    None: ("Pulled", "Created", "Started"),
    "complete": ("Pulled", "Created", "Started"),
    "image-not-found": ("Pulling",),
    "image-unauthorized": ("Pulling",),
    "config-error": ("Pulled",),
    "mount-failed": (),
    "sandbox-failed": (),
}


def lifecycle_events(pod: JSON, scenario: str | None) -> list[list[tuple[str, str, str]]]:
    """Per container (in spec order): [(reason, fieldPath, message)]."""
    stages = LIFECYCLE.get(scenario, ("Pulled", "Created", "Started"))
    out = []
    spec = pod.get("spec") or {}
    for kind, key in (("initContainers", "initContainers"), ("containers", "containers")):
        for c in spec.get(key) or []:
            name, image = str(c.get("name")), str(c.get("image"))
            fp = f"spec.{kind}{{{name}}}"
            msgs = {
                "Pulling": f'Pulling image "{image}"',
                "Pulled": f'Container image "{image}" already present on machine',
                "Created": f"Created container: {name}",
                "Started": f"Started container {name}",
            }
            out.append([(r, fp, msgs[r]) for r in stages])
    return out


def event_manifest(pod: JSON, reason: str, field_path: str, message: str) -> JSON:
    meta = pod["metadata"]
    name, ns, uid = meta["name"], meta["namespace"], meta["uid"]
    node = (pod.get("spec") or {}).get("nodeName") or ""
    ts = (pod.get("status") or {}).get("startTime") or meta.get("creationTimestamp")
    digest = hashlib.sha256(f"{uid}/{field_path}/{reason}".encode()).hexdigest()[:16]
    return {
        "apiVersion": "v1", "kind": "Event",
        "metadata": {"name": f"{name}.{digest}", "namespace": ns},
        "involvedObject": {"apiVersion": "v1", "kind": "Pod", "name": name, "namespace": ns,
                           "uid": uid, "resourceVersion": meta.get("resourceVersion", ""),
                           "fieldPath": field_path},
        "reason": reason, "message": message, "type": "Normal",
        "source": {"component": "kubelet", "host": node},
        "firstTimestamp": ts, "lastTimestamp": ts, "count": 1,
        "reportingComponent": "kubelet", "reportingInstance": node,
    }


def pod_settled(pod: JSON) -> bool:
    """kwok has applied every stage the pod's scenario goes through."""
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    if not spec.get("nodeName") or not status.get("startTime"):
        return False
    scenario = ((pod.get("metadata") or {}).get("labels") or {}).get(cpm.SCENARIO_LABEL)
    cs = (status.get("containerStatuses") or [{}])[0]
    waiting = ((cs.get("state") or {}).get("waiting") or {}).get("reason")
    if scenario in ("image-not-found", "image-unauthorized"):
        return bool(waiting == "ImagePullBackOff")
    if scenario == "start-error":
        return bool(waiting == "CrashLoopBackOff")
    if scenario == "liveness-fail":
        return int(cs.get("restartCount") or 0) >= 3
    if scenario in ("complete", "evicted", "terminated-error"):
        return status.get("phase") in ("Succeeded", "Failed")
    return True


# ---------------------------------------------------------------------------------------------
# Building the cluster
# ---------------------------------------------------------------------------------------------

@dataclass
class Cluster:
    cp: cpm.ControlPlane
    api: Api
    ns_names: list[str]
    workers: int
    pods_per_node: int
    events_per_pod: float
    pods: int = 0
    setup: dict[str, Any] = field(default_factory=dict)

    def ensure_namespaces(self) -> None:
        t = time.monotonic()
        for ns in self.ns_names:
            self.api.call("POST", "/api/v1/namespaces", {
                "apiVersion": "v1", "kind": "Namespace",
                "metadata": {"name": ns, "labels": {"team": ns}}}, ok=(409,))
        deadline = time.monotonic() + 120
        for ns in self.ns_names:  # pods are rejected until the SA controller made "default"
            while True:
                status, _ = self.api.call(
                    "GET", f"/api/v1/namespaces/{ns}/serviceaccounts/default", ok=(404,))
                if status == 200:
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"no default ServiceAccount in {ns}")
                time.sleep(0.2)
        self.setup["namespaces_s"] = round(time.monotonic() - t, 2)

    def ensure_nodes(self, pods: int) -> None:
        want = max(3, math.ceil(pods / (self.pods_per_node * 0.8)))
        have = [n for n in self.cp.nodes if n.startswith("bench-node-")]
        if len(have) >= want:
            return
        t = time.monotonic()
        names = [self.cp.create_node(f"bench-node-{i}", index=i, cpu="64", memory="256Gi",
                                     pods=str(self.pods_per_node))
                 for i in range(len(have), want)]
        self.cp.wait_nodes_ready(names, timeout=180)
        log(f"nodes: {want} Ready (+{len(names)} in {time.monotonic() - t:.1f}s, "
            f"{self.pods_per_node} pods each)")

    def grow(self, target: int) -> dict[str, float]:
        """Create pods ``self.pods..target``, wait for kwok, top up the events."""
        timings: dict[str, float] = {}
        t0 = time.monotonic()
        self.ensure_nodes(target)
        timings["nodes_s"] = time.monotonic() - t0
        plans = [plan_pod(i, self.ns_names) for i in range(self.pods, target)]
        by_key = {(p.namespace, p.name): p for p in plans}
        if len(by_key) != len(plans):
            raise RuntimeError("pod name collision in the plan")
        log(f"pods: creating {len(plans)} ({self.pods} -> {target}), "
            f"{sum(1 for p in plans if p.scenario in FAILING)} failing")
        t = time.monotonic()
        self.api.parallel("POST", [(f"/api/v1/namespaces/{p.namespace}/pods", pod_manifest(p))
                                   for p in plans], "create pods", self.workers)
        timings["create_pods_s"] = time.monotonic() - t
        t = time.monotonic()
        pods = self.wait_settled(target, timeout=max(300.0, target * 0.2))
        timings["wait_kwok_s"] = time.monotonic() - t
        self.pods = target
        t = time.monotonic()
        self.top_up_events(pods, by_key, math.ceil(self.events_per_pod * target))
        timings["events_s"] = time.monotonic() - t
        timings["total_s"] = time.monotonic() - t0
        return {k: round(v, 2) for k, v in timings.items()}

    def wait_settled(self, target: int, timeout: float) -> list[JSON]:
        deadline = time.monotonic() + timeout
        last_log = 0.0
        while True:
            pods = [p for p in self.api.list_all("/api/v1/pods")
                    if (p["metadata"]["namespace"]) in self.ns_names]
            unsettled = [p for p in pods if not pod_settled(p)]
            raw_events = self.api.count("/api/v1/events",
                                        {"fieldSelector": "source=kwok_controller"})
            if len(pods) >= target and not unsettled and raw_events == 0:
                log(f"pods: all {len(pods)} settled")
                return pods
            now = time.monotonic()
            if now > deadline:
                sample = ", ".join(f"{p['metadata']['namespace']}/{p['metadata']['name']}"
                                   for p in unsettled[:5])
                raise RuntimeError(f"timed out waiting for kwok: {len(pods)}/{target} pods, "
                                   f"{len(unsettled)} unsettled ({sample}), "
                                   f"{raw_events} events not rewritten yet")
            if now - last_log > 10:
                last_log = now
                log(f"  waiting for kwok: {len(pods)}/{target} pods, {len(unsettled)} not "
                    f"settled, {raw_events} raw events")
            time.sleep(3 if unsettled else 1)

    def top_up_events(self, pods: list[JSON], new: dict[tuple[str, str], PodPlan],
                      target: int) -> None:
        """POST kubelet lifecycle events for the new pods, round-robin by (container, stage)
        so that they spread evenly, until the cluster holds ``target`` events."""
        have = self.event_count()
        missing = target - have
        if missing <= 0:
            log(f"events: {have} >= {target}, none to add")
            return
        # round r = container index c, stage s: every new pod gets (c0,s0) first, then (c0,s1)...
        rounds: dict[tuple[int, int], list[JSON]] = {}
        for pod in pods:
            meta = pod["metadata"]
            plan = new.get((meta["namespace"], meta["name"]))
            if plan is None:
                continue
            for c, stages in enumerate(lifecycle_events(pod, plan.scenario)):
                for s, (reason, fp, msg) in enumerate(stages):
                    rounds.setdefault((c, s), []).append(
                        event_manifest(pod, reason, fp, msg))
        todo: list[JSON] = []
        for key in sorted(rounds):
            todo += rounds[key]
        if len(todo) < missing:
            log(f"events: only {len(todo)} lifecycle events for the new pods; "
                f"short of {target} by {missing - len(todo)}")
        todo = todo[:missing]
        self.api.parallel("POST", [(f"/api/v1/namespaces/{e['metadata']['namespace']}/events", e)
                                   for e in todo], "create events", self.workers)
        log(f"events: {self.event_count()} in the cluster (target {target})")

    def event_count(self) -> int:
        return self.api.count("/api/v1/events")

    def pod_event_count(self) -> int:
        return self.api.count("/api/v1/events", {"fieldSelector": "involvedObject.kind=Pod"})


# ---------------------------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Sample:
    wall_s: float
    rss_mb: float
    rc: int
    out_bytes: int


GNU_TIME = shutil.which("time", path="/usr/bin:/bin")


def run_once(argv: Sequence[str], env: dict[str, str], out: Path) -> Sample:
    """Run a command with stdout to a file; its wall time and peak RSS.

    The peak RSS comes from GNU time (``%M``, wait4's ru_maxrss) when it is installed: the
    command must not be started straight from this (large) Python process, because Linux
    counts the RSS of the address space a (v)forked child execs away from into its
    ru_maxrss, which would report this process's size instead of the command's.
    """
    rss_file = out.with_suffix(".rss")
    cmd = list(argv)
    if GNU_TIME:
        cmd = [GNU_TIME, "-f", "%M", "-o", str(rss_file), *cmd]
    with open(out, "wb") as fout, open(out.with_suffix(".err"), "wb") as ferr:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=fout, stderr=ferr, stdin=subprocess.DEVNULL, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    rss_kb = float(usage.ru_maxrss)
    if GNU_TIME:
        lines = rss_file.read_text().split()
        rss_kb = float(lines[-1]) if lines and lines[-1].isdigit() else float("nan")
    return Sample(wall_s=wall, rss_mb=rss_kb / 1024.0, rc=proc.returncode,
                  out_bytes=out.stat().st_size)


@dataclass
class Series:
    name: str
    argv: list[str]
    ok_rcs: tuple[int, ...]
    samples: list[Sample] = field(default_factory=list)
    load: list[float] = field(default_factory=list)

    @property
    def median_s(self) -> float:
        return statistics.median(s.wall_s for s in self.samples)

    @property
    def median_rss_mb(self) -> float:
        return statistics.median(s.rss_mb for s in self.samples)

    def summary(self) -> JSON:
        return {"median_s": round(self.median_s, 4),
                "samples_s": [round(s.wall_s, 4) for s in self.samples],
                "min_s": round(min(s.wall_s for s in self.samples), 4),
                "peak_rss_mb": round(self.median_rss_mb, 1),
                "rss_samples_mb": [round(s.rss_mb, 1) for s in self.samples],
                "output_bytes": self.samples[-1].out_bytes,
                "loadavg_1m": [round(x, 2) for x in self.load],
                "command": " ".join(self.argv)}


class Runner:
    def __init__(self, kubeconfig: Path, work: Path, runs: int) -> None:
        self.env = dict(os.environ, KUBECONFIG=str(kubeconfig), NO_COLOR="1")
        self.env["PATH"] = f"{VENV_BIN}{os.pathsep}{self.env.get('PATH', '')}"
        # podwhy runs as from a pip install, with its byte code cached (compile_product): a
        # PYTHONDONTWRITEBYTECODE inherited from a CI or sandbox shell would make an editable
        # install compile every module on every run (measured: half of --version's time)
        self.env.pop("PYTHONDONTWRITEBYTECODE", None)
        self.work = work
        self.runs = runs

    def compare(self, *series: Series,
                check: Callable[[Series, Path], None] | None = None) -> None:
        """Warm-up once each, then ``runs`` rounds, alternating which command goes first."""
        for s in series:
            out = self.work / f"{s.name}.warmup.out"
            w = run_once(s.argv, self.env, out)
            if w.rc not in s.ok_rcs:
                err = out.with_suffix(".err").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"{' '.join(s.argv)} exited {w.rc}: {err}")
            if check is not None:
                check(s, out)
        for i in range(self.runs):
            order = series if i % 2 == 0 else tuple(reversed(series))
            for s in order:
                s.load.append(os.getloadavg()[0])
                smp = run_once(s.argv, self.env, self.work / f"{s.name}.out")
                if smp.rc not in s.ok_rcs:
                    raise RuntimeError(f"{' '.join(s.argv)} exited {smp.rc}")
                s.samples.append(smp)
        for s in series:
            log(f"  {s.name:<22} median {s.median_s:7.3f}s  peak RSS {s.median_rss_mb:6.1f} MB"
                f"  runs {[round(x.wall_s, 2) for x in s.samples]}")


def raw_fetch(runner: Runner, kubectl: str, podwhy: list[str]) -> JSON:
    """The physical limit: the LISTs of ``podwhy -A``, same pages, fetched and dropped
    (benchmarks/rawfetch.py), by ``kubectl get --raw`` per page and over one keep-alive
    HTTPS connection, against ``podwhy -A -o json`` in the same rounds."""
    from kubectl_podwhy.snapshot import PULL_EVENT_REASONS, UNREAD_EVENT_REASONS
    from kubectl_podwhy.sources.cluster import PAGE_SIZE

    base = [sys.executable, str(BENCH_DIR / "rawfetch.py"), "--page-size", str(PAGE_SIZE),
            "--unread-reasons", ",".join(sorted((*UNREAD_EVENT_REASONS, *PULL_EVENT_REASONS)))]
    pw = Series("podwhy-A-json-vs-raw", [*podwhy, "-A", "-o", "json"], (0, 1, 5))
    rk = Series("raw-kubectl-get-raw", [*base, "--via", "kubectl", "--kubectl", kubectl], (0,))
    rh = Series("raw-one-connection", [*base, "--via", "http"], (0,))
    log("raw fetch: the same LISTs and pages, fetched and dropped")
    runner.compare(pw, rk, rh)
    fetched = json.loads((runner.work / f"{rh.name}.out").read_text())
    return {"podwhy_s": round(pw.median_s, 4),
            "kubectl_get_raw_s": round(rk.median_s, 4),
            "one_connection_s": round(rh.median_s, 4),
            "pages": fetched["pages"], "bytes": fetched["bytes"],
            "podwhy_over_one_connection_s": round(pw.median_s - rh.median_s, 4),
            "ratio_vs_kubectl_get_raw": round(pw.median_s / rk.median_s, 3),
            "ratio_vs_one_connection": round(pw.median_s / rh.median_s, 3),
            "podwhy": pw.summary(), "kubectl_get_raw": rk.summary(),
            "one_connection": rh.summary()}


def big_input(runner: Runner, kubectl: str, podwhy: list[str], work: Path, pods: int,
              targets: int) -> JSON:
    """Big honest offline input (benchmarks/bigfiles.py): the cluster's pods and events as
    kubectl writes them, copied up to ``pods``; podwhy on the YAML against the same objects
    in JSON, ``-o yaml`` against ``-o json``, and ``targets`` named pods against none."""
    sys.path.insert(0, str(BENCH_DIR))
    import bigfiles

    capture = work / "capture.json"
    with capture.open("wb") as f:
        subprocess.run([kubectl, "get", "pods,events", "-A", "-o", "json"], stdout=f,
                       env=runner.env, check=True)
    log(f"big input: growing the capture to {pods} pods")
    made = bigfiles.write(json.loads(capture.read_text(encoding="utf-8")), pods, targets,
                          work / "big")
    capture.unlink()
    big = work / "big"
    slow = Runner(Path(runner.env["KUBECONFIG"]), work, min(runner.runs, 3))
    slow.env = dict(runner.env, KUBECONFIG=os.devnull)  # offline: never the cluster
    ok = (0, 1, 5)
    pj = Series("podwhy-big-json", [*podwhy, "-f", str(big / "big.json"), "-A", "-o", "json"],
                ok)
    py = Series("podwhy-big-yaml", [*podwhy, "-f", str(big / "big.yaml"), "-A", "-o", "json"],
                ok)
    slow.compare(pj, py)
    same = (work / f"{pj.name}.out").read_bytes() == (work / f"{py.name}.out").read_bytes()
    oj = Series("podwhy-big-o-json", [*podwhy, "-f", str(big / "big.json"), "-A",
                                      "--show-healthy", "-o", "json"], ok)
    oy = Series("podwhy-big-o-yaml", [*podwhy, "-f", str(big / "big.json"), "-A",
                                      "--show-healthy", "-o", "yaml"], ok)
    slow.compare(oj, oy)
    names = (big / "targets.txt").read_text().split()
    one = [*podwhy, "-f", str(big / "targets.json"), "-n", bigfiles.TARGETS_NAMESPACE]
    tn = Series("podwhy-named-targets", [*one, *names], ok)
    tu = Series("podwhy-unnamed", one, ok)
    slow.compare(tn, tu)
    shutil.rmtree(big, ignore_errors=True)
    return {**made, "runs": slow.runs,
            "json_s": round(pj.median_s, 4), "yaml_s": round(py.median_s, 4),
            "ratio_yaml_vs_json": round(py.median_s / pj.median_s, 3),
            "target_ratio_yaml_vs_json": TARGET_RATIO_YAML,
            "json_peak_rss_mb": round(pj.median_rss_mb, 1),
            "yaml_peak_rss_mb": round(py.median_rss_mb, 1),
            "target_peak_rss_mb": TARGET_BIG_RSS_MB,
            "same_output_from_yaml_and_json": same,
            "output_json_s": round(oj.median_s, 4), "output_yaml_s": round(oy.median_s, 4),
            "ratio_output_yaml_vs_json": round(oy.median_s / oj.median_s, 3),
            "named_targets_s": round(tn.median_s, 4), "unnamed_s": round(tu.median_s, 4),
            "ratio_named_vs_unnamed": round(tn.median_s / tu.median_s, 3),
            "series": {s.name: s.summary() for s in (pj, py, oj, oy, tu)}
            | {tn.name: {**tn.summary(), "command": f"{' '.join(one)} <{len(names)} names>"}}}


def podwhy_cmd() -> list[str]:
    exe = VENV_BIN / "kubectl-podwhy"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "kubectl_podwhy"]


def compile_product() -> JSON:
    """Byte-compile the package the venv runs (an editable install runs it from the source
    tree, where nothing compiled it), as pip does at install time."""
    import kubectl_podwhy

    where = Path(kubectl_podwhy.__file__).parent
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    r = subprocess.run([sys.executable, "-m", "compileall", "-q", str(where)], env=env,
                       capture_output=True, text=True, timeout=300, check=False)
    return {"package": str(where), "compiled": r.returncode == 0,
            **({"error": r.stdout[-500:] + r.stderr[-500:]} if r.returncode else {})}


def packaged_cmd(binary: Path, env: dict[str, str]) -> tuple[list[str] | None, JSON]:
    """The packaged binary's command, and what is known of it (its path, size, build time
    and --version); None and the reason when it cannot be measured."""
    info: JSON = {"binary": str(binary)}
    if not binary.is_file():
        return None, {**info, "reason": f"{binary} does not exist (make dist builds it; "
                                        "--binary PATH names another)"}
    if not os.access(binary, os.X_OK):
        return None, {**info, "reason": f"{binary} is not executable"}
    try:
        r = subprocess.run([str(binary), "--version"], capture_output=True, text=True,
                           env=env, timeout=60, check=False)
    except (OSError, subprocess.SubprocessError) as e:
        return None, {**info, "reason": f"{binary} --version failed: {e}"}
    if r.returncode != 0:
        return None, {**info, "reason": f"{binary} --version exited {r.returncode}: "
                                        f"{(r.stderr or r.stdout).strip()[-300:]}"}
    st = binary.stat()
    tree = binary.parent
    return [str(binary)], {
        **info, "version": r.stdout.strip(),
        "built": datetime.fromtimestamp(st.st_mtime, timezone.utc).strftime(
            "%Y-%m-%dT%H:%M:%SZ"),
        "folder_mb": round(sum(p.stat().st_size for p in tree.rglob("*") if p.is_file())
                           / 2**20, 1)}


def installs(results: JSON, podwhy: list[str], packaged_info: JSON) -> JSON:
    """Both installs side by side: one pod against kubectl describe pod in the same rounds
    (the failing pod), and --version start-up. ``packaged`` is None, with ``reason``, when
    the binary could not be measured."""
    single, boot = results["single_pod"], results["start_up"]
    out: JSON = {
        "target_ratio": TARGET_RATIO_SINGLE,
        "kubectl_describe_s": single["kubectl_describe_s"],
        "python_s": boot["python_s"],
        "pip": {"command": " ".join(podwhy), "single_pod_s": single["podwhy_s"],
                "ratio_vs_kubectl_describe": single["ratio_vs_kubectl_describe"],
                "version_s": boot["pip"]["version_s"]},
        "packaged": None}
    if single.get("packaged") is None or boot.get("packaged") is None:
        out["reason"] = packaged_info.get("reason", "not measured")
        return out
    out["packaged"] = {**packaged_info, "single_pod_s": single["packaged"]["podwhy_s"],
                       "ratio_vs_kubectl_describe":
                           single["packaged"]["ratio_vs_kubectl_describe"],
                       "version_s": boot["packaged"]["version_s"]}
    return out


def start_up(runner: Runner, podwhy: list[str], packaged: list[str] | None) -> JSON:
    """``--version`` of each install (interpreter start-up and the CLI's imports; no
    cluster), and the venv's bare interpreter (``python -c pass``) for scale."""
    series = [Series("python-c-pass", [str(VENV_BIN / "python"), "-c", "pass"], (0,)),
              Series("podwhy-version", [*podwhy, "--version"], (0,))]
    if packaged is not None:
        series.append(Series("packaged-version", [*packaged, "--version"], (0,)))
    log("start-up: --version of each install")
    runner.compare(*series)
    out: JSON = {"python_s": round(series[0].median_s, 4),
                 "pip": {"version_s": round(series[1].median_s, 4),
                         "samples_s": series[1].summary()["samples_s"],
                         "command": series[1].summary()["command"]},
                 "packaged": None}
    if packaged is not None:
        out["packaged"] = {"version_s": round(series[2].median_s, 4),
                           "samples_s": series[2].summary()["samples_s"],
                           "command": series[2].summary()["command"]}
    return out


def direct_kubectl(kubectl: str) -> str | None:
    """The gcloud kubectl dispatcher execs kubectl.1.NN from its own directory: that binary,
    when there is one, so that the dispatcher's own cost can be reported separately."""
    path = shutil.which(kubectl)
    if path is None:
        return None
    try:
        info = json.loads(subprocess.run([path, "version", "--client", "-o", "json"],
                                         capture_output=True, text=True, timeout=30,
                                         check=False).stdout)
        minor = str(info["clientVersion"]["minor"]).rstrip("+")
    except (ValueError, KeyError, OSError, subprocess.SubprocessError):
        return None
    cand = Path(path).resolve().parent / f"kubectl.1.{minor}"
    return str(cand) if cand.is_file() and os.access(cand, os.X_OK) else None


def count_check(expect_pods: int) -> Callable[[Series, Path], None]:
    def check(s: Series, out: Path) -> None:
        doc = json.loads(out.read_bytes())
        n = len(doc.get("items") or [])
        if n != expect_pods:
            raise RuntimeError(f"{s.name}: {n} items in the output, expected {expect_pods}")
    return check


def linear_fit(xs: Sequence[float], ys: Sequence[float]) -> JSON:
    n = len(xs)
    if n < 2:
        return {}
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    slope = sxy / sxx if sxx else 0.0
    icpt = my - slope * mx
    ss_tot = sum((y - my) ** 2 for y in ys)
    ss_res = sum((y - (icpt + slope * x)) ** 2 for x, y in zip(xs, ys, strict=True))
    marginal = [round((ys[i + 1] - ys[i]) / (xs[i + 1] - xs[i]) * 1000, 4)
                for i in range(n - 1)]
    return {"model": "podwhy_s = intercept_s + slope_s_per_1000_pods * pods / 1000",
            "intercept_s": round(icpt, 4), "slope_s_per_1000_pods": round(slope * 1000, 4),
            "r2": round(1 - ss_res / ss_tot, 5) if ss_tot else 1.0,
            "marginal_s_per_1000_pods": marginal,
            "marginal_ratio_last_vs_first": round(marginal[-1] / marginal[0], 3)
            if len(marginal) > 1 and marginal[0] else None}


# ---------------------------------------------------------------------------------------------
# Profiling (optional, --profile DIR)
# ---------------------------------------------------------------------------------------------

def run_stages(runner: Runner, args: Sequence[str], runs: int = 3) -> JSON:
    """benchmarks/stages.py ``runs`` times; the run with the median total."""
    out = []
    for _ in range(runs):
        r = subprocess.run([str(VENV_BIN / "python"), str(BENCH_DIR / "stages.py"), *args],
                           env=runner.env, capture_output=True, text=True, timeout=900,
                           check=False)
        if r.returncode != 0:
            raise RuntimeError(r.stderr[-2000:])
        out.append(json.loads(r.stdout))
    res: JSON = sorted(out, key=lambda x: float(x["total_s"]))[len(out) // 2]
    return res


def compact_stages(st: JSON) -> JSON:
    """{step: self seconds} plus GC and peak RSS, for the scaling table."""
    steps = {str(r["stage"]).split(" (")[0]: r["self_s"] for r in st.get("stages", [])}
    return {"total_s": st.get("total_s"), "self_s_by_step": steps,
            "gc_s": (st.get("gc_during_cli_main") or {}).get("total_s"),
            "peak_rss_mb": st.get("peak_rss_mb"), "response_bytes": st.get("response_bytes")}


def profile(runner: Runner, outdir: Path, pod: tuple[str, str]) -> JSON:
    """cProfile + per-stage timings (benchmarks/stages.py) of -A -o json and of one pod."""
    outdir.mkdir(parents=True, exist_ok=True)
    py = str(VENV_BIN / "python")
    result: JSON = {"dir": str(outdir)}
    ns, name = pod
    cases = {"all_namespaces": ["-A", "-o", "json"], "single_pod": [name, "-n", ns]}
    for case, args in cases.items():
        log(f"profile: {case}")
        try:
            result[case] = {"stages": run_stages(runner, args)}
        except RuntimeError as e:
            result[case] = {"error": str(e)}
        prof = outdir / f"{case}.prof"
        subprocess.run([py, "-m", "cProfile", "-o", str(prof), "-m", "kubectl_podwhy", *args],
                       env=runner.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=600, check=False)
        if prof.exists():
            text = subprocess.run(
                [py, "-c", "import pstats,sys; s=pstats.Stats(sys.argv[1]); "
                 "s.sort_stats('cumulative').print_stats(60); "
                 "s.sort_stats('tottime').print_stats(40)", str(prof)],
                capture_output=True, text=True, timeout=120, check=False).stdout
            (outdir / f"{case}.txt").write_text(text)
    imp = subprocess.run([py, "-X", "importtime", "-c",
                          "import kubectl_podwhy.cli; import kubectl_podwhy.sources.cluster; "
                          "from kubernetes import client; client.CoreV1Api"],
                         env=runner.env, capture_output=True, text=True, timeout=120,
                         check=False)
    (outdir / "importtime.txt").write_text(imp.stderr)
    startup = [run_once([py, "-c", "pass"], runner.env, outdir / "python.out").wall_s
               for _ in range(5)]
    result["python_startup_s"] = round(statistics.median(startup), 4)
    return result


# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------

def ready_nodes(api: Api) -> int:
    """Nodes whose Ready condition is True."""
    return sum(1 for n in api.list_all("/api/v1/nodes")
               if any(c.get("type") == "Ready" and c.get("status") == "True"
                      for c in (n.get("status") or {}).get("conditions") or []))


def other_control_planes(ours: cpm.ControlPlane) -> int:
    """kube-apiserver processes running besides ours (other sessions' test clusters): they
    compete for the same CPUs and make the timings noisier."""
    mine = int(ours.state.get("pids", {}).get("kube-apiserver") or 0)
    n = 0
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        with contextlib.suppress(OSError):
            argv0 = cmdline.read_bytes().split(b"\0", 1)[0]
            if argv0.endswith(b"/kube-apiserver") and int(cmdline.parent.name) != mine:
                n += 1
    return n


def product_state() -> JSON:
    """Which podwhy was measured: the commit, and the product files that differ from it."""
    def git(*a: str) -> str:
        try:
            return subprocess.run(["git", "-C", str(ROOT), *a], capture_output=True, text=True,
                                  timeout=30, check=False).stdout.rstrip()
        except (OSError, subprocess.SubprocessError):
            return ""
    paths = ("kubectl_podwhy", "setup.cfg", "pyproject.toml")
    dirty = [line[3:] for line in git("status", "--porcelain", "--", *paths).splitlines()]
    diff = git("diff", "HEAD", "--", *paths)
    return {"commit": git("rev-parse", "HEAD"), "subject": git("log", "-1", "--format=%s"),
            "product_tree": git("rev-parse", "HEAD:kubectl_podwhy"),
            "uncommitted_product_files": dirty,
            "uncommitted_diff_sha256": hashlib.sha256(diff.encode()).hexdigest()[:16]
            if diff else None}


def same_product(a: JSON, b: JSON) -> bool:
    keys = ("product_tree", "uncommitted_product_files", "uncommitted_diff_sha256")
    return all(a.get(k) == b.get(k) for k in keys)


def machine_info(kubectl: str) -> JSON:
    try:
        kver = json.loads(subprocess.run([kubectl, "version", "--client", "-o", "json"],
                                         capture_output=True, text=True, timeout=30,
                                         check=False).stdout)["clientVersion"]["gitVersion"]
    except (ValueError, KeyError, OSError, subprocess.SubprocessError):
        kver = "unknown"
    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_gb = 0.0
    with contextlib.suppress(OSError, ValueError, IndexError):
        mem_gb = int(Path("/proc/meminfo").read_text().split()[1]) / 1024 / 1024
    return {"cpus": os.cpu_count(), "cpu_model": cpu, "memory_gb": round(mem_gb, 1),
            "python": platform.python_version(), "platform": platform.platform(),
            "kubectl": kver, "kubectl_path": shutil.which(kubectl),
            "kubernetes_server": cpm.K8S_VERSION, "kwok": cpm.KWOK_VERSION}


def parse_sizes(text: str) -> list[int]:
    try:
        sizes = sorted({int(x) for x in text.split(",") if x.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of numbers: {text!r}") from None
    if not sizes or sizes[0] <= 0:
        raise argparse.ArgumentTypeError("sizes must be positive")
    return sizes


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pods", type=int, default=5000,
                    help="cluster size of the -A and single-pod comparisons (default 5000)")
    ap.add_argument("--scaling", type=parse_sizes, default=[1000, 5000, 10000],
                    help="sizes at which podwhy -A is timed, comma separated "
                         "(default 1000,5000,10000)")
    ap.add_argument("--runs", type=int, default=5, help="timed runs per command (median)")
    ap.add_argument("--namespaces", type=int, default=20)
    ap.add_argument("--events-per-pod", type=float, default=4.5,
                    help="events kept in the cluster per pod (default 4.5: 22,500 at 5,000)")
    ap.add_argument("--pods-per-node", type=int, default=250,
                    help="node pod capacity; nodes are added to stay below 80%% full")
    ap.add_argument("--workers", type=int, default=16, help="parallel POSTs")
    ap.add_argument("--kubectl", default="kubectl", help="kubectl to compare against")
    ap.add_argument("--big-pods", type=int, default=20000,
                    help="pods in the big offline input (0: skip the big-input rows)")
    ap.add_argument("--targets", type=int, default=8000,
                    help="named targets in the many-targets row")
    ap.add_argument("--dir", help="attach to the control plane whose state is in DIR "
                                  "(e.g. from `make cluster-up`) instead of starting one")
    ap.add_argument("--keep", action="store_true",
                    help="leave the cluster running at the end and print its kubeconfig")
    ap.add_argument("--quick", action="store_true",
                    help="smoke run: --pods 300 --scaling 100,300,600 --runs 3")
    ap.add_argument("--profile", metavar="DIR", nargs="?", const=str(BENCH_DIR / "profile"),
                    help="also profile podwhy at --pods (cProfile + stage timings) into DIR "
                         "(default benchmarks/profile)")
    ap.add_argument("--gate-only", action="store_true",
                    help="only the rollout-gate section (podwhy --wait against kubectl rollout "
                         "status), on a fresh 3-node cluster or --dir's: no pods are built "
                         "(~3 minutes)")
    ap.add_argument("--no-gate", action="store_true", help="skip the rollout-gate section")
    ap.add_argument("--binary", default=str(DEFAULT_BINARY),
                    help="the packaged (PyInstaller one-folder) kubectl-podwhy measured beside "
                         "the pip install (default dist/kubectl-podwhy_linux_amd64/"
                         "kubectl-podwhy, from make dist; not there: reported as not measured)")
    ap.add_argument("--out", help="results file (default benchmarks/results.json; "
                                  "benchmarks/results-quick.json with --quick, "
                                  "benchmarks/results-gate.json with --gate-only)")
    args = ap.parse_args(argv)
    if args.gate_only and args.no_gate:
        ap.error("--gate-only and --no-gate exclude each other")
    if args.quick:
        args.pods, args.scaling, args.runs = 300, [100, 300, 600], 3
        args.big_pods, args.targets = min(args.big_pods, 1200), min(args.targets, 500)
    if args.out is None:
        args.out = str(GATE_OUT if args.gate_only else QUICK_OUT if args.quick else DEFAULT_OUT)
    sizes = [] if args.gate_only else sorted(set(args.scaling) | {args.pods})
    if shutil.which(args.kubectl) is None:
        print(f"bench: {args.kubectl} not found on PATH", file=sys.stderr)
        return 2

    def on_term(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_term)
    started = time.monotonic()
    own_dir: Path | None = None
    cp: cpm.ControlPlane | None = None
    keep = args.keep
    work = Path(tempfile.mkdtemp(prefix="podwhy-bench-out-"))
    try:
        t = time.monotonic()
        if args.dir:
            cp = cpm.ControlPlane.attach(args.dir)
            if "kube-apiserver" not in cp.running_components():
                raise SystemExit(f"bench: no control plane running in {args.dir}")
            keep = True  # not ours to stop
        else:
            cpm.build()
            own_dir = Path(tempfile.mkdtemp(prefix="podwhy-bench-"))
            log(f"starting a local control plane in {own_dir}")
            cp = cpm.ControlPlane.start(own_dir, nodes=3 if args.gate_only else 0,
                                        die_with_parent=not keep)
        control_plane_s = round(time.monotonic() - t, 2)
        api = Api(cp)
        cluster = Cluster(cp=cp, api=api, ns_names=namespaces(args.namespaces),
                          workers=args.workers, pods_per_node=args.pods_per_node,
                          events_per_pod=args.events_per_pod)
        if sizes:
            cluster.ensure_namespaces()
            existing = sum(len(api.list_all(f"/api/v1/namespaces/{ns}/pods"))
                           for ns in cluster.ns_names)
            if existing > sizes[0]:
                raise SystemExit(f"bench: {existing} bench pods exist already, more than the "
                                 f"first size {sizes[0]}")
            cluster.pods = existing
        elif not ready_nodes(api):  # --gate-only on an attached cluster without nodes
            cluster.ensure_nodes(0)
        runner = Runner(cp.kubeconfig, work, args.runs)
        kubectl = shutil.which(args.kubectl) or args.kubectl
        direct = direct_kubectl(args.kubectl)
        podwhy = podwhy_cmd()
        byte_code = compile_product()
        packaged, packaged_info = packaged_cmd(Path(args.binary), runner.env)
        if packaged is None and sizes:
            log(f"packaged install not measured: {packaged_info['reason']}")
        product = product_state()
        log(f"measuring podwhy at {product['commit'][:12]}"
            + (f" with uncommitted changes in {', '.join(product['uncommitted_product_files'])}"
               if product["uncommitted_product_files"] else ""))
        results: JSON = {}
        scaling: list[JSON] = []
        setup: JSON = {"control_plane_s": control_plane_s, "grow": []}
        for size in sizes:
            log(f"=== size {size} ===")
            grow = cluster.grow(size)
            events = cluster.event_count()
            pod_events = cluster.pod_event_count()
            setup["grow"].append({"pods": size, "events": events, **grow})
            others = other_control_planes(cp)
            log(f"cluster: {size} pods, {events} events ({pod_events} about pods); "
                f"grown in {grow['total_s']:.0f}s; load {os.getloadavg()[0]:.2f}"
                + (f"; {others} other control plane(s) running on this machine" if others
                   else ""))
            pw_all = Series("podwhy-A-json", [*podwhy, "-A", "-o", "json"], (0, 1))
            kc_get = Series("kubectl-get-A-json", [kubectl, "get", "pods", "-A", "-o", "json"],
                            (0,))
            runner.compare(pw_all, kc_get, check=count_check(size))
            entry: JSON = {"pods": size, "podwhy_s": round(pw_all.median_s, 4),
                           "events": events, "kubectl_get_s": round(kc_get.median_s, 4),
                           "ratio_vs_kubectl_get": round(pw_all.median_s / kc_get.median_s, 3),
                           "peak_rss_mb": round(pw_all.median_rss_mb, 1),
                           "kubectl_get_peak_rss_mb": round(kc_get.median_rss_mb, 1),
                           "podwhy_samples_s": [round(s.wall_s, 4) for s in pw_all.samples],
                           "other_control_planes_running": others}
            if args.profile:
                log("profile: stages of -A -o json at this size")
                try:
                    entry["stages"] = compact_stages(run_stages(runner, ["-A", "-o", "json"]))
                except RuntimeError as e:
                    entry["stages"] = {"error": str(e)}
            if size in args.scaling:
                scaling.append(entry)
            if size != args.pods:
                continue
            results["pods"] = size
            results["events"] = events
            results["pod_events"] = pod_events
            extra_all: JSON = {}
            if direct:
                kd = Series("kubectl-direct-get", [direct, "get", "pods", "-A", "-o", "json"],
                            (0,))
                runner.compare(kd)
                extra_all["kubectl_get_direct_binary"] = kd.summary()
                extra_all["ratio_vs_kubectl_get_direct_binary"] = round(
                    pw_all.median_s / kd.median_s, 3)
            results["all_namespaces"] = {
                "podwhy_s": round(pw_all.median_s, 4),
                "kubectl_get_s": round(kc_get.median_s, 4),
                "ratio_vs_kubectl_get": round(pw_all.median_s / kc_get.median_s, 3),
                "peak_rss_mb": round(pw_all.median_rss_mb, 1),
                "kubectl_get_peak_rss_mb": round(kc_get.median_rss_mb, 1),
                "target_ratio": TARGET_RATIO_ALL, "target_peak_rss_mb": TARGET_RSS_MB,
                "podwhy": pw_all.summary(), "kubectl_get": kc_get.summary(), **extra_all,
            }
            # single pod: a failing pod (crash loop, OOM) and, as an extra, a healthy one
            pods = api.list_all("/api/v1/pods",
                                {"labelSelector": f"{cpm.SCENARIO_LABEL}=crashloop-oom"})
            target_pod = (pods[0]["metadata"]["namespace"], pods[0]["metadata"]["name"])
            healthy = plan_pod(0, cluster.ns_names)
            single: JSON = {}
            for label, (ns, name) in (("failing", target_pod),
                                      ("healthy", (healthy.namespace, healthy.name))):
                pw1 = Series(f"podwhy-{label}-pod", [*podwhy, name, "-n", ns], (0, 1))
                kd1 = Series(f"kubectl-describe-{label}", [kubectl, "describe", "pod", name,
                                                           "-n", ns], (0,))
                # the packaged binary in the same rounds: both installs against the same
                # kubectl describe
                pk1 = Series(f"packaged-{label}-pod", [*packaged, name, "-n", ns], (0, 1)) \
                    if packaged is not None else None
                runner.compare(pw1, *([pk1] if pk1 is not None else []), kd1)
                single[label] = {
                    "pod": f"{ns}/{name}", "podwhy_s": round(pw1.median_s, 4),
                    "kubectl_describe_s": round(kd1.median_s, 4),
                    "ratio_vs_kubectl_describe": round(pw1.median_s / kd1.median_s, 3),
                    "podwhy_peak_rss_mb": round(pw1.median_rss_mb, 1),
                    "kubectl_describe_peak_rss_mb": round(kd1.median_rss_mb, 1),
                    "podwhy": pw1.summary(), "kubectl_describe": kd1.summary(),
                    "packaged": None if pk1 is None else {
                        "podwhy_s": round(pk1.median_s, 4),
                        "ratio_vs_kubectl_describe": round(pk1.median_s / kd1.median_s, 3),
                        "peak_rss_mb": round(pk1.median_rss_mb, 1), "podwhy": pk1.summary()}}
                if direct and label == "failing":
                    dd = Series("kubectl-direct-describe", [direct, "describe", "pod", name,
                                                            "-n", ns], (0,))
                    runner.compare(dd)
                    single[label]["kubectl_describe_direct_binary"] = dd.summary()
                    single[label]["ratio_vs_kubectl_describe_direct_binary"] = round(
                        pw1.median_s / dd.median_s, 3)
            f = single["failing"]
            results["single_pod"] = {
                "podwhy_s": f["podwhy_s"], "kubectl_describe_s": f["kubectl_describe_s"],
                "ratio_vs_kubectl_describe": f["ratio_vs_kubectl_describe"],
                "target_ratio": TARGET_RATIO_SINGLE, **{k: v for k, v in f.items()
                                                        if k not in ("podwhy_s",
                                                                     "kubectl_describe_s",
                                                                     "ratio_vs_kubectl_describe")},
                "healthy_pod": single["healthy"]}
            results["start_up"] = start_up(runner, podwhy, packaged)
            results["installs"] = installs(results, podwhy, packaged_info)
            results["raw_fetch"] = raw_fetch(runner, kubectl, podwhy)
            if args.big_pods:
                results["big_input"] = big_input(runner, kubectl, podwhy, work,
                                                 args.big_pods, args.targets)
            if args.profile:
                results["profile"] = profile(runner, Path(args.profile), target_pod)
        if not args.no_gate:
            log("=== rollout gate ===")
            t = time.monotonic()
            try:
                gate = rollout_gate.measure(cp, api, runner.env, podwhy, kubectl, work, log)
            except (RuntimeError, OSError, KeyError, ValueError) as e:
                if args.gate_only:
                    raise
                log(f"warning: the rollout gate section failed: {e}")
                gate = {"error": str(e)}
            gate["cluster_pods"] = cluster.pods
            gate["cluster_nodes"] = ready_nodes(api)
            results["rollout_gate"] = gate
            setup["rollout_gate_s"] = round(time.monotonic() - t, 1)
        if sizes:
            results["scaling"] = scaling
            results["scaling_fit"] = linear_fit([float(e["pods"]) for e in scaling],
                                                [float(e["podwhy_s"]) for e in scaling])
        setup["total_s"] = round(time.monotonic() - started, 1)
        results["setup"] = setup
        results["runs"] = args.runs
        results["machine"] = machine_info(kubectl)
        at_end = product_state()
        product["changed_during_run"] = not same_product(product, at_end)
        if at_end["commit"] != product["commit"] or product["changed_during_run"]:
            product["at_end"] = at_end
        if product["changed_during_run"]:
            log("warning: the product changed while it was being measured (see product.at_end)")
        results["product"] = product
        results["byte_code"] = byte_code
        results["rss_method"] = ("GNU time %M (ru_maxrss of the command's process tree)"
                                 if GNU_TIME else "wait4 ru_maxrss straight from bench.py: "
                                 "inflated to at least bench.py's own RSS; install GNU time")
        results["date"] = now_rfc3339()
        ordered: JSON = {k: results[k] for k in ("pods", "events", "all_namespaces",
                                                 "installs", "single_pod", "start_up",
                                                 "scaling", "rollout_gate")
                         if k in results}
        ordered.update({k: v for k, v in results.items() if k not in ordered})
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(ordered, indent=2) + "\n")
        print(summary(ordered, out))
        if keep and own_dir is not None:
            print(f"\ncluster kept: export KUBECONFIG={cp.kubeconfig}\n"
                  f"stop it with: python3 scripts/control_plane.py down --dir {own_dir}")
        return 0
    finally:
        if cp is not None and not keep:
            log("stopping the control plane")
            cp.stop()
        if own_dir is not None and not keep:
            shutil.rmtree(own_dir, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)


def install_lines(inst: JSON, s: JSON, verdict: Callable[[bool], str]) -> list[str]:
    """The single-pod and start-up lines of the summary, one per install."""
    target = f"target <= {TARGET_RATIO_SINGLE:g}x"
    lines = [f"  single pod     kubectl describe pod {s['kubectl_describe_s']:.3f}s; podwhy "
             f"(pip) {s['podwhy_s']:.3f}s, ratio {s['ratio_vs_kubectl_describe']:.2f}x "
             f"({target}: {verdict(s['ratio_vs_kubectl_describe'] <= TARGET_RATIO_SINGLE)})"]
    pk = inst.get("packaged")
    if pk is not None:
        lines.append(f"                 podwhy (packaged) {pk['single_pod_s']:.3f}s, ratio "
                     f"{pk['ratio_vs_kubectl_describe']:.2f}x ({target}: "
                     f"{verdict(pk['ratio_vs_kubectl_describe'] <= TARGET_RATIO_SINGLE)})")
    else:
        lines.append(f"                 packaged: not measured ({inst.get('reason', '?')})")
    if inst:
        lines.append(f"  start-up       --version: pip {inst['pip']['version_s']:.3f}s"
                     + (f", packaged {pk['version_s']:.3f}s" if pk is not None else "")
                     + f" (python -c pass {inst['python_s']:.3f}s)")
    return lines


def summary(r: JSON, out: Path) -> str:
    if "all_namespaces" not in r:  # --gate-only
        return "\n".join(["", f"kubectl podwhy benchmark: rollout gate only (results: {out})",
                          "", *rollout_gate.summary_lines(r["rollout_gate"]),
                          f"  setup: {r['setup']['total_s']:.0f}s in total"])
    a, s = r["all_namespaces"], r["single_pod"]

    def verdict(ok: bool) -> str:
        return "within target" if ok else "OVER TARGET"

    lines = [
        "",
        f"kubectl podwhy benchmark: {r['pods']} pods, {r['events']} events, "
        f"median of {r['runs']} runs (results: {out})",
        "",
        f"  -A -o json     podwhy {a['podwhy_s']:.3f}s   kubectl get pods -A -o json "
        f"{a['kubectl_get_s']:.3f}s   ratio {a['ratio_vs_kubectl_get']:.2f}x "
        f"(target <= {TARGET_RATIO_ALL:g}x: {verdict(a['ratio_vs_kubectl_get'] <= 2.0)})",
        f"                 peak RSS podwhy {a['peak_rss_mb']:.0f} MB "
        f"(target < {TARGET_RSS_MB:g} MB: {verdict(a['peak_rss_mb'] < TARGET_RSS_MB)}), "
        f"kubectl {a['kubectl_get_peak_rss_mb']:.0f} MB",
        *install_lines(r.get("installs") or {}, s, verdict),
        "  scaling (podwhy -A -o json):",
    ]
    for e in r["scaling"]:
        lines.append(f"    {e['pods']:>6} pods  podwhy {e['podwhy_s']:7.3f}s  "
                     f"({e['podwhy_s'] / e['pods'] * 1000:.3f} s/1000 pods)  "
                     f"kubectl get {e['kubectl_get_s']:.3f}s  "
                     f"ratio {e['ratio_vs_kubectl_get']:.2f}x"
                     f"  RSS {e['peak_rss_mb']:.0f} MB")
        st = e.get("stages") or {}
        if st.get("self_s_by_step"):
            top = sorted(st["self_s_by_step"].items(), key=lambda kv: -float(kv[1]))[:5]
            lines.append("           in-process: " + ", ".join(f"{k} {float(v):.2f}s"
                                                           for k, v in top)
                         + f"; of all that, GC {float(st.get('gc_s') or 0):.2f}s")
    raw = r.get("raw_fetch")
    if raw:
        lines.append(f"  raw fetch      podwhy -A -o json {raw['podwhy_s']:.3f}s; the same "
                     f"{raw['pages']} pages fetched and dropped: kubectl get --raw "
                     f"{raw['kubectl_get_raw_s']:.3f}s, one connection "
                     f"{raw['one_connection_s']:.3f}s (podwhy adds "
                     f"{raw['podwhy_over_one_connection_s']:.3f}s)")
    big = r.get("big_input")
    if big:
        lines += [
            f"  big input      {big['pods']} pods: YAML ({big['yaml_mb']:.0f} MB) "
            f"{big['yaml_s']:.2f}s {big['yaml_peak_rss_mb']:.0f} MB, JSON "
            f"({big['json_mb']:.0f} MB) {big['json_s']:.2f}s; ratio "
            f"{big['ratio_yaml_vs_json']:.2f}x (target <= {TARGET_RATIO_YAML:g}x: "
            f"{verdict(big['ratio_yaml_vs_json'] <= TARGET_RATIO_YAML)}; RSS target < "
            f"{TARGET_BIG_RSS_MB:g} MB: "
            f"{verdict(big['yaml_peak_rss_mb'] < TARGET_BIG_RSS_MB)})",
            f"                 -o yaml {big['output_yaml_s']:.2f}s vs -o json "
            f"{big['output_json_s']:.2f}s; {big['targets']} named targets "
            f"{big['named_targets_s']:.2f}s vs none {big['unnamed_s']:.2f}s "
            f"(ratio {big['ratio_named_vs_unnamed']:.2f}x)"]
    fit = r.get("scaling_fit") or {}
    if fit:
        lines.append(f"    fit: {fit['intercept_s']:.3f}s + {fit['slope_s_per_1000_pods']:.3f}s "
                     f"per 1000 pods (r2 {fit['r2']}); marginal s/1000 pods "
                     f"{fit['marginal_s_per_1000_pods']}")
    if r.get("rollout_gate"):
        lines += rollout_gate.summary_lines(r["rollout_gate"])
    lines.append(f"  setup: {r['setup']['total_s']:.0f}s in total")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())

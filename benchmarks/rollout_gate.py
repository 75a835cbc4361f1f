"""The rollout-gate rows of ``make bench``: ``kubectl podwhy deploy/NAME --wait`` as a CD gate,
against ``kubectl rollout status deployment/NAME``.

1. **Time to a verdict.** For broken rollouts (image not found, crash loop, unschedulable) and a
   good one: a Deployment of ``REPLICAS`` replicas is created, and right after the create
   returns both commands start, in parallel, each in its own process:

   * ``kubectl podwhy deploy/NAME -n NS --wait --timeout 10m -o json``
   * ``kubectl rollout status deployment/NAME -n NS --timeout 90s``

   and their exit times (seconds since the create was sent) are recorded, with the "first
   failure signal": when the first pod of the rollout first shows the failure in its status
   (a container waiting ``ErrImagePull`` / ``CrashLoopBackOff``..., ``PodScheduled`` False
   ``Unschedulable``), from polling the pods every ``POLL_S`` seconds with the bench's admin
   client. kubectl rollout status fails only when the Deployment reports
   ``ProgressDeadlineExceeded`` (``progressDeadlineSeconds``, 600 s by default) or at its
   ``--timeout``: to keep the bench short the Deployments get ``progressDeadlineSeconds: 60``
   and kubectl ``--timeout 90s`` (with the defaults kubectl would fail after 600 s).
   The broken rollouts run at the same time, their starts ``STAGGER_S`` apart (so the process
   start-ups do not compete for the CPUs); the good one runs alone, first.

2. **API requests per minute of waiting.** On a Deployment that never becomes ready (a
   ``readinessGates`` condition nobody sets), ``--wait --timeout 60s`` and
   ``kubectl rollout status --timeout 60s``, at the same time, each as a user of its own
   (client certificate, group ``system:masters``); their requests are counted in the API
   server's audit log, by (verb, resource).

Nothing is asserted: the targets (podwhy exits within ``TARGET_AFTER_SIGNAL_S`` of the first
failure signal) are reported. bench.py calls :func:`measure`.
"""
from __future__ import annotations

import contextlib
import json
import secrets
import subprocess
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol

import control_plane as cpm  # scripts/ is on sys.path (bench.py puts it there)

JSON = dict[str, Any]

REPLICAS = 3
#: the Deployments' progressDeadlineSeconds (Kubernetes' default: 600)
PROGRESS_DEADLINE_S = 60
DEFAULT_PROGRESS_DEADLINE_S = 600
#: kubectl rollout status --timeout: above the progress deadline, so that it ends with the
#: deadline, and caps it if the controller is late
KUBECTL_TIMEOUT = "90s"
PODWHY_TIMEOUT = "10m"
#: the request-count runs: both commands wait this long on a Deployment that never gets ready
RATE_TIMEOUT = "60s"
#: how often the admin client polls the rollout's pods and Deployment, seconds
POLL_S = 0.2
#: start of one broken rollout to the next (they run at the same time), seconds
STAGGER_S = 5.0
#: a command still running this long after its create is killed (and reported so)
PROCESS_CAP_S = 300.0
#: requests received in the first seconds of a process are its start-up (LISTs, WATCHes)
STARTUP_S = 10.0
#: the issue's target: podwhy --wait exits within this many seconds of the first failure signal
TARGET_AFTER_SIGNAL_S = 15.0

READINESS_GATE = "podwhy.test/never-set"
NOWHERE = {"podwhy.test/pool": "nowhere"}  # a nodeSelector no node matches

#: container waiting reasons that are a failure (not ContainerCreating / PodInitializing)
FAILURE_WAITING = frozenset({
    "ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull",
    "CrashLoopBackOff", "CreateContainerConfigError", "CreateContainerError",
    "RunContainerError", "PreStartHookError", "PostStartHookError"})


class AdminApi(Protocol):
    """What is needed of bench.Api."""

    def call(self, method: str, path: str, body: Any = None, *,
             ok: Iterable[int] = (), attempts: int = 8) -> tuple[int, Any]: ...

    def get(self, path: str) -> JSON: ...


@dataclass(frozen=True)
class Rollout:
    name: str                       # the Deployment's name, and the row's
    what: str                       # how it is broken, for people
    scenario: str | None = None     # kwok scenario (pod template label podwhy.test/scenario)
    node_selector: dict[str, str] | None = None
    readiness_gate: bool = False
    #: spec.progressDeadlineSeconds; None: Kubernetes' default (600)
    progress_deadline_s: int | None = PROGRESS_DEADLINE_S


GOOD = Rollout("good", "healthy pods (kwok's default lifecycle)")
BROKEN = (
    Rollout("image-not-found", "image not found: kwok scenario image-not-found "
            "(ErrImagePull, then ImagePullBackOff)", scenario="image-not-found"),
    Rollout("crashloop", "crash loop: kwok scenario crashloop-exit1 (CrashLoopBackOff, "
            "exit 1, restartCount 6)", scenario="crashloop-exit1"),
    Rollout("unschedulable", "unschedulable: nodeSelector podwhy.test/pool=nowhere, which no "
            "node has", node_selector=NOWHERE),
)
#: the default progress deadline: neither command may end before its --timeout
NEVER_READY = Rollout("never-ready", f"pods Running but never Ready: readinessGates "
                      f"{READINESS_GATE}, a condition nobody sets; progressDeadlineSeconds "
                      f"left at the default ({DEFAULT_PROGRESS_DEADLINE_S})",
                      readiness_gate=True, progress_deadline_s=None)


def deployment_manifest(r: Rollout, namespace: str) -> JSON:
    """A Deployment of REPLICAS pods; the pod template follows the kwok scenario conventions
    (container ``app``, images)."""
    pod = cpm.scenario_pod_manifest("template", r.scenario, labels={"app": r.name})
    spec: JSON = pod["spec"]
    if r.node_selector:
        spec["nodeSelector"] = dict(r.node_selector)
    if r.readiness_gate:
        spec["readinessGates"] = [{"conditionType": READINESS_GATE}]
    dep: JSON = {"replicas": REPLICAS, "selector": {"matchLabels": {"app": r.name}},
                 "template": {"metadata": {"labels": pod["metadata"]["labels"]},
                              "spec": spec}}
    if r.progress_deadline_s is not None:
        dep["progressDeadlineSeconds"] = r.progress_deadline_s
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": r.name, "namespace": namespace, "labels": {"app": r.name}},
            "spec": dep}


def failure_signal(pod: JSON) -> str | None:
    """What in the pod's status shows that it fails, or None."""
    status = pod.get("status") or {}
    for c in status.get("conditions") or []:
        if c.get("type") == "PodScheduled" and c.get("status") == "False" \
                and c.get("reason") == "Unschedulable":
            return "PodScheduled False Unschedulable"
    for key in ("initContainerStatuses", "containerStatuses"):
        for cs in status.get(key) or []:
            reason = ((cs.get("state") or {}).get("waiting") or {}).get("reason")
            if reason in FAILURE_WAITING:
                return f"container {cs.get('name')} waiting {reason}"
    if status.get("phase") == "Failed":
        return f"phase Failed {status.get('reason') or ''}".rstrip()
    return None


def progress_deadline_exceeded(dep: JSON) -> bool:
    return any(c.get("type") == "Progressing" and c.get("status") == "False"
               and c.get("reason") == "ProgressDeadlineExceeded"
               for c in (dep.get("status") or {}).get("conditions") or [])


def rolled_out(dep: JSON) -> bool:
    """What kubectl rollout status calls "successfully rolled out"."""
    meta, spec, st = dep.get("metadata") or {}, dep.get("spec") or {}, dep.get("status") or {}
    want = int(spec.get("replicas", 1))
    return (int(st.get("observedGeneration") or 0) >= int(meta.get("generation") or 0)
            and int(st.get("updatedReplicas") or 0) == want
            and int(st.get("replicas") or 0) == want
            and int(st.get("availableReplicas") or 0) == want)


# ---------------------------------------------------------------------------------------------
# Running the two commands, and watching the rollout from the side
# ---------------------------------------------------------------------------------------------

class Launched:
    """A command started at ``t0 + start_s``; a thread records when it exits."""

    def __init__(self, name: str, argv: Sequence[str], env: dict[str, str], out: Path,
                 t0: float) -> None:
        self.name, self.argv, self.out, self.t0 = name, list(argv), out, t0
        self.exit_s: float | None = None
        self.rc: int | None = None
        self.killed = False
        # closed by the thread that reaps the process
        self._fout: IO[bytes] = open(out, "wb")  # noqa: SIM115
        self._ferr: IO[bytes] = open(out.with_suffix(".err"), "wb")  # noqa: SIM115
        self.wall_started = time.time()
        self.start_s = time.perf_counter() - t0
        self.proc = subprocess.Popen(self.argv, stdout=self._fout, stderr=self._ferr,
                                     stdin=subprocess.DEVNULL, env=env)
        self._thread = threading.Thread(target=self._reap, name=f"reap-{name}", daemon=True)
        self._thread.start()

    def _reap(self) -> None:
        rc = self.proc.wait()
        self.exit_s = time.perf_counter() - self.t0
        self.rc = rc
        self._fout.close()
        self._ferr.close()

    def join(self, deadline: float) -> None:
        """Wait until it exits, or kill it at ``deadline`` (perf_counter)."""
        self._thread.join(max(0.0, deadline - time.perf_counter()))
        if self._thread.is_alive():
            self.killed = True
            with contextlib.suppress(OSError):
                self.proc.kill()
            self._thread.join(30)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.killed = True
            with contextlib.suppress(OSError):
                self.proc.kill()
        self._thread.join(30)

    @property
    def done(self) -> bool:
        return not self._thread.is_alive()

    def stdout(self) -> str:
        return self.out.read_text(errors="replace")

    def stderr(self) -> str:
        return self.out.with_suffix(".err").read_text(errors="replace")

    def command(self) -> str:
        return " ".join(self.argv)


@dataclass
class Timeline:
    """The rollout seen by the admin client, polled every POLL_S seconds (a thread): when the
    first pod showed a failure, when all REPLICAS did, when the Deployment reported
    ProgressDeadlineExceeded or was rolled out; seconds since ``t0``."""

    api: AdminApi
    namespace: str
    name: str
    t0: float
    first_signal_s: float | None = None
    first_signal: str | None = None
    first_signal_pod: str | None = None
    all_failing_s: float | None = None
    deadline_exceeded_s: float | None = None
    rolled_out_s: float | None = None
    polls: int = 0
    errors: list[str] = field(default_factory=list)

    def run(self, stop: threading.Event) -> None:
        sel = urllib.parse.urlencode({"labelSelector": f"app={self.name}"})
        pods_path = f"/api/v1/namespaces/{self.namespace}/pods?{sel}"
        dep_path = f"/apis/apps/v1/namespaces/{self.namespace}/deployments/{self.name}"
        while not stop.is_set():
            tick = time.perf_counter()
            try:
                if self.all_failing_s is None and self.rolled_out_s is None:
                    failing = 0
                    for pod in self.api.get(pods_path).get("items") or []:
                        sig = failure_signal(pod)
                        if sig is None:
                            continue
                        failing += 1
                        if self.first_signal_s is None:
                            self.first_signal_s = time.perf_counter() - self.t0
                            self.first_signal = sig
                            self.first_signal_pod = pod["metadata"]["name"]
                    if failing >= REPLICAS:
                        self.all_failing_s = time.perf_counter() - self.t0
                if self.deadline_exceeded_s is None and self.rolled_out_s is None:
                    dep = self.api.get(dep_path)
                    now = time.perf_counter() - self.t0
                    if progress_deadline_exceeded(dep):
                        self.deadline_exceeded_s = now
                    elif rolled_out(dep):
                        self.rolled_out_s = now
                self.polls += 1
            except (RuntimeError, OSError) as e:  # one failed poll is not the end of it
                if len(self.errors) < 5:
                    self.errors.append(str(e)[:300])
            stop.wait(max(0.0, POLL_S - (time.perf_counter() - tick)))


@dataclass
class Context:
    cp: cpm.ControlPlane
    api: AdminApi
    env: dict[str, str]
    podwhy: list[str]
    kubectl: str
    work: Path
    log: Callable[[str], None]
    run_id: str = field(default_factory=lambda: secrets.token_hex(2))
    namespaces: list[str] = field(default_factory=list)

    def namespace(self, what: str) -> str:
        """A fresh namespace, with its default ServiceAccount (pods need it)."""
        ns = f"podwhy-gate-{what}-{self.run_id}"
        self.api.call("POST", "/api/v1/namespaces", {
            "apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": ns, "labels": {"podwhy.test/bench": "rollout-gate"}}},
            ok=(409,))
        self.namespaces.append(ns)
        deadline = time.monotonic() + 60
        while True:
            status, _ = self.api.call(
                "GET", f"/api/v1/namespaces/{ns}/serviceaccounts/default", ok=(404,))
            if status == 200:
                return ns
            if time.monotonic() > deadline:
                raise RuntimeError(f"no default ServiceAccount in {ns}")
            time.sleep(0.2)

    def cleanup(self) -> None:
        for ns in self.namespaces:
            with contextlib.suppress(RuntimeError, OSError):
                self.api.call("DELETE", f"/api/v1/namespaces/{ns}", ok=(404,))


def _podwhy_wait(out: str) -> JSON | None:
    """The ``wait`` block of podwhy's -o json output, and the target's verdict rule."""
    try:
        doc = json.loads(out)
    except ValueError:
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get("wait"), dict):
        return None
    w: JSON = dict(doc["wait"])
    wl = [x for x in doc.get("workloads") or [] if isinstance(x, dict)]
    if wl:
        verdict = wl[0].get("verdict") or {}
        w["state"] = wl[0].get("state")
        w["rule"] = verdict.get("rule")
    return w


def _last_line(text: str) -> str:
    lines = [x.strip() for x in text.splitlines() if x.strip()]
    return lines[-1][:300] if lines else ""


def _r(x: float | None, nd: int = 2) -> float | None:
    return None if x is None else round(x, nd)


def time_to_verdict(ctx: Context, r: Rollout, ns: str, start_at: float = 0.0) -> JSON:
    """Create the Deployment (at ``start_at``, perf_counter); podwhy --wait and kubectl
    rollout status right after, in parallel; the rollout's timeline polled meanwhile."""
    manifest = deployment_manifest(r, ns)
    time.sleep(max(0.0, start_at - time.perf_counter()))
    t0 = time.perf_counter()
    ctx.api.call("POST", f"/apis/apps/v1/namespaces/{ns}/deployments", manifest)
    apply_s = time.perf_counter() - t0
    pw = Launched(f"gate-podwhy-{r.name}",
                  [*ctx.podwhy, f"deploy/{r.name}", "-n", ns, "--wait", "--timeout",
                   PODWHY_TIMEOUT, "-o", "json"], ctx.env, ctx.work / f"gate-podwhy-{r.name}.out",
                  t0)
    kc = Launched(f"gate-kubectl-{r.name}",
                  [ctx.kubectl, "rollout", "status", f"deployment/{r.name}", "-n", ns,
                   "--timeout", KUBECTL_TIMEOUT], ctx.env,
                  ctx.work / f"gate-kubectl-{r.name}.out", t0)
    tl = Timeline(ctx.api, ns, r.name, t0)
    stop = threading.Event()
    poller = threading.Thread(target=tl.run, args=(stop,), name=f"poll-{r.name}", daemon=True)
    poller.start()
    try:
        for p in (pw, kc):
            p.join(t0 + PROCESS_CAP_S)
            if p.done and p is pw:
                ctx.log(f"  {r.name}: podwhy exited {p.rc} at {p.exit_s or 0:.2f}s")
        # kubectl exits as soon as its watch brings ProgressDeadlineExceeded: the next poll or
        # two still see the condition come
        grace = time.perf_counter() + 3.0
        while tl.deadline_exceeded_s is None and tl.rolled_out_s is None \
                and time.perf_counter() < grace:
            time.sleep(0.05)
    finally:
        pw.kill()
        kc.kill()
        stop.set()
        poller.join(10)
    ctx.log(f"  {r.name}: kubectl rollout status exited {kc.rc} at {kc.exit_s or 0:.2f}s; "
            + (f"rolled out at {_r(tl.rolled_out_s)}s" if tl.first_signal_s is None else
               f"first failure signal at {_r(tl.first_signal_s)}s"))
    wait = _podwhy_wait(pw.stdout())
    row: JSON = {
        "rollout": r.name, "what": r.what, "namespace": ns, "replicas": REPLICAS,
        "apply_s": round(apply_s, 3),
        "first_failure_signal_s": _r(tl.first_signal_s),
        "first_failure_signal": tl.first_signal and f"{tl.first_signal_pod}: {tl.first_signal}",
        "all_pods_failing_s": _r(tl.all_failing_s),
        "progress_deadline_exceeded_s": _r(tl.deadline_exceeded_s),
        "rolled_out_s": _r(tl.rolled_out_s),
        "podwhy_exit_s": _r(pw.exit_s), "podwhy_rc": pw.rc, "podwhy_killed": pw.killed,
        "podwhy_started_s": round(pw.start_s, 3),
        "podwhy_wait": wait,
        "kubectl_exit_s": _r(kc.exit_s), "kubectl_rc": kc.rc, "kubectl_killed": kc.killed,
        "kubectl_started_s": round(kc.start_s, 3),
        "kubectl_message": _last_line(kc.stderr()) or _last_line(kc.stdout()),
        "polls": tl.polls,
        "podwhy_command": pw.command(), "kubectl_command": kc.command(),
    }
    if wait is None:
        row["podwhy_output_tail"] = pw.stdout()[-500:]
    err = pw.stderr().strip()
    if err:
        row["podwhy_stderr"] = err[-1000:]
    if tl.errors:
        row["poll_errors"] = tl.errors
    if pw.exit_s is not None and tl.first_signal_s is not None:
        after = pw.exit_s - tl.first_signal_s
        row["podwhy_after_first_signal_s"] = round(after, 2)
        row["podwhy_within_target"] = after <= TARGET_AFTER_SIGNAL_S
    if kc.exit_s is not None and tl.first_signal_s is not None:
        row["kubectl_after_first_signal_s"] = round(kc.exit_s - tl.first_signal_s, 2)
    if pw.exit_s and kc.exit_s:
        row["kubectl_over_podwhy"] = round(kc.exit_s / pw.exit_s, 1)
    return row


# ---------------------------------------------------------------------------------------------
# API requests while waiting, from the audit log
# ---------------------------------------------------------------------------------------------

def audit_requests(cp: cpm.ControlPlane, offset: int, user: str) -> list[JSON]:
    """The user's requests in the audit log from byte ``offset`` on, one per request (a WATCH
    is logged at ResponseStarted and again at ResponseComplete: counted once). Reads only the
    tail: after a 10,000-pod build the log holds hundreds of MB, which cp.audit_events would
    parse whole."""
    seen: dict[str, JSON] = {}
    needle = f'"username":"{user}"'.encode()
    with open(cp.audit_log, "rb") as f:
        f.seek(offset)
        for line in f:
            if needle not in line:
                continue
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            if (ev.get("user") or {}).get("username") != user:
                continue
            seen.setdefault(str(ev.get("auditID")), ev)
    return list(seen.values())


def request_key(ev: JSON) -> str:
    ref = ev.get("objectRef") or {}
    resource = str(ref.get("resource") or "")
    if ref.get("subresource"):
        resource += "/" + str(ref["subresource"])
    if not resource:  # discovery and other non-resource URLs
        resource = urllib.parse.urlsplit(str(ev.get("requestURI") or "")).path
    return f"{ev.get('verb')} {resource}"


def _received(ev: JSON) -> float:
    return cpm._parse_time(str(ev.get("requestReceivedTimestamp") or ""))


def _count(p: Launched, evs: list[JSON]) -> JSON:
    wall = (p.exit_s or 0.0) - p.start_s
    late = [e for e in evs if _received(e) >= p.wall_started + STARTUP_S]
    by = Counter(request_key(e) for e in evs)
    return {
        "command": p.command(), "rc": p.rc, "killed": p.killed, "wall_s": round(wall, 2),
        "requests": len(evs),
        "requests_per_minute": round(len(evs) / (wall / 60), 1) if wall > 0 else None,
        "after_first_10s": {
            "requests": len(late),
            "requests_per_minute": round(len(late) / ((wall - STARTUP_S) / 60), 1)
            if wall > STARTUP_S else None,
            "by_verb_resource": dict(sorted(Counter(request_key(e) for e in late).items()))},
        "by_verb_resource": dict(sorted(by.items(), key=lambda kv: (-kv[1], kv[0]))),
    }


def requests_while_waiting(ctx: Context, ns: str) -> JSON:
    """podwhy --wait and kubectl rollout status, both --timeout RATE_TIMEOUT, at the same time
    on a Deployment whose pods never get Ready, each as its own user; requests by user."""
    r = NEVER_READY
    ctx.api.call("POST", f"/apis/apps/v1/namespaces/{ns}/deployments",
                 deployment_manifest(r, ns))
    sel = urllib.parse.urlencode({"labelSelector": f"app={r.name}"})
    deadline = time.monotonic() + 120
    while True:  # the steady state: every pod Running, not Ready
        pods = ctx.api.get(f"/api/v1/namespaces/{ns}/pods?{sel}").get("items") or []
        if len(pods) >= REPLICAS and all((p.get("status") or {}).get("phase") == "Running"
                                         for p in pods):
            break
        if time.monotonic() > deadline:
            raise RuntimeError(f"{ns}/{r.name}: {REPLICAS} Running pods did not appear")
        time.sleep(0.5)
    tag = secrets.token_hex(3)
    users = {"podwhy": f"bench-gate-podwhy-{tag}", "kubectl": f"bench-gate-kubectl-{tag}"}
    kcs = {k: ctx.cp.make_user_kubeconfig(u, ("system:masters",)) for k, u in users.items()}
    offset = ctx.cp.audit_log.stat().st_size
    t0 = time.perf_counter()
    pw = Launched("rate-podwhy", [*ctx.podwhy, "--kubeconfig", str(kcs["podwhy"]),
                                  f"deploy/{r.name}", "-n", ns, "--wait", "--timeout",
                                  RATE_TIMEOUT, "-o", "json"],
                  ctx.env, ctx.work / "rate-podwhy.out", t0)
    kc = Launched("rate-kubectl", [ctx.kubectl, "--kubeconfig", str(kcs["kubectl"]), "rollout",
                                   "status", f"deployment/{r.name}", "-n", ns, "--timeout",
                                   RATE_TIMEOUT], ctx.env, ctx.work / "rate-kubectl.out", t0)
    try:
        for p in (pw, kc):
            p.join(t0 + PROCESS_CAP_S)
    finally:
        pw.kill()
        kc.kill()
    time.sleep(2.0)  # the audit backend writes asynchronously; closed WATCHes are logged late
    counted = {k: _count(p, audit_requests(ctx.cp, offset, users[k]))
               for k, p in (("podwhy", pw), ("kubectl", kc))}
    wait = _podwhy_wait(pw.stdout())
    counted["podwhy"]["podwhy_wait"] = wait
    counted["kubectl"]["kubectl_message"] = _last_line(kc.stderr()) or _last_line(kc.stdout())
    for k, p in (("podwhy", pw), ("kubectl", kc)):
        c = counted[k]
        ctx.log(f"  {k:<8} {c['requests']} requests in {c['wall_s']:.0f}s "
                f"({c['requests_per_minute']}/min; after the first {STARTUP_S:g}s "
                f"{c['after_first_10s']['requests']}), exit {p.rc}")
    return {"deployment": f"{ns}/{r.name}", "what": r.what, "timeout": RATE_TIMEOUT,
            "users": users, "podwhy": counted["podwhy"],
            "kubectl_rollout_status": counted["kubectl"]}


# ---------------------------------------------------------------------------------------------
# The section
# ---------------------------------------------------------------------------------------------

def measure(cp: cpm.ControlPlane, api: AdminApi, env: dict[str, str], podwhy: list[str],
            kubectl: str, work: Path, log: Callable[[str], None]) -> JSON:
    """The rollout-gate section of results.json (see the module docstring)."""
    started = time.monotonic()
    ctx = Context(cp=cp, api=api, env=env, podwhy=podwhy, kubectl=kubectl, work=work, log=log)
    try:
        nss = {r.name: ctx.namespace(r.name) for r in (GOOD, *BROKEN, NEVER_READY)}
        log(f"rollout gate: good rollout ({REPLICAS} replicas)")
        good = time_to_verdict(ctx, GOOD, nss[GOOD.name])
        log(f"rollout gate: {len(BROKEN)} broken rollouts, started {STAGGER_S:g}s apart "
            f"(progressDeadlineSeconds {PROGRESS_DEADLINE_S}, kubectl --timeout "
            f"{KUBECTL_TIMEOUT})")
        first = time.perf_counter() + 0.5
        rows: dict[str, JSON] = {}
        errors: list[BaseException] = []

        def one(i: int, r: Rollout) -> None:
            try:
                rows[r.name] = time_to_verdict(ctx, r, nss[r.name], first + i * STAGGER_S)
            except BaseException as e:  # re-raised below, in the main thread
                errors.append(e)

        threads = [threading.Thread(target=one, args=(i, r), name=f"gate-{r.name}")
                   for i, r in enumerate(BROKEN)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]
        log(f"rollout gate: API requests while waiting {RATE_TIMEOUT} on a Deployment that "
            "never gets ready")
        rate = requests_while_waiting(ctx, nss[NEVER_READY.name])
    finally:
        ctx.cleanup()
    return {
        "settings": {
            "replicas": REPLICAS,
            "progressDeadlineSeconds": PROGRESS_DEADLINE_S,
            "kubectl_rollout_status_timeout": KUBECTL_TIMEOUT,
            "podwhy_wait_timeout": PODWHY_TIMEOUT,
            "poll_interval_s": POLL_S,
            "broken_rollouts_started_s_apart": STAGGER_S,
            "process_cap_s": PROCESS_CAP_S,
            "note": (f"kubectl rollout status fails only when the Deployment reports "
                     f"ProgressDeadlineExceeded or at its --timeout; these Deployments have "
                     f"progressDeadlineSeconds {PROGRESS_DEADLINE_S} (and kubectl --timeout "
                     f"{KUBECTL_TIMEOUT}) to keep the bench short: with the default "
                     f"progressDeadlineSeconds ({DEFAULT_PROGRESS_DEADLINE_S}) kubectl would "
                     f"fail after {DEFAULT_PROGRESS_DEADLINE_S} s. podwhy runs with its "
                     f"defaults (--fail-after 2m, --max-restarts 2) and --timeout "
                     f"{PODWHY_TIMEOUT}. Times are seconds since the Deployment's create was "
                     f"sent; both commands start right after it returns."),
        },
        "target_podwhy_after_first_signal_s": TARGET_AFTER_SIGNAL_S,
        "broken": [rows[r.name] for r in BROKEN],
        "good": good,
        "api_requests_while_waiting": rate,
        "total_s": round(time.monotonic() - started, 1),
    }


def summary_lines(g: JSON) -> list[str]:
    """The rollout-gate lines of bench.py's printed summary."""
    if "error" in g:
        return [f"  rollout gate   error: {g['error']}"]
    s = g["settings"]
    target = float(g["target_podwhy_after_first_signal_s"])
    lines = [f"  rollout gate   {s['replicas']} replicas; progressDeadlineSeconds "
             f"{s['progressDeadlineSeconds']} and kubectl --timeout "
             f"{s['kubectl_rollout_status_timeout']} to keep it short (with the default "
             f"{DEFAULT_PROGRESS_DEADLINE_S} s kubectl rollout status would take "
             f"{DEFAULT_PROGRESS_DEADLINE_S} s); seconds from the create to exit:"]

    def f(x: Any) -> str:
        return "-" if x is None else f"{float(x):.1f}s"

    for row in g["broken"]:
        after = row.get("podwhy_after_first_signal_s")
        ok = row.get("podwhy_within_target")
        verdict = "n/a" if ok is None else "within target" if ok else "OVER TARGET"
        lines.append(
            f"    {row['rollout']:<16} first failure signal {f(row['first_failure_signal_s'])}"
            f"  podwhy --wait exit {row['podwhy_rc']} at {f(row['podwhy_exit_s'])} "
            f"({'-' if after is None else f'{after:+.1f}s'} after the signal; target <= "
            f"{target:g}s: {verdict})  kubectl rollout status exit {row['kubectl_rc']} at "
            f"{f(row['kubectl_exit_s'])}")
    good = g["good"]
    lines.append(f"    {'good':<16} podwhy --wait exit {good['podwhy_rc']} at "
                 f"{f(good['podwhy_exit_s'])}  kubectl rollout status exit {good['kubectl_rc']}"
                 f" at {f(good['kubectl_exit_s'])}  (rolled out at {f(good['rolled_out_s'])})")
    rate = g["api_requests_while_waiting"]
    for key, label in (("podwhy", "podwhy --wait"),
                       ("kubectl_rollout_status", "kubectl rollout status")):
        c = rate[key]
        top = ", ".join(f"{k} {v}" for k, v in list(c["by_verb_resource"].items())[:6])
        lines.append(f"    API requests waiting {rate['timeout']} (never-ready Deployment): "
                     f"{label} {c['requests_per_minute']}/min ({c['requests']} requests: "
                     f"{top}; {c['after_first_10s']['requests']} after the first 10 s)")
    return lines

#!/usr/bin/env python3
"""A real Kubernetes control plane on loopback, without Docker (build, start, stop).

kube-apiserver, kube-scheduler and kube-controller-manager are built from Kubernetes' own Go
modules, etcd from etcd's, kwok from its module; all once per machine into a cache outside the
repository (``$PODWHY_CACHE``, default ``~/.cache/kubectl-podwhy``). ``up`` starts them on random
loopback ports with a throwaway PKI and RBAC, and writes a kubeconfig; ``down`` stops them.

Usage::

    python3 scripts/control_plane.py build
    python3 scripts/control_plane.py up --dir DIR [--nodes N]     # prints DIR/kubeconfig
    python3 scripts/control_plane.py kubeconfig --dir DIR
    python3 scripts/control_plane.py user --dir DIR --user NAME [--group G ...]
    python3 scripts/control_plane.py down --dir DIR

From Python: ``ControlPlane.start(dir)`` / ``ControlPlane.attach(dir)``, ``.kubeconfig``,
``.stop()``, ``.make_user_kubeconfig(user, groups)``, ``.stop_heartbeat(node)``,
``.audit_events(...)``, ``.set_container_logs(ns, pod, {container: (current, previous)})``.
Pod scenarios and container logs simulated by kwok are described in scripts/kwok/README.md.
"""
from __future__ import annotations

import argparse
import base64
import calendar
import contextlib
import ctypes
import functools
import json
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

K8S_VERSION = "v1.33.13"
STAGING_VERSION = "v0" + K8S_VERSION[2:]  # k8s.io/api et al. are tagged v0.33.N
ETCD_VERSION = "v3.5.35"
KWOK_VERSION = "v0.7.0"
K8S_BINARIES = ("kube-apiserver", "kube-scheduler", "kube-controller-manager")


def cache_dir() -> Path:
    return Path(os.environ.get("PODWHY_CACHE", Path.home() / ".cache" / "kubectl-podwhy"))


def bin_dir() -> Path:
    return cache_dir() / f"k8s-{K8S_VERSION}-etcd-{ETCD_VERSION}-kwok-{KWOK_VERSION}" / "bin"


ALL_BINARIES = (*K8S_BINARIES, "etcd", "kwok")


def binaries_present() -> bool:
    return all((bin_dir() / name).is_file() for name in ALL_BINARIES)


def _go_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(GOTOOLCHAIN="local", CGO_ENABLED="0", GOFLAGS="-mod=mod -buildvcs=false")
    return env


def _run(cmd: list[str], cwd: Path, env: dict[str, str]) -> None:
    print("+", " ".join(cmd), f"(in {cwd})", file=sys.stderr, flush=True)
    subprocess.run(cmd, cwd=cwd, env=env, check=True)


def _build_k8s(work: Path, out: Path, env: dict[str, str]) -> None:
    mod = work / "k8s"
    mod.mkdir(parents=True, exist_ok=True)
    info = json.loads(subprocess.run(
        ["go", "mod", "download", "-json", f"k8s.io/kubernetes@{K8S_VERSION}"],
        cwd=mod, env=env, check=True, capture_output=True, text=True).stdout)
    upstream = Path(info["GoMod"]).read_text()
    # k8s.io/kubernetes replaces its staging modules with local paths; a consumer must pin
    # each of them to the published v0.x tag instead, or the build cannot resolve them.
    staging = sorted(set(re.findall(r"^\s*(k8s\.io/[\w.-]+) => \./staging/src/", upstream, re.M)))
    go_line = re.search(r"^go (\S+)$", upstream, re.M)
    godebug = re.search(r"^godebug .*$", upstream, re.M)
    lines = ["module podwhy.local/k8sbuild", "", f"go {go_line.group(1) if go_line else '1.24.0'}"]
    if godebug:
        lines.append(godebug.group(0))
    lines += ["", f"require k8s.io/kubernetes {K8S_VERSION}", ""]
    lines += [f"replace {m} => {m} {STAGING_VERSION}" for m in staging]
    (mod / "go.mod").write_text("\n".join(lines) + "\n")
    pkgs = [f"k8s.io/kubernetes/cmd/{b}" for b in K8S_BINARIES]
    _run(["go", "get", *[f"{p}@{K8S_VERSION}" for p in pkgs]], mod, env)
    ver = "k8s.io/component-base/version"
    cgv = "k8s.io/client-go/pkg/version"
    major, minor = K8S_VERSION[1:].split(".")[:2]
    ldflags = " ".join(
        f"-X {p}.{k}={v}" for p in (ver, cgv)
        for k, v in (("gitVersion", K8S_VERSION), ("gitMajor", major), ("gitMinor", minor),
                     ("gitTreeState", "clean")))
    for b in K8S_BINARIES:
        _run(["go", "build", "-trimpath", "-tags", "selinux,notest", "-ldflags", "-s -w " + ldflags,
              "-o", str(out / b), f"k8s.io/kubernetes/cmd/{b}"], mod, env)


def _build_etcd(work: Path, out: Path, env: dict[str, str]) -> None:
    mod = work / "etcd"
    mod.mkdir(parents=True, exist_ok=True)
    (mod / "go.mod").write_text(
        "module podwhy.local/etcdbuild\n\ngo 1.23\n\n"
        f"require go.etcd.io/etcd/server/v3 {ETCD_VERSION}\n")
    _run(["go", "get", f"go.etcd.io/etcd/server/v3@{ETCD_VERSION}"], mod, env)
    _run(["go", "build", "-trimpath", "-ldflags", "-s -w", "-o", str(out / "etcd"),
          "go.etcd.io/etcd/server/v3"], mod, env)


def _build_kwok(out: Path, env: dict[str, str]) -> None:
    kenv = dict(env, GOBIN=str(out))
    _run(["go", "install", "-trimpath", "-ldflags", "-s -w",
          f"sigs.k8s.io/kwok/cmd/kwok@{KWOK_VERSION}"], out, kenv)


def build(force: bool = False) -> Path:
    """Build every binary that is not cached yet; return the bin directory."""
    out = bin_dir()
    if binaries_present() and not force:
        return out
    if shutil.which("go") is None:
        raise SystemExit("control-plane: Go is not installed; cannot build the control plane")
    out.mkdir(parents=True, exist_ok=True)
    work = out.parent / "src"
    env = _go_env()
    started = time.monotonic()
    import fcntl  # POSIX only; the control plane is a Linux affair anyway

    with open(out.parent / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a concurrent build waits, then finds the binaries
        if not (out / "etcd").is_file() or force:
            _build_etcd(work, out, env)
        if not (out / "kwok").is_file() or force:
            _build_kwok(out, env)
        if not all((out / b).is_file() for b in K8S_BINARIES) or force:
            _build_k8s(work, out, env)
    print(f"control-plane: binaries ready in {out} ({time.monotonic() - started:.0f}s)",
          file=sys.stderr)
    return out


# ---------------------------------------------------------------------------------------------
# Runtime: start, inspect and stop a local control plane
# ---------------------------------------------------------------------------------------------

CONTEXT_NAME = "podwhy-local"
SERVICE_CIDR = "10.96.0.0/16"
CLUSTER_CIDR = "10.244.0.0/16"
SA_ISSUER = "https://kubernetes.default.svc.cluster.local"
KWOK_CONFIG_DIR = Path(__file__).resolve().parent / "kwok"
#: CustomResourceDefinitions installed at ``up`` (kwok's Logs and ClusterLogs, our own minimal
#: schema-less definitions), so tests can give pods container logs at run time.
KWOK_CRD_DIR = KWOK_CONFIG_DIR / "crds"
KWOK_API = "/apis/kwok.x-k8s.io/v1alpha1"
#: kwok CRDs the controller watches (--enable-crds).
KWOK_CRDS = ("Logs", "ClusterLogs")
#: The ClusterLogs object (no selector) that gives every container without a Logs object an
#: empty current and previous log.
DEFAULT_CLUSTER_LOGS = "podwhy-default-empty"
#: kwok serves its kubelet API on this address; Nodes advertise it as their InternalDNS address
#: (their InternalIP stays a fake 10.89.0.N, the pods' hostIP), and kube-apiserver is told to
#: prefer InternalDNS when it talks to a kubelet.
KUBELET_HOST = "127.0.0.1"
#: kwok manages only Nodes carrying this annotation (value ``fake``).
FAKE_NODE_ANNOTATION = "kwok.x-k8s.io/node"
#: Pod label that selects a kwok scenario stage (see scripts/kwok/README.md).
SCENARIO_LABEL = "podwhy.test/scenario"
#: Node label; ``stopped`` makes the kwok node stages skip the node (no more heartbeats).
HEARTBEAT_LABEL = "podwhy.test/heartbeat"
#: Pod/Node label; ``disregard`` makes kwok leave the object alone entirely.
DISREGARD_LABEL = "podwhy.test/kwok"
#: Token users in the apiserver's --token-auth-file, with their groups.
TOKEN_USERS: dict[str, tuple[str, ...]] = {
    "podwhy-token-user": (),
    "podwhy-token-admin": ("system:masters",),
}
COMPONENTS = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok")
STATE_FILE = "state.json"

_OPENSSL_CNF = """\
[req]
distinguished_name = req_dn
[req_dn]
[v3_ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign,digitalSignature
subjectKeyIdentifier = hash
"""

_AUDIT_POLICY = """\
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
- level: Metadata
"""


class ControlPlaneError(RuntimeError):
    """Starting, using or stopping the local control plane failed."""


class ApiError(ControlPlaneError):
    """The apiserver answered a request with an HTTP error."""

    def __init__(self, method: str, path: str, status: int, body: str) -> None:
        super().__init__(f"{method} {path}: HTTP {status}: {body[:500]}")
        self.status = status
        self.body = body


def free_port() -> int:
    """A currently free TCP port on 127.0.0.1 (the caller should retry if it is taken later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _log_tail(path: Path, lines: int = 40) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - 64 * 1024))
            data = f.read().decode("utf-8", "replace")
    except OSError as e:
        return f"(cannot read {path}: {e})"
    return "\n".join(data.splitlines()[-lines:])


def _openssl(args: list[str], cwd: Path) -> None:
    r = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True,
                       check=False)
    if r.returncode != 0:
        raise ControlPlaneError(f"openssl {' '.join(args)} failed: {r.stderr.strip()}")


def _subject_escape(value: str) -> str:
    return re.sub(r"([/\\+=,])", r"\\\1", value)


def _gen_key(path: Path) -> None:
    _openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
              "-out", str(path)], path.parent)
    path.chmod(0o600)


def _make_ca(pki: Path) -> None:
    (pki / "openssl.cnf").write_text(_OPENSSL_CNF)
    _gen_key(pki / "ca.key")
    _openssl(["req", "-x509", "-new", "-key", "ca.key", "-config", "openssl.cnf",
              "-extensions", "v3_ca", "-subj", "/CN=podwhy-local-ca", "-days", "3650",
              "-sha256", "-out", "ca.crt"], pki)


def issue_cert(pki: Path, out_dir: Path, name: str, common_name: str,
               groups: Sequence[str] = (), *, server_sans: Sequence[str] = (),
               days: int = 365) -> tuple[Path, Path]:
    """Issue a certificate signed by ``pki/ca.{crt,key}``; return (cert, key) paths.

    With ``server_sans`` it is a serving certificate, otherwise a client certificate whose
    CN is the Kubernetes user name and whose O entries are its groups.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    key, csr, crt, ext = (out_dir / f"{name}{sfx}" for sfx in (".key", ".csr", ".crt", ".ext"))
    _gen_key(key)
    subject = "".join(f"/O={_subject_escape(g)}" for g in groups)
    subject += f"/CN={_subject_escape(common_name)}"
    _openssl(["req", "-new", "-key", str(key), "-config", str(pki / "openssl.cnf"),
              "-subj", subject, "-out", str(csr)], out_dir)
    lines = ["basicConstraints = critical,CA:FALSE",
             "keyUsage = critical,digitalSignature,keyEncipherment"]
    if server_sans:
        lines += ["extendedKeyUsage = serverAuth", "subjectAltName = " + ",".join(server_sans)]
    else:
        lines += ["extendedKeyUsage = clientAuth"]
    ext.write_text("\n".join(lines) + "\n")
    serial = "0x" + secrets.token_hex(15)
    _openssl(["x509", "-req", "-in", str(csr), "-CA", str(pki / "ca.crt"),
              "-CAkey", str(pki / "ca.key"), "-set_serial", serial, "-days", str(days),
              "-sha256", "-extfile", str(ext), "-out", str(crt)], out_dir)
    csr.unlink()
    ext.unlink()
    return crt, key


def _q(value: str) -> str:
    """Quote a scalar for YAML (a JSON string is a valid YAML double-quoted scalar)."""
    return json.dumps(value)


def kubeconfig_text(server: str, ca_file: Path, user: str, *, cert: Path | None = None,
                    key: Path | None = None, token: str | None = None,
                    context: str = CONTEXT_NAME, namespace: str = "default") -> str:
    """A self-contained kubeconfig (certificates embedded) for one user."""
    def b64(path: Path) -> str:
        return base64.b64encode(path.read_bytes()).decode()

    lines = [
        "apiVersion: v1",
        "kind: Config",
        "clusters:",
        f"- name: {_q(CONTEXT_NAME)}",
        "  cluster:",
        f"    server: {_q(server)}",
        f"    certificate-authority-data: {b64(ca_file)}",
        "users:",
        f"- name: {_q(user)}",
        "  user:",
    ]
    if cert is not None and key is not None:
        lines += [f"    client-certificate-data: {b64(cert)}",
                  f"    client-key-data: {b64(key)}"]
    if token is not None:
        lines += [f"    token: {_q(token)}"]
    lines += [
        "contexts:",
        f"- name: {_q(context)}",
        "  context:",
        f"    cluster: {_q(CONTEXT_NAME)}",
        f"    user: {_q(user)}",
        f"    namespace: {_q(namespace)}",
        f"current-context: {_q(context)}",
        "preferences: {}",
    ]
    return "\n".join(lines) + "\n"


def _write_private(path: Path, text: str) -> None:
    path.write_text(text)
    path.chmod(0o600)


def _set_pdeathsig() -> None:  # runs in the child between fork and exec
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:  # pragma: no cover - best effort, Linux only
        pass


def _pid_alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    except (OSError, IndexError):
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        return True


def _pid_is(pid: int, binary: str) -> bool:
    """True if ``pid`` is still the process we started from ``binary`` (not a recycled pid)."""
    try:
        argv0 = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0", 1)[0].decode()
    except OSError:
        return _pid_alive(pid)  # no procfs: trust the pid
    return argv0 == binary


def _remove_stale_etcd_dirs(shm: Path, min_age: float = 120.0) -> None:
    """Remove /dev/shm/podwhy-etcd-* left behind by killed sessions (no etcd uses them)."""
    in_use: set[str] = set()
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        for a in args:
            if a.startswith(b"--data-dir="):
                in_use.add(a[len(b"--data-dir="):].decode(errors="replace"))
    now = time.time()
    for d in shm.glob("podwhy-etcd-*"):
        try:
            if str(d) not in in_use and now - d.stat().st_mtime > min_age:
                shutil.rmtree(d, ignore_errors=True)
        except OSError:
            continue


class ControlPlane:
    """A running (or stopped) local control plane rooted in a state directory.

    ``ControlPlane.start(dir)`` starts one; ``ControlPlane.attach(dir)`` re-opens one started
    elsewhere (e.g. by ``control_plane.py up``) from ``dir/state.json``.
    """

    def __init__(self, directory: Path, state: dict[str, Any]) -> None:
        self.dir = directory
        self.state = state
        self._procs: dict[str, subprocess.Popen[bytes]] = {}
        self._die_with_parent = False

    # -- properties ------------------------------------------------------------------------
    @property
    def kubeconfig(self) -> Path:
        return Path(self.state["kubeconfig"])

    @property
    def context(self) -> str:
        return str(self.state["context"])

    @property
    def server(self) -> str:
        return str(self.state["server"])

    @property
    def ca_file(self) -> Path:
        return Path(self.state["pki"]["ca_crt"])

    @property
    def audit_log(self) -> Path:
        return Path(self.state["audit_log"])

    @property
    def token(self) -> str:
        """Bearer token of ``podwhy-token-user`` (authenticated, no RBAC grants)."""
        return str(self.state["token"])

    @property
    def tokens(self) -> dict[str, str]:
        return dict(self.state["tokens"])

    @property
    def kubelet_port(self) -> int:
        """Port of kwok's kubelet API on 127.0.0.1 (what every Node advertises)."""
        return int(self.state["ports"]["kwok"])

    @property
    def kubelet_url(self) -> str:
        return f"https://{KUBELET_HOST}:{self.kubelet_port}"

    @property
    def nodes(self) -> list[str]:
        return list(self.state.get("nodes", []))

    # -- lifecycle -------------------------------------------------------------------------
    @classmethod
    def attach(cls, directory: str | os.PathLike[str]) -> ControlPlane:
        d = Path(directory).resolve()
        try:
            state = json.loads((d / STATE_FILE).read_text())
        except (OSError, ValueError) as e:
            raise ControlPlaneError(f"no control plane state in {d}: {e}") from e
        return cls(d, state)

    @classmethod
    def start(cls, directory: str | os.PathLike[str], nodes: int = 3, *,
              bins: Path | None = None, timeout: float = 180.0,
              die_with_parent: bool = False, verbose: bool = True) -> ControlPlane:
        """Start etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok.

        Returns once /readyz is ok, ``nodes`` fake nodes are Ready and untainted, and the
        ``default`` ServiceAccount exists. On failure everything started is stopped again and
        a ControlPlaneError carries the tail of the failing component's log.
        ``die_with_parent`` makes the components exit (SIGTERM via PR_SET_PDEATHSIG) when the
        calling thread or process dies: use it from tests, not from a short-lived CLI.
        """
        d = Path(directory).resolve()
        d.mkdir(parents=True, exist_ok=True)
        if (d / STATE_FILE).exists():
            old = cls.attach(d)
            if old.running_components():
                raise ControlPlaneError(f"a control plane is already running in {d}; "
                                        f"run `control_plane.py down --dir {d}` first")
            old.stop()  # a crashed earlier run: remove its etcd data directory
        bdir = bins or bin_dir()
        missing = [b for b in ALL_BINARIES if not (bdir / b).is_file()]
        if missing:
            raise ControlPlaneError(f"binaries missing in {bdir}: {', '.join(missing)}; "
                                    "run `python3 scripts/control_plane.py build` first")
        cp = cls(d, {"dir": str(d), "context": CONTEXT_NAME, "pids": {}, "ports": {},
                     "binaries": {b: str(bdir / b) for b in ALL_BINARIES},
                     "k8s_version": K8S_VERSION, "nodes": []})
        cp._die_with_parent = die_with_parent
        started = time.monotonic()
        try:
            cp._start(nodes, started + timeout, verbose)
        except BaseException:
            cp.stop()
            raise
        elapsed = time.monotonic() - started
        cp.state["start_seconds"] = round(elapsed, 2)
        cp._save()
        if verbose:
            print(f"control-plane: up in {elapsed:.1f}s; kubeconfig {cp.kubeconfig}",
                  file=sys.stderr, flush=True)
        return cp

    def _save(self) -> None:
        tmp = self.dir / (STATE_FILE + ".tmp")
        tmp.write_text(json.dumps(self.state, indent=2, sort_keys=True) + "\n")
        tmp.replace(self.dir / STATE_FILE)

    def _start(self, nodes: int, deadline: float, verbose: bool) -> None:
        d = self.dir
        for sub in ("pki", "logs", "users", "kwok-home"):
            shutil.rmtree(d / sub, ignore_errors=True)
            (d / sub).mkdir()
        for f in ("audit.log", "kubeconfig", "tokens.csv"):
            (d / f).unlink(missing_ok=True)
        shm = Path("/dev/shm")
        if shm.is_dir() and os.access(shm, os.W_OK):
            _remove_stale_etcd_dirs(shm)
            data_dir = Path(tempfile.mkdtemp(prefix="podwhy-etcd-", dir=shm))
        else:
            data_dir = d / "etcd-data"
            shutil.rmtree(data_dir, ignore_errors=True)
            data_dir.mkdir()
        self.state["data_dir"] = str(data_dir)
        self._save()  # from now on `down` can clean up even if start fails

        def say(msg: str) -> None:
            if verbose:
                print(f"control-plane: {msg}", file=sys.stderr, flush=True)

        pki = d / "pki"
        say("creating PKI")
        _make_ca(pki)
        sans = ["IP:127.0.0.1", "DNS:localhost", "DNS:kubernetes", "DNS:kubernetes.default",
                "DNS:kubernetes.default.svc", "DNS:kubernetes.default.svc.cluster.local",
                "IP:10.96.0.1"]
        srv_crt, srv_key = issue_cert(pki, pki, "apiserver", "kube-apiserver", server_sans=sans)
        certs = {
            "admin": issue_cert(pki, pki, "admin", "podwhy-admin", ["system:masters"]),
            "kube-controller-manager": issue_cert(pki, pki, "kube-controller-manager",
                                                  "system:kube-controller-manager"),
            "kube-scheduler": issue_cert(pki, pki, "kube-scheduler", "system:kube-scheduler"),
            "kwok": issue_cert(pki, pki, "kwok", "kwok-controller", ["system:masters"]),
            # kube-apiserver -> kubelet (kwok does not check it; a real kubelet would)
            "kubelet-client": issue_cert(pki, pki, "apiserver-kubelet-client",
                                         "kube-apiserver-kubelet-client", ["system:masters"]),
        }
        # kwok's kubelet endpoint; kube-apiserver verifies it against the CA
        kwok_crt, kwok_key = issue_cert(pki, pki, "kwok-serving", "kwok-kubelet",
                                        server_sans=[f"IP:{KUBELET_HOST}", "DNS:localhost"])
        _gen_key(pki / "sa.key")
        _openssl(["pkey", "-in", "sa.key", "-pubout", "-out", "sa.pub"], pki)
        tokens = {user: secrets.token_hex(16) for user in TOKEN_USERS}
        rows = []
        for user, groups in TOKEN_USERS.items():
            row = f"{tokens[user]},{user},{user}"
            if groups:
                row += ',"' + ",".join(groups) + '"'
            rows.append(row)
        _write_private(d / "tokens.csv", "\n".join(rows) + "\n")
        (d / "audit-policy.yaml").write_text(_AUDIT_POLICY)
        self.state.update({
            "pki": {"dir": str(pki), "ca_crt": str(pki / "ca.crt"), "ca_key": str(pki / "ca.key"),
                    "apiserver_crt": str(srv_crt), "apiserver_key": str(srv_key),
                    "admin_crt": str(certs["admin"][0]), "admin_key": str(certs["admin"][1]),
                    "sa_key": str(pki / "sa.key"), "sa_pub": str(pki / "sa.pub"),
                    "kwok_serving_crt": str(kwok_crt), "kwok_serving_key": str(kwok_key)},
            "tokens": tokens, "token_user": "podwhy-token-user",
            "token": tokens["podwhy-token-user"],
            "audit_log": str(d / "audit.log"), "audit_policy": str(d / "audit-policy.yaml"),
            "token_file": str(d / "tokens.csv"),
            "logs": {c: str(d / "logs" / f"{c}.log") for c in COMPONENTS},
        })

        # etcd
        def etcd_argv(port: int) -> list[str]:
            shutil.rmtree(data_dir, ignore_errors=True)  # a retry starts from scratch
            data_dir.mkdir(exist_ok=True)
            peer = free_port()
            self.state["ports"]["etcd_peer"] = peer
            return [self._bin("etcd"), "--name=podwhy", f"--data-dir={data_dir}",
                    f"--listen-client-urls=http://127.0.0.1:{port}",
                    f"--advertise-client-urls=http://127.0.0.1:{port}",
                    f"--listen-peer-urls=http://127.0.0.1:{peer}",
                    f"--initial-advertise-peer-urls=http://127.0.0.1:{peer}",
                    f"--initial-cluster=podwhy=http://127.0.0.1:{peer}",
                    "--logger=zap", "--log-level=warn", "--unsafe-no-fsync",
                    "--quota-backend-bytes=2147483648"]

        say("starting etcd")
        etcd_port = self._launch_with_port(
            "etcd", etcd_argv, lambda p: self._http_ok(f"http://127.0.0.1:{p}/health", "true"),
            deadline)

        # kube-apiserver
        def apiserver_argv(port: int) -> list[str]:
            return [self._bin("kube-apiserver"),
                    f"--etcd-servers=http://127.0.0.1:{etcd_port}",
                    "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1",
                    f"--secure-port={port}", f"--cert-dir={pki}",
                    f"--tls-cert-file={srv_crt}", f"--tls-private-key-file={srv_key}",
                    f"--client-ca-file={pki / 'ca.crt'}",
                    f"--token-auth-file={d / 'tokens.csv'}",
                    "--kubelet-preferred-address-types=InternalDNS",
                    f"--kubelet-client-certificate={certs['kubelet-client'][0]}",
                    f"--kubelet-client-key={certs['kubelet-client'][1]}",
                    f"--kubelet-certificate-authority={pki / 'ca.crt'}",
                    "--authorization-mode=Node,RBAC",
                    f"--service-account-issuer={SA_ISSUER}",
                    f"--service-account-key-file={pki / 'sa.pub'}",
                    f"--service-account-signing-key-file={pki / 'sa.key'}",
                    f"--api-audiences={SA_ISSUER}",
                    f"--service-cluster-ip-range={SERVICE_CIDR}",
                    "--allow-privileged=true", "--endpoint-reconciler-type=none",
                    f"--audit-policy-file={d / 'audit-policy.yaml'}",
                    f"--audit-log-path={d / 'audit.log'}", "--audit-log-mode=blocking",
                    "--audit-log-maxbackup=1", "--audit-log-maxsize=0",
                    "--profiling=false", "--v=1"]

        say("starting kube-apiserver")
        api_port = self._launch_with_port(
            "kube-apiserver", apiserver_argv,
            lambda p: self._http_ok(f"https://127.0.0.1:{p}/readyz", "ok", client=True),
            deadline)
        self.state["server"] = f"https://127.0.0.1:{api_port}"
        kubeconfig = d / "kubeconfig"
        _write_private(kubeconfig, kubeconfig_text(self.server, pki / "ca.crt", "podwhy-admin",
                                                   cert=certs["admin"][0], key=certs["admin"][1]))
        self.state["kubeconfig"] = str(kubeconfig)
        comp_kc: dict[str, Path] = {}
        for comp in ("kube-controller-manager", "kube-scheduler", "kwok"):
            comp_kc[comp] = d / f"{comp}.kubeconfig"
            _write_private(comp_kc[comp], kubeconfig_text(
                self.server, pki / "ca.crt", comp, cert=certs[comp][0], key=certs[comp][1]))
        self._save()
        say("installing kwok's Logs and ClusterLogs CRDs")
        crds = self._create_kwok_crds()

        # controller manager, scheduler, kwok: started together, checked together
        kcm_port, sched_port = free_port(), free_port()
        self.state["ports"].update({"kube-controller-manager": kcm_port,
                                    "kube-scheduler": sched_port})
        kcm = str(comp_kc["kube-controller-manager"])
        say("starting kube-controller-manager, kube-scheduler, kwok")
        self._launch("kube-controller-manager", [
            self._bin("kube-controller-manager"), f"--kubeconfig={kcm}",
            f"--authentication-kubeconfig={kcm}", f"--authorization-kubeconfig={kcm}",
            "--bind-address=127.0.0.1", f"--secure-port={kcm_port}", "--leader-elect=false",
            f"--root-ca-file={pki / 'ca.crt'}",
            f"--service-account-private-key-file={pki / 'sa.key'}",
            "--use-service-account-credentials=true",
            f"--cluster-signing-cert-file={pki / 'ca.crt'}",
            f"--cluster-signing-key-file={pki / 'ca.key'}",
            f"--service-cluster-ip-range={SERVICE_CIDR}", f"--cluster-cidr={CLUSTER_CIDR}",
            "--allocate-node-cidrs=false",
            "--node-monitor-period=2s", "--node-monitor-grace-period=20s",
            "--node-startup-grace-period=30s", "--v=1"])
        sched = str(comp_kc["kube-scheduler"])
        self._launch("kube-scheduler", [
            self._bin("kube-scheduler"), f"--kubeconfig={sched}",
            f"--authentication-kubeconfig={sched}", f"--authorization-kubeconfig={sched}",
            "--bind-address=127.0.0.1", f"--secure-port={sched_port}", "--leader-elect=false",
            "--v=1"])
        kwok_configs = sorted(str(p) for p in KWOK_CONFIG_DIR.glob("*.yaml"))
        if not kwok_configs:
            raise ControlPlaneError(f"no kwok stage files in {KWOK_CONFIG_DIR}")
        self.state["kwok_configs"] = kwok_configs
        # kwok reads Logs/ClusterLogs through an informer that retries, but starting it once
        # the CRDs serve (and the default ClusterLogs exists) means no log request ever sees
        # a kwok without them.
        self._wait("kwok CRDs Established", functools.partial(self._crds_established, crds),
                   deadline)
        self._create_default_cluster_logs()
        kwok_port = free_port()
        self.state["ports"]["kwok"] = kwok_port
        self._launch("kwok", [
            self._bin("kwok"), f"--kubeconfig={comp_kc['kwok']}",
            *[f"--config={c}" for c in kwok_configs],
            "--manage-all-nodes=false",
            f"--manage-nodes-with-annotation-selector={FAKE_NODE_ANNOTATION}=fake",
            f"--disregard-status-with-label-selector={DISREGARD_LABEL}=disregard",
            "--cidr=10.244.0.1/16", "--node-ip=10.89.0.1", "--node-lease-duration-seconds=0",
            # the kubelet API (containerLogs...) over HTTPS; nodes advertise the port
            f"--server-address={KUBELET_HOST}:{kwok_port}", f"--node-port={kwok_port}",
            f"--tls-cert-file={kwok_crt}", f"--tls-private-key-file={kwok_key}",
            f"--enable-crds={','.join(KWOK_CRDS)}"],
            env={"HOME": str(d / "kwok-home")})
        self._save()

        names = self.create_nodes(nodes) if nodes else []
        self._wait("kwok /healthz", lambda: self._http_ok(
            f"{self.kubelet_url}/healthz", "ok"), deadline)
        self._wait("kube-controller-manager /healthz", lambda: self._http_ok(
            f"https://127.0.0.1:{kcm_port}/healthz", "ok", verify=False), deadline)
        self._wait("kube-scheduler /healthz", lambda: self._http_ok(
            f"https://127.0.0.1:{sched_port}/healthz", "ok", verify=False), deadline)
        say(f"waiting for {len(names)} nodes and the default ServiceAccount")
        self.wait_nodes_ready(names, timeout=max(1.0, deadline - time.monotonic()))
        self._wait("ServiceAccount default/default",
                   lambda: self._exists("/api/v1/namespaces/default/serviceaccounts/default"),
                   deadline)

    def _bin(self, name: str) -> str:
        return str(self.state["binaries"][name])

    def _launch(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> None:
        log_path = Path(self.state["logs"][name])
        penv = dict(os.environ)
        penv.update(env or {})
        with open(log_path, "ab") as log:
            log.write(f"# {time.strftime('%Y-%m-%dT%H:%M:%S')} {' '.join(argv)}\n".encode())
            log.flush()
            proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                env=penv, cwd=self.dir, start_new_session=True,
                # prctl only; no locks are taken between fork and exec
                preexec_fn=_set_pdeathsig if self._die_with_parent else None)  # noqa: PLW1509
        self._procs[name] = proc
        self.state["pids"][name] = proc.pid
        self._save()

    def _launch_with_port(self, name: str, argv: Callable[[int], list[str]],
                          ready: Callable[[int], bool], deadline: float) -> int:
        """Start a component on a random port; retry with another port if it was taken."""
        for attempt in range(3):
            port = free_port()
            self.state["ports"][name] = port
            self._launch(name, argv(port))
            try:
                self._wait(name, functools.partial(ready, port), deadline)
                return port
            except ControlPlaneError:
                proc = self._procs[name]
                if (proc.poll() is not None and attempt < 2
                        and "address already in use" in _log_tail(Path(self.state["logs"][name]))):
                    continue
                raise
        raise ControlPlaneError(f"{name}: could not find a free port")  # pragma: no cover

    def _check_alive(self) -> None:
        for name, proc in self._procs.items():
            rc = proc.poll()
            if rc is not None:
                log = self.state["logs"][name]
                raise ControlPlaneError(
                    f"{name} exited with code {rc} while starting; last lines of {log}:\n"
                    f"{_log_tail(Path(log))}")

    def _wait(self, what: str, check: Callable[[], bool], deadline: float,
              interval: float = 0.25) -> None:
        last: Exception | None = None
        while True:
            self._check_alive()
            try:
                if check():
                    return
            except Exception as e:  # connection refused while starting, etc.
                last = e
            if time.monotonic() > deadline:
                logs = {n: Path(self.state["logs"][n]) for n in self._procs}
                tails = "\n".join(f"--- {n} ({p}):\n{_log_tail(p, 15)}" for n, p in logs.items())
                raise ControlPlaneError(f"timed out waiting for {what}"
                                        + (f" (last error: {last})" if last else "")
                                        + f"\n{tails}")
            time.sleep(interval)

    def running_components(self) -> list[str]:
        """Names of components whose recorded process is still alive."""
        out = []
        for name, pid in self.state.get("pids", {}).items():
            proc = self._procs.get(name)
            if proc is not None:
                if proc.poll() is None:
                    out.append(name)
            elif _pid_alive(int(pid)) and _pid_is(int(pid), self._bin(name)):
                out.append(name)
        return out

    def stop(self, timeout: float = 15.0) -> None:
        """Stop every component (SIGTERM, then SIGKILL) and remove the etcd data directory."""
        pids: dict[str, int] = {}
        for name in reversed(COMPONENTS):
            pid = self.state.get("pids", {}).get(name)
            if pid is None:
                continue
            proc = self._procs.get(name)
            if proc is not None:
                if proc.poll() is None:
                    pids[name] = proc.pid
            elif _pid_alive(int(pid)) and _pid_is(int(pid), self._bin(name)):
                pids[name] = int(pid)
        for pid in pids.values():
            self._signal(pid, signal.SIGTERM)
        end = time.monotonic() + timeout
        for name, pid in pids.items():
            while self._alive(name, pid) and time.monotonic() < end:
                time.sleep(0.05)
            if self._alive(name, pid):
                self._signal(pid, signal.SIGKILL)
                kill_end = time.monotonic() + 5
                while self._alive(name, pid) and time.monotonic() < kill_end:
                    time.sleep(0.05)
        for proc in self._procs.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=1)
        data_dir = self.state.get("data_dir")
        if data_dir and Path(data_dir).exists():
            shutil.rmtree(data_dir, ignore_errors=True)
        self.state["pids"] = {}
        self.state["stopped_at"] = time.time()
        if self.dir.exists():
            self._save()

    def _alive(self, name: str, pid: int) -> bool:
        proc = self._procs.get(name)
        if proc is not None:
            return proc.poll() is None
        return _pid_alive(pid)

    @staticmethod
    def _signal(pid: int, sig: signal.Signals) -> None:
        try:
            os.killpg(pid, sig)  # each component leads its own session/process group
        except OSError:
            with contextlib.suppress(OSError):
                os.kill(pid, sig)

    def __enter__(self) -> ControlPlane:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- talking to the apiserver ----------------------------------------------------------
    def _ssl(self, verify: bool = True, client: bool = True) -> ssl.SSLContext:
        if not verify:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            return ctx
        ctx = ssl.create_default_context(cafile=str(self.ca_file))
        if client:
            pki = self.state["pki"]
            ctx.load_cert_chain(pki["admin_crt"], pki["admin_key"])
        return ctx

    def _http_ok(self, url: str, expect: str, *, client: bool = False,
                 verify: bool = True) -> bool:
        ctx = self._ssl(verify=verify, client=client) if url.startswith("https") else None
        try:
            with urllib.request.urlopen(url, timeout=5, context=ctx) as r:
                return expect in r.read().decode()
        except urllib.error.HTTPError as e:  # e.g. 500 from /readyz while starting
            e.close()
            return False

    def request(self, method: str, path: str, body: Any = None, *,
                content_type: str = "application/json", timeout: float = 30.0) -> Any:
        """One admin request to the apiserver; returns the decoded JSON (or text) answer."""
        data = None
        headers = {"Accept": "application/json"}
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            headers["Content-Type"] = content_type
        req = urllib.request.Request(self.server + path, data=data, method=method,
                                     headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=timeout, context=self._ssl()) as r:
                text = r.read().decode()
        except urllib.error.HTTPError as e:
            with e:
                body = e.read().decode("utf-8", "replace")
            raise ApiError(method, path, e.code, body) from None
        try:
            return json.loads(text)
        except ValueError:
            return text

    def _exists(self, path: str) -> bool:
        try:
            self.request("GET", path)
        except ApiError as e:
            if e.status == 404:
                return False
            raise
        return True

    def kubectl(self, *args: str, input: str | None = None, check: bool = True,
                kubeconfig: str | os.PathLike[str] | None = None,
                timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
        """Run the real kubectl against this cluster (admin unless ``kubeconfig`` is given)."""
        kc = str(kubeconfig or self.kubeconfig)
        r = subprocess.run(["kubectl", f"--kubeconfig={kc}", *args], input=input,
                           capture_output=True, text=True, timeout=timeout, check=False)
        if check and r.returncode != 0:
            raise ControlPlaneError(f"kubectl {' '.join(args)} failed ({r.returncode}): "
                                    f"{r.stderr.strip()}")
        return r

    # -- nodes -----------------------------------------------------------------------------
    def create_node(self, name: str, *, index: int | None = None, cpu: str = "4",
                    memory: str = "16Gi", pods: str = "110",
                    labels: dict[str, str] | None = None) -> str:
        """Create one kwok-managed fake Node (idempotent)."""
        if index is None:
            index = len(self.state.get("nodes", [])) + 100
        resources = {"cpu": cpu, "memory": memory, "pods": pods, "ephemeral-storage": "100Gi"}
        node = {
            "apiVersion": "v1", "kind": "Node",
            "metadata": {
                "name": name,
                "labels": {"type": "kwok", "kubernetes.io/hostname": name,
                           "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
                           **(labels or {})},
                "annotations": {FAKE_NODE_ANNOTATION: "fake",
                                "node.alpha.kubernetes.io/ttl": "0"},
            },
            "spec": {"podCIDR": f"10.244.{index}.0/24", "podCIDRs": [f"10.244.{index}.0/24"]},
            "status": {
                "allocatable": resources, "capacity": dict(resources),
                "addresses": [{"type": "InternalIP", "address": f"10.89.0.{10 + index}"},
                              {"type": "InternalDNS", "address": KUBELET_HOST},
                              {"type": "Hostname", "address": name}],
                "daemonEndpoints": {"kubeletEndpoint": {"Port": self.kubelet_port}},
            },
        }
        try:
            self.request("POST", "/api/v1/nodes", node)
        except ApiError as e:
            if e.status != 409:
                raise
        if name not in self.state["nodes"]:
            self.state["nodes"].append(name)
            self._save()
        return name

    def create_nodes(self, count: int, prefix: str = "kwok-node-", start: int = 0) -> list[str]:
        return [self.create_node(f"{prefix}{i}", index=i) for i in range(start, start + count)]

    def delete_node(self, name: str) -> None:
        """Delete a Node (PodGC then removes the pods bound to it)."""
        try:
            self.request("DELETE", f"/api/v1/nodes/{name}")
        except ApiError as e:
            if e.status != 404:
                raise
        if name in self.state.get("nodes", []):
            self.state["nodes"].remove(name)
            self._save()

    def node_ready(self, name: str) -> bool:
        """Ready=True and none of the not-ready/unreachable taints."""
        node = self.request("GET", f"/api/v1/nodes/{name}")
        ready = any(c.get("type") == "Ready" and c.get("status") == "True"
                    for c in node.get("status", {}).get("conditions", []))
        bad = {"node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"}
        tainted = any(t.get("key") in bad for t in node.get("spec", {}).get("taints", []) or [])
        return ready and not tainted

    def wait_nodes_ready(self, names: Sequence[str], timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        for name in names:
            self._wait(f"node {name} Ready and untainted",
                       functools.partial(self.node_ready, name), deadline)

    def stop_heartbeat(self, node: str, *, pods_too: bool = True) -> None:
        """Simulate a dead kubelet: kwok stops renewing the node's status.

        The node controller then marks it Unknown/NotReady and taints it unreachable after
        the grace period (20s). With ``pods_too`` kwok also stops acting on the pods bound to
        it (labelled ``podwhy.test/kwok=disregard``): deleted pods stay Terminating.
        """
        self.request("PATCH", f"/api/v1/nodes/{node}",
                     {"metadata": {"labels": {HEARTBEAT_LABEL: "stopped"}}},
                     content_type="application/merge-patch+json")
        if pods_too:
            pods = self.request(
                "GET", "/api/v1/pods?fieldSelector=" + urllib.parse.quote(f"spec.nodeName={node}"))
            for pod in pods.get("items", []):
                meta = pod["metadata"]
                self.request("PATCH", f"/api/v1/namespaces/{meta['namespace']}/pods/{meta['name']}",
                             {"metadata": {"labels": {DISREGARD_LABEL: "disregard"}}},
                             content_type="application/merge-patch+json")

    def resume_heartbeat(self, node: str) -> None:
        """Undo stop_heartbeat for the node (pods keep their disregard label)."""
        self.request("PATCH", f"/api/v1/nodes/{node}",
                     {"metadata": {"labels": {HEARTBEAT_LABEL: None}}},
                     content_type="application/merge-patch+json")

    # -- kwok CRDs and container logs ------------------------------------------------------
    def _create_kwok_crds(self) -> list[str]:
        """Create the kwok CRDs in scripts/kwok/crds/ (idempotent); return their names."""
        names = []
        for path in sorted(KWOK_CRD_DIR.glob("*.json")):
            crd = json.loads(path.read_text())
            try:
                self.request("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
                             crd)
            except ApiError as e:
                if e.status != 409:
                    raise
            names.append(str(crd["metadata"]["name"]))
        if not names:
            raise ControlPlaneError(f"no CustomResourceDefinitions in {KWOK_CRD_DIR}")
        return names

    def _crds_established(self, names: Sequence[str]) -> bool:
        for name in names:
            crd = self.request("GET",
                               f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}")
            if not any(c.get("type") == "Established" and c.get("status") == "True"
                       for c in crd.get("status", {}).get("conditions", [])):
                return False
        return True

    @property
    def container_logs_dir(self) -> Path:
        """Where the CRI-format log files kwok serves are (``<ns>/<pod>/<container>.log``)."""
        return self.dir / "logs" / "kwok"

    def _empty_log(self) -> Path:
        path = self.container_logs_dir / "empty.log"
        if not path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"")
        return path

    def _create_default_cluster_logs(self) -> None:
        """Every container of a pod without a Logs object has an empty current and previous
        log (kwok answers an error for a container it has no log target for)."""
        empty = str(self._empty_log())
        obj = {"apiVersion": "kwok.x-k8s.io/v1alpha1", "kind": "ClusterLogs",
               "metadata": {"name": DEFAULT_CLUSTER_LOGS},
               "spec": {"logs": [{"logsFile": empty, "previousLogsFile": empty}]}}

        def create() -> bool:  # a just-Established CRD may 404 for a moment
            try:
                self.request("POST", f"{KWOK_API}/clusterlogs", obj)
            except ApiError as e:
                if e.status == 404:
                    return False
                if e.status != 409:
                    raise
            return True
        self._wait(f"ClusterLogs {DEFAULT_CLUSTER_LOGS}", create, time.monotonic() + 30)

    def kubelet_logs(self, namespace: str, pod: str, container: str, *,
                     previous: bool = False, limit_bytes: int | None = None,
                     tail_lines: int | None = None) -> tuple[int, bytes]:
        """GET kwok's kubelet endpoint ``/containerLogs/...`` directly (not through the
        apiserver; works for pods that do not exist yet); return (HTTP status, body)."""
        query: dict[str, str] = {}
        if previous:
            query["previous"] = "true"
        if limit_bytes is not None:
            query["limitBytes"] = str(limit_bytes)
        if tail_lines is not None:
            query["tailLines"] = str(tail_lines)
        path = "/".join(urllib.parse.quote(p, safe="") for p in (namespace, pod, container))
        url = f"{self.kubelet_url}/containerLogs/{path}"
        if query:
            url += "?" + urllib.parse.urlencode(query)
        try:
            with urllib.request.urlopen(url, timeout=10, context=self._ssl(client=False)) as r:
                return int(r.status), bytes(r.read())
        except urllib.error.HTTPError as e:
            with e:
                return int(e.code), bytes(e.read())

    def set_container_logs(
            self, namespace: str, pod: str,
            logs: Mapping[str, tuple[Sequence[str | bytes] | None,
                                     Sequence[str | bytes] | None]],
            stream: str = "stderr", *, timeout: float = 10.0) -> dict[str, tuple[Path, Path]]:
        """Give the containers of pod ``namespace/pod`` logs that the apiserver serves.

        ``logs`` maps a container name to ``(current lines, previous lines)``: what
        ``GET .../pods/POD/log?container=NAME`` answers without and with ``previous=true``.
        Each line is written byte-exact (``str`` as UTF-8, with surrogateescape; or
        ``bytes``) as one CRI log line on ``stream`` (``stdout``/``stderr``) and comes back
        followed by ``\\n``; one trailing ``\\n`` of a line is dropped, and a line with more
        newlines becomes several lines. ``[]`` is an empty log; ``None`` is no log at all:
        the request fails with HTTP 400 (as a kubelet's does for ``--previous`` of a
        container that never restarted; the message differs). Timestamps increase by 1 ms
        a line; the current log ends now, the previous one 1 s before the current one
        starts. Containers not in ``logs`` get an empty log.

        The files are ``logs/kwok/<ns>/<pod>/<container>{,.previous}.log`` in the control
        plane directory, and a kwok ``Logs`` object named after the pod (in its namespace,
        which must exist) points at them, replacing earlier calls for the pod. The pod
        itself need not exist yet. Returns once kwok answers the new logs (polled at
        kwok's endpoint for at most ``timeout`` seconds); returns {container: (current
        file, previous file)}.
        """
        if stream not in ("stdout", "stderr"):
            raise ValueError(f"stream must be stdout or stderr, not {stream!r}")
        for part in (namespace, pod, *logs):
            if not part or "/" in part or part in (".", ".."):
                raise ValueError(f"invalid name {part!r}")
        pod_dir = self.container_logs_dir / namespace / pod
        before = self._logs_containers(namespace, pod) - set(logs)
        pod_dir.mkdir(parents=True, exist_ok=True)
        empty = str(self._empty_log())
        files: dict[str, tuple[Path, Path]] = {}
        expect: dict[tuple[str, bool], bytes | None] = {}
        entries: list[dict[str, Any]] = []
        now = time.time_ns()
        for container, (current, previous) in logs.items():
            cur_path = pod_dir / f"{container}.log"
            prev_path = pod_dir / f"{container}.previous.log"
            cur_data = _cri_split(current)
            prev_data = _cri_split(previous)
            cur_start = now - len(cur_data or ()) * 1_000_000
            prev_start = cur_start - 1_000_000_000 - len(prev_data or ()) * 1_000_000
            for path, data, start, prev in ((cur_path, cur_data, cur_start, False),
                                            (prev_path, prev_data, prev_start, True)):
                if data is None:
                    path.unlink(missing_ok=True)
                    expect[(container, prev)] = None
                else:
                    _write_atomic(path, _cri_log(data, stream.encode(), start))
                    expect[(container, prev)] = b"".join(line + b"\n" for line in data)
            files[container] = (cur_path, prev_path)
            entries.append({"containers": [container], "logsFile": str(cur_path),
                            "previousLogsFile": str(prev_path)})
        for gone in before:  # an earlier call's container: back to the empty default
            for sfx in (".log", ".previous.log"):
                (pod_dir / f"{gone}{sfx}").unlink(missing_ok=True)
            expect[(gone, False)] = expect[(gone, True)] = b""
        entries.append({"logsFile": empty, "previousLogsFile": empty})  # other containers
        obj = {"apiVersion": "kwok.x-k8s.io/v1alpha1", "kind": "Logs",
               "metadata": {"name": pod, "namespace": namespace},
               "spec": {"logs": entries}}
        self.request("PATCH", f"{KWOK_API}/namespaces/{namespace}/logs/{pod}"
                              "?fieldManager=podwhy-control-plane&force=true", obj,
                     content_type="application/apply-patch+yaml")
        self._wait_kubelet_logs(namespace, pod, expect, timeout)
        return files

    def delete_container_logs(self, namespace: str, pod: str, *, timeout: float = 10.0) -> None:
        """Undo set_container_logs: the pod's containers get empty logs again."""
        pod_dir = self.container_logs_dir / namespace / pod
        names = self._logs_containers(namespace, pod)
        try:
            self.request("DELETE", f"{KWOK_API}/namespaces/{namespace}/logs/{pod}")
        except ApiError as e:
            if e.status != 404:
                raise
        shutil.rmtree(pod_dir, ignore_errors=True)
        self._wait_kubelet_logs(namespace, pod, {(c, p): b"" for c in names
                                                 for p in (False, True)}, timeout)

    def _logs_containers(self, namespace: str, pod: str) -> set[str]:
        """The containers named in the pod's Logs object (none if there is none)."""
        try:
            obj = self.request("GET", f"{KWOK_API}/namespaces/{namespace}/logs/{pod}")
        except ApiError as e:
            if e.status == 404:
                return set()
            raise
        return {str(c) for entry in obj.get("spec", {}).get("logs", [])
                for c in entry.get("containers") or []}

    def _wait_kubelet_logs(self, namespace: str, pod: str,
                           expect: dict[tuple[str, bool], bytes | None], timeout: float) -> None:
        """Poll kwok until every (container, previous) answers as expected: the first bytes
        of the log (None: an error)."""
        def answers() -> bool:
            for (container, previous), want in expect.items():
                limit = min(len(want), 4096) if want else None
                status, body = self.kubelet_logs(namespace, pod, container, previous=previous,
                                                 limit_bytes=limit)
                if want is None:
                    if status < 400:
                        return False
                elif status != 200 or body != want[:4096]:
                    return False
            return True
        try:
            self._wait(f"kwok serving the logs of pod {namespace}/{pod}", answers,
                       time.monotonic() + timeout)
        except ControlPlaneError as e:
            raise ControlPlaneError(f"{e}\nkwok log: {self.state['logs']['kwok']}") from None

    # -- users and audit -------------------------------------------------------------------
    def make_user_kubeconfig(self, user: str, groups: Sequence[str] = (), *,
                             name: str | None = None, namespace: str = "default") -> Path:
        """Mint a client certificate for ``user``/``groups``; return its kubeconfig path."""
        return make_user_kubeconfig(self.dir, user, groups, name=name, namespace=namespace)

    def make_token_kubeconfig(self, user: str = "podwhy-token-user", *,
                              namespace: str = "default") -> Path:
        """A kubeconfig authenticating with the static bearer token of ``user``."""
        token = self.state["tokens"][user]
        path = self.dir / "users" / f"token-{user}.kubeconfig"
        path.parent.mkdir(exist_ok=True)
        _write_private(path, kubeconfig_text(self.server, self.ca_file, user, token=token,
                                             namespace=namespace))
        return path

    def audit_events(self, *, user: str | None = None, verb: str | None = None,
                     resource: str | None = None, namespace: str | None = None,
                     since: float | None = None) -> list[dict[str, Any]]:
        """Audit events (Metadata level, stage ResponseComplete/Panic) matching all filters.

        ``since`` is a time.time() value; events received before it are skipped.
        """
        out: list[dict[str, Any]] = []
        try:
            text = self.audit_log.read_text()
        except FileNotFoundError:
            return out
        for line in text.splitlines():
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            if user is not None and ev.get("user", {}).get("username") != user:
                continue
            if verb is not None and ev.get("verb") != verb:
                continue
            ref = ev.get("objectRef") or {}
            if resource is not None and ref.get("resource") != resource:
                continue
            if namespace is not None and ref.get("namespace") != namespace:
                continue
            if since is not None and _parse_time(ev.get("requestReceivedTimestamp", "")) < since:
                continue
            out.append(ev)
        return out


def _cri_split(lines: Sequence[str | bytes] | None) -> list[bytes] | None:
    """Lines as the bytes of CRI log entries: one trailing newline dropped, split at the
    others (a CRI log line cannot contain one)."""
    if lines is None:
        return None
    out: list[bytes] = []
    for line in lines:
        data = line if isinstance(line, bytes) else line.encode("utf-8", "surrogateescape")
        if data.endswith(b"\n"):
            data = data[:-1]
        out.extend(data.split(b"\n"))
    return out


def _cri_log(lines: Sequence[bytes], stream: bytes, start_ns: int) -> bytes:
    """A CRI (containerd/CRI-O) log file: ``<RFC 3339 ns> <stream> F <text>`` lines, the
    timestamps ``start_ns`` + 1 ms per line."""
    out = []
    for i, line in enumerate(lines):
        ns = start_ns + i * 1_000_000
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ns // 1_000_000_000))
        out.append(b"%s.%09dZ %s F %s\n" % (stamp.encode(), ns % 1_000_000_000, stream, line))
    return b"".join(out)


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def _parse_time(value: str) -> float:
    """RFC 3339 with optional fraction (as the audit log writes it) -> epoch seconds."""
    m = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?Z$", value)
    if not m:
        return 0.0
    base = calendar.timegm(time.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S"))
    return base + float(m.group(2) or 0)


def make_user_kubeconfig(state_dir: str | os.PathLike[str], user: str,
                         groups: Sequence[str] = (), *, name: str | None = None,
                         namespace: str = "default") -> Path:
    """Mint a client-certificate kubeconfig for ``user`` in ``groups``, signed by the
    throwaway CA of the control plane in ``state_dir``; return the kubeconfig path."""
    cp = ControlPlane.attach(state_dir)
    pki = Path(cp.state["pki"]["dir"])
    base = name or re.sub(r"[^A-Za-z0-9_.-]", "_", user)
    users = cp.dir / "users"
    crt, key = issue_cert(pki, users, base, user, groups)
    path = users / f"{base}.kubeconfig"
    _write_private(path, kubeconfig_text(cp.server, cp.ca_file, user, cert=crt, key=key,
                                         namespace=namespace))
    return path


#: Pod scenarios simulated by scripts/kwok/pod-scenarios.yaml (label podwhy.test/scenario).
SCENARIOS: dict[str, str] = {
    "image-not-found": "ErrImagePull then ImagePullBackOff (NotFound); events Failed, BackOff",
    "image-unauthorized": "ErrImagePull then ImagePullBackOff (401 Unauthorized); Failed, BackOff",
    "crashloop-exit1": "CrashLoopBackOff, lastState Error exit 1, restartCount 6; BackOff",
    "crashloop-oom": "CrashLoopBackOff, lastState OOMKilled exit 137, restartCount 6; BackOff",
    "crashloop-exit0": "CrashLoopBackOff, lastState Completed exit 0, restartCount 6; BackOff",
    "config-error": 'CreateContainerConfigError secret "db-creds" not found; Failed',
    "start-error": "RunContainerError, then CrashLoopBackOff, lastState StartError 128; "
                   "Failed, BackOff",
    "readiness-fail": "running, ready=false, Ready False ContainersNotReady; Unhealthy (readiness)",
    "liveness-fail": "running, restartCount 3, lastState Error 137; Unhealthy, Killing",
    "init-crash": "first init container CrashLoopBackOff, Init:CrashLoopBackOff, Pending; BackOff",
    "sidecar-crash": "first native sidecar CrashLoopBackOff while the app runs; BackOff",
    "mount-failed": "ContainerCreating, Pending, no pod IP; FailedMount",
    "sandbox-failed": "ContainerCreating, Pending, no pod IP; FailedCreatePodSandBox",
    "evicted": "Failed/Evicted, DisruptionTarget TerminationByKubelet, containers "
               "ContainerStatusUnknown 137; Evicted",
    "terminated-error": "restartPolicy Never: app terminated Error exit 1, phase Failed; no event",
    "complete": "Running, then Succeeded with containers Completed exit 0",
    "stuck-terminating": "Running; once deleted it stays Terminating (kwok never removes it)",
}


def scenario_pod_manifest(name: str, scenario: str | None = None, *,
                          namespace: str | None = None,
                          labels: dict[str, str] | None = None) -> dict[str, Any]:
    """A Pod manifest that follows the naming conventions the kwok stages' fixed event
    messages assume (container ``app``, init container ``init``, sidecar ``sidecar``,
    images ``registry.example/...``), with what the scenario needs in its spec (probes,
    a missing secret/configMap reference, restartPolicy Never, a memory request...)."""
    if scenario is not None and scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}; known: {', '.join(SCENARIOS)}")
    app: dict[str, Any] = {"name": "app", "image": "registry.example/app:1"}
    spec: dict[str, Any] = {"containers": [app], "terminationGracePeriodSeconds": 5}
    probe = {"httpGet": {"path": "/healthz", "port": 8080}, "periodSeconds": 10}
    if scenario == "image-not-found":
        app["image"] = "registry.example/nope:1"
    elif scenario == "image-unauthorized":
        app["image"] = "registry.example/private/app:1"
    elif scenario == "config-error":
        app["env"] = [{"name": "DB_PASSWORD", "valueFrom": {
            "secretKeyRef": {"name": "db-creds", "key": "password"}}}]
    elif scenario == "start-error":
        app["command"] = ["foo"]
    elif scenario == "readiness-fail":
        # a short budget (0 + 1 x 1 s, + podwhy's 30 s margin): progressing, then stuck soon
        app["readinessProbe"] = dict(probe, periodSeconds=1, failureThreshold=1)
    elif scenario == "liveness-fail":
        app["livenessProbe"] = probe
    elif scenario == "init-crash":
        spec["initContainers"] = [{"name": "init", "image": "registry.example/init:1",
                                   "command": ["sh", "-c", "exit 1"]}]
    elif scenario == "sidecar-crash":
        spec["initContainers"] = [{"name": "sidecar", "image": "registry.example/sidecar:1",
                                   "restartPolicy": "Always"}]
    elif scenario == "mount-failed":
        app["volumeMounts"] = [{"name": "config", "mountPath": "/etc/app"}]
        spec["volumes"] = [{"name": "config", "configMap": {"name": "app-config"}}]
    elif scenario == "evicted":
        app["resources"] = {"requests": {"memory": "256Mi"}}
    elif scenario == "terminated-error":
        spec["restartPolicy"] = "Never"
    meta: dict[str, Any] = {"name": name, "labels": dict(labels or {})}
    if scenario is not None:
        meta["labels"][SCENARIO_LABEL] = scenario
    if namespace is not None:
        meta["namespace"] = namespace
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="control-plane", description=__doc__)
    sub = parser.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="build (or reuse) the binaries")
    b.add_argument("--force", action="store_true")
    up = sub.add_parser("up", help="start a control plane with state in DIR")
    up.add_argument("--dir", required=True)
    up.add_argument("--nodes", type=int, default=3)
    up.add_argument("--timeout", type=float, default=180.0)
    up.add_argument("--build", action="store_true", help="build the binaries first if missing")
    down = sub.add_parser("down", help="stop the control plane with state in DIR")
    down.add_argument("--dir", required=True)
    kc = sub.add_parser("kubeconfig", help="print the admin kubeconfig path")
    kc.add_argument("--dir", required=True)
    us = sub.add_parser("user", help="mint a client-certificate kubeconfig; print its path")
    us.add_argument("--dir", required=True)
    us.add_argument("--user", required=True)
    us.add_argument("--group", action="append", default=[])
    st = sub.add_parser("status", help="print state.json and which components run")
    st.add_argument("--dir", required=True)
    args = parser.parse_args(argv)
    try:
        if args.cmd == "build":
            print(build(force=args.force))
        elif args.cmd == "up":
            if args.build:
                build()
            cp = ControlPlane.start(args.dir, nodes=args.nodes, timeout=args.timeout)
            print(cp.kubeconfig)
        elif args.cmd == "down":
            cp = ControlPlane.attach(args.dir)
            cp.stop()
            print(f"control-plane: stopped ({args.dir})", file=sys.stderr)
        elif args.cmd == "kubeconfig":
            print(ControlPlane.attach(args.dir).kubeconfig)
        elif args.cmd == "user":
            print(make_user_kubeconfig(args.dir, args.user, args.group))
        elif args.cmd == "status":
            cp = ControlPlane.attach(args.dir)
            print(json.dumps({"running": cp.running_components(), **cp.state}, indent=2))
    except ControlPlaneError as e:
        print(f"control-plane: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

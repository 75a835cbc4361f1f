"""Parsers for the human messages Kubernetes writes, tolerant of their drift across versions.

Reason strings are stable API values; messages are not (see the failure catalog's drift
table), so every parser here matches loosely and degrades to "unclassified" rather than fail.
"""
from __future__ import annotations

import functools
import re
import signal as _signal
from dataclasses import dataclass
from typing import Literal

COMBINED_PREFIX = "(combined from similar events): "


def strip_combined(message: str) -> str:
    """The event correlator prefixes aggregated messages; the prefix carries nothing."""
    return message[len(COMBINED_PREFIX):] if message.startswith(COMBINED_PREFIX) else message


# --- FailedScheduling ---------------------------------------------------------------------

@dataclass(frozen=True)
class Clause:
    count: int  # nodes rejected for this reason (all nodes for a PreFilter rejection)
    text: str
    bucket: str


@dataclass(frozen=True)
class FitError:
    total_nodes: int | None
    clauses: tuple[Clause, ...]
    preemption: str  # the PostFilter tail, reported separately, never counted as a blocker

    @property
    def dominant(self) -> Clause | None:
        if not self.clauses:
            return None
        # Most nodes first; ties go to the more actionable bucket.
        return sorted(self.clauses,
                      key=lambda c: (-c.count, BUCKET_ORDER.index(c.bucket)))[0]

    def by_bucket(self, bucket: str) -> list[Clause]:
        return [c for c in self.clauses if c.bucket == bucket]


BUCKET_ORDER = ("volumes", "resources", "affinity", "host-ports", "topology", "taints",
                "cordoned", "other")

# (bucket, pattern) in match order; patterns cover every phrasing in the drift table.
_BUCKETS: tuple[tuple[str, str], ...] = (
    ("resources", r"^Insufficient |^Too many pods"),
    ("taints", r"taint"),
    ("volumes", r"persistentvolume|volume|pvc|storage|PersistentVolumeClaim"),
    ("topology", r"pod affinity|anti-affinity|topology spread|affinity/anti-affinity"),
    ("affinity", r"node affinity|node selector|node\(s\) didn't match.*selector|"
                 r"requested node name|NodeAffinity|node label"),
    ("host-ports", r"free ports|host port|hostport"),
    ("cordoned", r"were unschedulable|node\(s\) were unschedulable"),
)


@functools.cache
def _bucket_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    # compiled on first use: only a pod the scheduler cannot place needs them (start-up time)
    return tuple((b, re.compile(p, re.I)) for b, p in _BUCKETS)

_ENVELOPE = re.compile(r"^0/(\d+) nodes are available(?::\s*(.*))?$", re.S)
_COUNTED = re.compile(r"^(\d+)\s+(.*)$", re.S)


def bucket_of(text: str) -> str:
    for bucket, pattern in _bucket_patterns():
        if pattern.search(text):
            return bucket
    return "other"


def parse_fit_error(message: str) -> FitError:
    """Parse ``0/N nodes are available: <n> <reason>, ... [preemption: ...]``.

    The histogram entries are sorted lexicographically by the scheduler, so their order means
    nothing. The preemption (PostFilter) part is cut off first: its counts are not blockers.
    """
    msg = strip_combined(message.strip())
    preemption = ""
    cut = len(msg)
    for marker in (" preemption:", " no new claims to deallocate"):
        at = msg.find(marker)
        if at != -1:
            cut = min(cut, at)
    if cut < len(msg):
        preemption = msg[cut:].strip()
        msg = msg[:cut]
    msg = msg.strip().rstrip(".").strip()
    env = _ENVELOPE.match(msg)
    if not env:
        if "no nodes available" in msg.lower():
            return FitError(0, (), preemption)
        return FitError(None, (Clause(0, msg, bucket_of(msg)),) if msg else (), preemption)
    total = int(env.group(1))
    body = (env.group(2) or "").strip().rstrip(".")
    clauses: list[Clause] = []
    if body:
        # Split before ", <count> " only: taint clauses contain "{k: v}, that ...".
        for part in re.split(r",\s+(?=\d+\s)", body):
            part = part.strip().rstrip(".").strip()
            if not part:
                continue
            m = _COUNTED.match(part)
            if m:
                clauses.append(Clause(int(m.group(1)), m.group(2).strip(), bucket_of(m.group(2))))
            else:
                # PreFilter rejections carry no per-node count: they rule out every node.
                clauses.append(Clause(total, part, bucket_of(part)))
    return FitError(total, tuple(clauses), preemption)


_TAINT = re.compile(r"taint\s*\{([^}]*)\}")


def taint_keys(text: str) -> list[str]:
    """Taint keys named in a clause (``{node-role.kubernetes.io/control-plane: }``)."""
    return [m.group(1).split(":")[0].strip() for m in _TAINT.finditer(text)]


def insufficient_resource(text: str) -> str | None:
    m = re.match(r"Insufficient\s+(\S+)", text)
    if m:
        return m.group(1)
    if text.lower().startswith("too many pods"):
        return "pods"
    return None


# --- eviction -----------------------------------------------------------------------------

EvictionKind = Literal["node", "container-limit", "pod-limit", "emptydir", "unknown"]


@dataclass(frozen=True)
class Eviction:
    """What an eviction message says ran out (pkg/kubelet/eviction/helpers.go formats).

    ``kind``: the node ran low (``node``), or the pod broke a limit of its own: a container's
    ephemeral-storage limit (``container-limit``), the sum of its containers' limits
    (``pod-limit``) or an emptyDir sizeLimit (``emptydir``); the node is not short then.
    """

    kind: EvictionKind
    resource: str | None  # memory, ephemeral-storage, nodefs, pids, ...
    node_condition: str | None  # e.g. [DiskPressure]
    threshold: str | None
    available: str | None
    containers: tuple[tuple[str, str, str], ...]  # (name, usage, request)
    limit: str | None = None  # the limit broken (container, pod or emptyDir kinds)
    subject: str | None = None  # the container or volume that broke it


def parse_eviction(message: str) -> Eviction:
    m = re.search(r'Container (\S+) exceeded its local ephemeral storage limit "?([^".\s]+'
                  r'(?:\.\d+)?[^".\s]*)"?', message)
    if m:
        return Eviction("container-limit", "ephemeral-storage", None, None, None, (),
                        m.group(2), m.group(1))
    m = re.search(r'Usage of EmptyDir volume "([^"]+)" exceeds the limit "([^"]+)"', message)
    if m:
        return Eviction("emptydir", "ephemeral-storage", None, None, None, (), m.group(2),
                        m.group(1))
    m = re.search(r"Pod ephemeral local storage usage exceeds the total limit of containers "
                  r"(\S+?)\.?(?:\s|$)", message)
    if m:
        return Eviction("pod-limit", "ephemeral-storage", None, None, None, (), m.group(1))
    resource = None
    m = re.search(r"low on resource: ([\w/-]+(?:\.[\w/-]+)*)", message)
    if m:
        resource = m.group(1)
    cond = None
    m = re.search(r"had condition: (\[[^\]]*\])", message)
    if m:
        cond = m.group(1)
    threshold = available = None
    m = re.search(r"Threshold quantity: ([^,]+), available: ([^.\s]+(?:\.\d+)?[^.\s]*)", message)
    if m:
        threshold, available = m.group(1).strip(), m.group(2).strip()
    containers: list[tuple[str, str, str]] = []
    for m in re.finditer(r"Container (\S+) was using (\S+?),\s*(?:request is|which exceeds its "
                         r"request of) ([^,.\s]+(?:\.\d+)?[^,.\s]*)", message):
        containers.append((m.group(1), m.group(2), m.group(3)))
    kind: EvictionKind = "node" if (resource or cond) else "unknown"
    return Eviction(kind, resource, cond, threshold, available, tuple(containers))


# --- admission rejections ------------------------------------------------------------------

ADMISSION_PREFIXES = ("Pod was rejected: ", "Pod ")

ADMISSION_REASONS = frozenset({
    "NodeAffinity", "NodeName", "NodePorts", "TaintToleration", "UnexpectedAdmissionError",
    "TopologyAffinityError", "SMTAlignmentError", "InvalidNodeInfo", "SysctlForbidden",
    "AppArmor", "PodOSNotSupported", "PodOSSelectorNodeLabelDoesNotMatch",
    "InitContainerRestartPolicyForbidden", "SupplementalGroupsPolicyNotSupported",
    "PodLevelResourcesNotSupported", "PodFeatureUnsupported", "VolumeAttachmentLimitExceeded",
    "UnknownReason", "UnexpectedPredicateFailureType", "Forbidden", "NodeNotReady",
})


def is_admission_reason(reason: str) -> bool:
    return reason.startswith("OutOf") or reason in ADMISSION_REASONS


def strip_admission_prefix(message: str) -> str:
    for p in ADMISSION_PREFIXES:
        if message.startswith(p):
            return message[len(p):]
    return message


# --- volumes --------------------------------------------------------------------------------

@dataclass(frozen=True)
class MountProblem:
    volume: str | None
    kind: str | None  # configmap | secret | persistentvolumeclaim | key | timeout | other
    object: str | None  # the missing object's name (or key)
    specific: bool  # False for the "Unable to attach or mount volumes" summary


def parse_mount(message: str) -> MountProblem:
    msg = strip_combined(message)
    vol = None
    m = re.search(r'for volume "([^"]+)"', msg)
    if m:
        vol = m.group(1)
    m = re.search(r'(configmap|secret|persistentvolumeclaim)s? "([^"]+)" not found', msg, re.I)
    if m:
        return MountProblem(vol, m.group(1).lower(), m.group(2), True)
    m = re.search(r"references non-existent config key: (\S+)", msg)
    if m:
        return MountProblem(vol, "key", m.group(1), True)
    if msg.startswith(("Unable to attach or mount volumes", "Unable to mount volumes")):
        m = re.search(r"unmounted volumes=\[([^\]]*)\]", msg)
        unmounted = m.group(1).split() if m else []
        return MountProblem(unmounted[0] if unmounted else vol, "timeout", None, False)
    return MountProblem(vol, "other", None, True)


# --- image pulls ----------------------------------------------------------------------------

#: HTTP statuses as registries and runtimes print them ("429 Too Many Requests", "status
#: code 401", "unexpected status: 403 Forbidden"); a bare number in an image tag or digest
#: (build-4291, sha256:...429...) is not one
_HTTP_STATUS = re.compile(r"(?:\bstatus(?: code)?:?\s*|\b)(401|403|429)\b"
                          r"(?:\s+(?:unauthorized|forbidden|too many requests))?", re.I)


def _http_statuses(t: str) -> set[str]:
    found = set()
    for m in _HTTP_STATUS.finditer(t):
        whole = m.group(0).lower()
        # only a status said as one: "status 429", "429 Too Many Requests", "401 Unauthorized"
        if whole.startswith("status") or any(w in whole for w in ("unauthorized", "forbidden",
                                                                  "too many")):
            found.add(m.group(1))
    return found


def classify_image_error(text: str) -> str:
    """Classify a pull error: not-found, unauthorized, unreachable, rate-limited or unknown."""
    t = text.lower()
    codes = _http_statuses(text)
    if "429" in codes or "too many requests" in t or "toomanyrequests" in t or "rate limit" in t:
        return "rate-limited"
    if ("pull access denied" in t or re.search(r"\bunauthorized\b", t) or codes & {"401", "403"}
            or "authorization failed" in t or "authentication required" in t
            or "insufficient_scope" in t or "denied:" in t):
        return "unauthorized"
    if ("not found" in t or "manifest unknown" in t or "no such image" in t
            or "name unknown" in t or "no match for platform" in t or "does not exist" in t):
        return "not-found"
    if ("no such host" in t or "i/o timeout" in t or "connection refused" in t
            or "dial tcp" in t or "x509" in t or "tls" in t or "timeout" in t
            or "deadline exceeded" in t or "network is unreachable" in t
            or "connection reset" in t or "eof" in t.split()):
        return "unreachable"
    return "unknown"


def image_of(text: str) -> str | None:
    m = re.search(r'(?:pull|pulling) image "([^"]+)"', text, re.I)
    return m.group(1) if m else None


# --- container config -----------------------------------------------------------------------

def parse_config_error(message: str) -> tuple[str, str | None]:
    """(kind, object) for a CreateContainerConfigError message."""
    m = re.search(r'(secret|configmap)s? "([^"]+)" not found', message, re.I)
    if m:
        return m.group(1).lower(), m.group(2)
    m = re.search(r"couldn't find key (\S+) in (Secret|ConfigMap) (\S+)", message)
    if m:
        return f"{m.group(2).lower()}-key", f"{m.group(1)} in {m.group(2)} {m.group(3)}"
    if "runAsNonRoot" in message:
        return "run-as-non-root", None
    m = re.search(r"unable to find target container (\S+)", message)
    if m:
        return "target-container", m.group(1)
    return "other", None


def missing_binary(message: str) -> str | None:
    """The command the runtime could not find (``exec: "X": executable file not found in
    $PATH``, ``stat X: no such file or directory``), else None."""
    m = re.search(r'exec: "([^"]+)": (?:executable file not found|stat .*: no such file)', message)
    return m.group(1) if m else None


def start_failure(message: str) -> str | None:
    """Why the runtime could not start a container's command, from runc's message
    (libcontainer: ``exec: "X": <reason>``): not found, not executable, or built for another
    architecture; None when the message says nothing of the kind."""
    missing = missing_binary(message)
    if missing:
        return f"executable {missing!r} not found"
    m = re.search(r'exec: "([^"]+)": ([^:]*)', message)
    if not m:
        return None
    command, why = m.group(1), m.group(2).strip()
    if "permission denied" in why:
        return (f"{command!r} is not executable (permission denied: its file mode, or a "
                "noexec mount)")
    if "exec format error" in why:
        return (f"{command!r} cannot run on this node (exec format error: built for another "
                "CPU architecture, or a script without a #! line)")
    if "no such file or directory" in why:
        return (f"{command!r} cannot run: no such file or directory (a missing interpreter "
                "named by its #! line, or a missing dynamic loader)")
    return f"{command!r} cannot run: {why}" if why else None


# --- exit codes -----------------------------------------------------------------------------

_SIGNAL_NAMES = {int(s): s.name for s in _signal.Signals if s.name.startswith("SIG")
                 and not s.name.startswith("SIG_")}
_EXIT_MEANINGS = {
    1: "application error",
    2: "invalid usage or arguments; a Go program exits 2 when it panics",
    126: "command found but not executable",
    127: "command not found",
    128: "the runtime could not start the process",
    255: "exit status out of range",
}
_SIGNAL_MEANINGS = {
    9: "killed (SIGKILL): OOM, a liveness kill after the grace period, or an external kill",
    15: "terminated (SIGTERM): asked to stop",
    11: "segmentation fault (SIGSEGV)",
    6: "aborted (SIGABRT)",
    2: "interrupted (SIGINT)",
    1: "hang-up (SIGHUP)",
    7: "bus error (SIGBUS)",
    4: "illegal instruction (SIGILL)",
}


def exit_meaning(exit_code: int, signal: int = 0) -> str:
    """Plain-language meaning of an exit code or signal (137 is not OOM unless OOMKilled)."""
    if signal:
        return _SIGNAL_MEANINGS.get(signal, f"killed by signal {_SIGNAL_NAMES.get(signal, signal)}")
    if exit_code in _EXIT_MEANINGS:
        return _EXIT_MEANINGS[exit_code]
    if 128 < exit_code < 160:
        sig = exit_code - 128
        return _SIGNAL_MEANINGS.get(sig, f"killed by signal {_SIGNAL_NAMES.get(sig, sig)}")
    return "application error"


def probe_kind(message: str) -> str | None:
    """Liveness, Readiness or Startup from an Unhealthy event message (prober.go formats)."""
    m = re.match(r"(Liveness|Readiness|Startup) probe (?:failed|errored)", message)
    return m.group(1) if m else None

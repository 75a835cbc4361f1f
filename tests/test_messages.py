"""The message parsers tolerate every phrasing in the catalog's drift table."""
from __future__ import annotations

import pytest

from kubectl_podwhy.rules import messages as m

NEW = ("0/3 nodes are available: 1 node(s) had untolerated taint "
       "{node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu. preemption: 0/3 nodes are "
       "available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found "
       "for incoming pod.")


def test_fit_error_names_dominant_clause_and_ignores_preemption_counts() -> None:
    fit = m.parse_fit_error(NEW)
    assert fit.total_nodes == 3
    assert [(c.count, c.bucket) for c in fit.clauses] == [(1, "taints"), (2, "resources")]
    assert fit.dominant is not None
    assert fit.dominant.text == "Insufficient cpu"
    assert fit.preemption.startswith("preemption:")
    assert m.taint_keys(fit.clauses[0].text) == ["node-role.kubernetes.io/control-plane"]


@pytest.mark.parametrize("clause", [
    "node(s) had taints that the pod didn't tolerate",
    "node(s) had taint {dedicated: gpu}, that the pod didn't tolerate",
    "node(s) had untolerated taint {dedicated: gpu}",
    "node(s) had untolerated taint(s)",
])
def test_every_taint_phrasing_is_a_taint_clause(clause: str) -> None:
    fit = m.parse_fit_error(f"0/2 nodes are available: 2 {clause}.")
    assert [(c.count, c.bucket) for c in fit.clauses] == [(2, "taints")]


@pytest.mark.parametrize(("clause", "bucket"), [
    ("node(s) didn't match node selector", "affinity"),
    ("node(s) didn't match Pod's node affinity/selector", "affinity"),
    ("node(s) had volume node affinity conflict", "volumes"),
    ("node(s) didn't match PersistentVolume's node affinity", "volumes"),
    ("node(s) didn't have free ports for the requested pod ports", "host-ports"),
    ("node(s) didn't match pod anti-affinity rules", "topology"),
    ("node(s) didn't match pod topology spread constraints", "topology"),
    ("node(s) were unschedulable", "cordoned"),
    ("Too many pods", "resources"),
    ("Insufficient nvidia.com/gpu", "resources"),
    ("node(s) exceed max volume count", "volumes"),
])
def test_clause_buckets(clause: str, bucket: str) -> None:
    assert m.bucket_of(clause) == bucket


def test_prefilter_rejection_counts_every_node() -> None:
    fit = m.parse_fit_error('0/3 nodes are available: persistentvolumeclaim "data" not found. '
                            "preemption: 0/3 nodes are available: 3 Preemption is not helpful "
                            "for scheduling.")
    assert [(c.count, c.bucket, c.text) for c in fit.clauses] == [
        (3, "volumes", 'persistentvolumeclaim "data" not found')]


def test_old_message_without_preemption_tail_and_combined_prefix() -> None:
    fit = m.parse_fit_error("(combined from similar events): 0/5 nodes are available: "
                            "5 Insufficient memory.")
    assert fit.preemption == ""
    assert fit.dominant is not None
    assert (fit.dominant.count, fit.dominant.text) == (5, "Insufficient memory")


def test_dra_tail_is_cut_before_preemption() -> None:
    fit = m.parse_fit_error("0/1 nodes are available: 1 Insufficient cpu. no new claims to "
                            "deallocate, preemption: 0/1 nodes are available: 1 No preemption "
                            "victims found for incoming pod.")
    assert [c.text for c in fit.clauses] == ["Insufficient cpu"]


def test_no_nodes() -> None:
    assert m.parse_fit_error("no nodes available to schedule pods").total_nodes == 0
    assert m.parse_fit_error("0/0 nodes are available").clauses == ()


@pytest.mark.parametrize("msg", [
    "The node was low on resource: memory. Threshold quantity: 100Mi, available: 56Mi. "
    "Container app was using 1.2Gi, request is 256Mi, has larger consumption of memory. ",
    "The node was low on resource: memory. Container app was using 1.2Gi, which exceeds its "
    "request of 256Mi. ",
])
def test_eviction_message_variants_name_resource_and_container(msg: str) -> None:
    e = m.parse_eviction(msg)
    assert e.resource == "memory"
    assert e.containers == (("app", "1.2Gi", "256Mi"),)


def test_eviction_node_condition_and_ephemeral_storage() -> None:
    assert m.parse_eviction("The node had condition: [DiskPressure]. ").node_condition == \
        "[DiskPressure]"
    e = m.parse_eviction('Container app exceeded its local ephemeral storage limit "1Gi". ')
    assert (e.kind, e.resource, e.subject, e.limit) == (
        "container-limit", "ephemeral-storage", "app", "1Gi")


@pytest.mark.parametrize(("msg", "kind", "subject", "limit"), [
    # pkg/kubelet/eviction/helpers.go: the pod broke a limit of its own, the node was fine
    ('Container consumer-ui exceeded its local ephemeral storage limit "20Mi". ',
     "container-limit", "consumer-ui", "20Mi"),
    ("Pod ephemeral local storage usage exceeds the total limit of containers 100Mi. ",
     "pod-limit", None, "100Mi"),
    ('Usage of EmptyDir volume "cache" exceeds the limit "1Gi". ', "emptydir", "cache", "1Gi"),
    # the node ran low
    ("The node was low on resource: ephemeral-storage. Threshold quantity: 10Gi, available: "
     "9Gi. Container app was using 2Gi, request is 0, has larger consumption of "
     "ephemeral-storage. ", "node", None, None),
    ("The node had condition: [DiskPressure]. ", "node", None, None),
    ("something else entirely", "unknown", None, None),
])
def test_eviction_says_whether_the_node_or_a_limit_of_the_pod_ran_out(
        msg: str, kind: str, subject: str | None, limit: str | None) -> None:
    e = m.parse_eviction(msg)
    assert (e.kind, e.subject, e.limit) == (kind, subject, limit)


@pytest.mark.parametrize(("msg", "kind", "obj"), [
    ('MountVolume.SetUp failed for volume "cert" : secret "webhook-server-cert" not found',
     "secret", "webhook-server-cert"),
    ('MountVolume.SetUp failed for volume "cfg" : configmap "redis-conig" not found',
     "configmap", "redis-conig"),
    ('MountVolume.SetUp failed for volume "cfg" : configmap references non-existent config '
     "key: missing-key", "key", "missing-key"),
    ("Unable to attach or mount volumes: unmounted volumes=[data], unattached volumes=[data "
     "kube-api-access-x], failed to process volumes=[]: timed out waiting for the condition",
     "timeout", None),
])
def test_mount_messages(msg: str, kind: str, obj: str | None) -> None:
    p = m.parse_mount(msg)
    assert (p.kind, p.object) == (kind, obj)


@pytest.mark.parametrize(("text", "cls"), [
    ('failed to pull and unpack image "docker.io/library/nginx:nope": failed to resolve '
     'reference "docker.io/library/nginx:nope": docker.io/library/nginx:nope: not found',
     "not-found"),
    ("pull access denied, repository does not exist or may require authorization: server "
     "message: insufficient_scope: authorization failed", "unauthorized"),
    ('failed to do request: Head "https://registry.internal/v2/app/manifests/1": dial tcp: '
     "lookup registry.internal on 10.96.0.10:53: no such host", "unreachable"),
    ("429 Too Many Requests - Server message: toomanyrequests: You have reached your pull "
     "rate limit.", "rate-limited"),
    ('Back-off pulling image "x"', "unknown"),
])
def test_image_error_classes(text: str, cls: str) -> None:
    assert m.classify_image_error(text) == cls


@pytest.mark.parametrize(("code", "signal", "meaning"), [
    (1, 0, "application error"), (127, 0, "command not found"), (137, 0, "SIGKILL"),
    (139, 0, "SIGSEGV"), (143, 0, "SIGTERM"), (0, 9, "SIGKILL"),
])
def test_exit_meanings(code: int, signal: int, meaning: str) -> None:
    assert meaning in m.exit_meaning(code, signal)


def test_config_error_objects() -> None:
    assert m.parse_config_error('secret "db-creds" not found') == ("secret", "db-creds")
    assert m.parse_config_error("couldn't find key API_TOKEN in Secret shop/app-secrets") == \
        ("secret-key", "API_TOKEN in Secret shop/app-secrets")
    assert m.parse_config_error("container has runAsNonRoot and image will run as root")[0] == \
        "run-as-non-root"

"""Images: a container waiting for an image it cannot get (PW201-PW207)."""
from __future__ import annotations

from kubectl_podwhy.report import Evidence, Finding
from kubectl_podwhy.rules import messages as m
from kubectl_podwhy.rules.base import (
    K8S,
    Rule,
    container_events,
    ev,
    finding,
    kubectl,
    waiting_evidence,
    where,
)
from kubectl_podwhy.snapshot import Container, PodSnapshot

IMAGE_NOT_FOUND = Rule(
    id="PW201", fail_fast="yes", name="image-not-found", level="container",
    title="Image not found",
    why="The registry has no such repository or tag (a typo, a tag never pushed, a wrong "
        "platform).",
    fix="Fix the image name or tag, or push the image.",
    docs=f"{K8S}/concepts/containers/images/")

IMAGE_PULL_UNAUTHORIZED = Rule(
    id="PW202", fail_fast="yes", name="image-pull-unauthorized", level="container",
    title="Image pull not authorized",
    why="The registry refused the pull: credentials are missing or wrong, or the repository is "
        "private (registries also say this for repositories that do not exist).",
    fix="Add or fix imagePullSecrets in the pod's namespace (or the service account's).",
    docs=f"{K8S}/tasks/configure-pod-container/pull-image-private-registry/")

REGISTRY_UNREACHABLE = Rule(
    id="PW203", name="registry-unreachable", level="container",
    title="Registry unreachable",
    why="The node cannot reach the registry: DNS, connection refused, timeout, proxy or TLS "
        "certificate errors.",
    fix="Check the node's DNS, egress, proxy and the registry's certificate.",
    docs=f"{K8S}/concepts/containers/images/")

IMAGE_PULL_RATE_LIMITED = Rule(
    id="PW204", name="image-pull-rate-limited", level="container",
    title="Registry rate limit reached",
    why="The registry answered 429 Too Many Requests.",
    fix="Authenticate pulls, use a pull-through mirror, or pin images to a digest already cached.",
    docs=f"{K8S}/concepts/containers/images/")

IMAGE_PULL_FAILED = Rule(
    id="PW205", name="image-pull-failed", level="container",
    title="Image pull failing",
    why="The image cannot be pulled and the exact error is no longer in the status or events "
        "(or it is not one podwhy classifies).",
    fix="Run the pull by hand on the node (crictl pull) or read the kubelet log.",
    docs=f"{K8S}/concepts/containers/images/")

INVALID_IMAGE_NAME = Rule(
    id="PW206", fail_fast="yes", name="invalid-image-name", level="container",
    title="Invalid image name",
    why="The image reference in the pod spec cannot be parsed (bad characters, upper case, a "
        "stray space or scheme).",
    fix="Fix the image string (registry/repository:tag or @sha256:digest, lower case).",
    docs=f"{K8S}/concepts/containers/images/#image-names")

IMAGE_NEVER_PULL = Rule(
    id="PW207", fail_fast="yes", name="image-never-pull", level="container",
    title="Image not on the node and pull policy is Never",
    why="imagePullPolicy: Never and the image is not present on the node.",
    fix="Load the image onto the node (kind load, minikube image load) or change the policy.",
    docs=f"{K8S}/concepts/containers/images/#image-pull-policy")

RULES: tuple[Rule, ...] = (IMAGE_NOT_FOUND, IMAGE_PULL_UNAUTHORIZED, REGISTRY_UNREACHABLE,
                          IMAGE_PULL_RATE_LIMITED, IMAGE_PULL_FAILED, INVALID_IMAGE_NAME,
                          IMAGE_NEVER_PULL)

#: the waiting reasons of an image pull that fails
PULL_REASONS = frozenset({"ErrImagePull", "ImagePullBackOff", "RegistryUnavailable",
                          "SignatureValidationFailed", "ImageInspectError",
                          "ErrImageNotEnsured"})
#: the waiting reasons this family explains
WAITING_REASONS = PULL_REASONS | {"InvalidImageName", "ErrImageNeverPull"}


def check_waiting(pod: PodSnapshot, c: Container) -> list[Finding]:
    """A container waiting with one of WAITING_REASONS."""
    r, msg = c.state.reason, c.state.message
    if r == "InvalidImageName":
        return [finding(INVALID_IMAGE_NAME, r, f"image name {c.image!r} of {where(c)} is invalid",
                        detail=msg, evidence=[waiting_evidence(c)], container=c)]
    if r == "ErrImageNeverPull":
        return [finding(IMAGE_NEVER_PULL, r,
                        f"image {c.image} is not on node {pod.node_name or '?'} and "
                        "imagePullPolicy is Never", detail=msg,
                        evidence=[waiting_evidence(c)]
                        + [ev(e) for e in container_events(pod, c, r)[-1:]],
                        container=c)]
    return [_pull_failed(pod, c)]


def _pull_failed(pod: PodSnapshot, c: Container) -> Finding:
    """Name why the pull fails from the newest classifiable pull error (events, then the
    waiting message): not found, unauthorized, unreachable, rate limited."""
    reason = c.state.reason
    pulls = [e for e in container_events(pod, c, "Failed")
             if "pull" in e.message.lower() and not e.message.startswith("Error: ")]
    texts = [e.message for e in reversed(pulls)] + [c.state.message]
    cls = "unknown"
    used = ""
    for t in texts:
        if t:
            cls = m.classify_image_error(t)
            used = t
            if cls != "unknown":
                break
    if reason == "RegistryUnavailable":
        cls = "unreachable"
    image = m.image_of(used) or c.image
    rule, what = {
        "not-found": (IMAGE_NOT_FOUND, "not found"),
        "unauthorized": (IMAGE_PULL_UNAUTHORIZED, "pull not authorized"),
        "unreachable": (REGISTRY_UNREACHABLE, "registry unreachable"),
        "rate-limited": (IMAGE_PULL_RATE_LIMITED, "registry rate limit (429)"),
    }.get(cls, (IMAGE_PULL_FAILED, "cannot be pulled"))
    summary = f"image {image} {what}"
    if cls == "unknown" and reason in ("SignatureValidationFailed", "ImageInspectError",
                                       "ErrImageNotEnsured"):
        summary = f"image {image}: {reason}"
    elif cls == "unknown":
        summary += " (the detailed pull error has expired; only the back-off is on record)"
    evidence: list[Evidence] = [waiting_evidence(c)]
    evidence += [ev(e) for e in pulls[-2:]]
    hint = None
    secret_events = pod.events_with("FailedToRetrieveImagePullSecret")
    if cls == "unauthorized":
        evidence += [ev(e) for e in secret_events[-1:]]
        if secret_events:
            summary += "; " + secret_events[-1].message.split(";")[0]
            hint = ("Create the image pull secret named in the event in namespace "
                    f"{pod.namespace}, or fix imagePullSecrets.")
    detail = used if used and used != c.state.message else c.state.message
    return finding(rule, reason, summary, detail=detail, evidence=evidence, container=c,
                   hint=hint, next_command=kubectl("get", "events", "-n", pod.namespace,
                                                   "--field-selector",
                                                   f"involvedObject.uid={pod.uid}"))

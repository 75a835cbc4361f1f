"""Ephemeral (debug) containers: information only, never the verdict (PW270)."""
from __future__ import annotations

from datetime import datetime

from kubectl_podwhy.report import Finding
from kubectl_podwhy.rules.base import K8S, Rule, field, finding
from kubectl_podwhy.snapshot import Container, PodSnapshot

EPHEMERAL_CONTAINER = Rule(
    id="PW270", name="ephemeral-container", level="container",
    title="Ephemeral (debug) container problem",
    why="A kubectl debug container failed; this never affects the pod's health.",
    fix="Fix the debug image or --target and run kubectl debug again.",
    docs=f"{K8S}/concepts/workloads/pods/ephemeral-containers/",
    severity="warning")

RULES: tuple[Rule, ...] = (EPHEMERAL_CONTAINER,)


def check_container(pod: PodSnapshot, c: Container, now: datetime) -> list[Finding]:
    """A debug container that failed: a warning, never the pod's verdict."""
    st = c.state
    bad = ""
    if st.kind == "waiting" and st.reason not in ("", "ContainerCreating", "PodInitializing"):
        bad = st.reason
    elif st.kind == "terminated" and st.terminated is not None and st.terminated.exit_code \
            not in (0, 130, 137, 143):
        bad = st.reason or "Error"
    if not bad:
        return []
    target = f" (targeting {c.target})" if c.target else ""
    detail = st.message
    return [finding(EPHEMERAL_CONTAINER, bad,
                    f"debug container {c.name}{target}: {bad}"
                    + (f": {detail[:160]}" if detail else "") + " (does not affect the pod)",
                    detail=detail,
                    evidence=[field(f"{c.status_path}.state.{st.kind}",
                                    f"{bad}: {detail}".strip(": "))], container=c)]

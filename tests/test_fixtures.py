"""Every fixture in tests/fixtures gives exactly the verdict its Expectation document states."""
from __future__ import annotations

from pathlib import Path

import pytest

from kubectl_podwhy.verdict import exit_code
from tests.fixturelib import (
    assert_report,
    assert_workload,
    fixture_paths,
    load_fixture,
    run_fixture,
)


@pytest.mark.parametrize("path", fixture_paths(), ids=lambda p: p.stem)
def test_fixture_gives_expected_verdict(path: Path) -> None:
    fx = load_fixture(path)
    result = run_fixture(fx)
    reports = {r.pod.key: r for r in result.pods}
    assert fx.pods or fx.expectation.get("workloads"), f"{path.name}: the Expectation is empty"
    for want in fx.pods:
        assert want["pod"] in reports, f"{path.name}: no pod {want['pod']} in {list(reports)}"
        assert_report(reports[want["pod"]], want, f"{path.name} {want['pod']}")
    if "exit" in fx.expectation:  # what `kubectl podwhy -f FILE [targets]` exits with
        assert int(exit_code(result)) == fx.expectation["exit"], f"{path.name}: exit code"
    workloads = {w.view.workload.key: w for w in result.workloads}
    if "workloads" in fx.expectation:  # exactly these workloads, no more
        assert sorted(workloads) == sorted(w["workload"] for w in fx.expectation["workloads"])
    for want in fx.expectation.get("workloads") or []:
        assert want["workload"] in workloads, f"{path.name}: no {want['workload']}"
        assert_workload(workloads[want["workload"]], want, f"{path.name} {want['workload']}")

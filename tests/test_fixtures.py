"""Every fixture in tests/fixtures gives exactly the verdict its Expectation document states."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixturelib import assert_report, diagnose_files, fixture_paths, load_fixture


@pytest.mark.parametrize("path", fixture_paths(), ids=lambda p: p.stem)
def test_fixture_gives_expected_verdict(path: Path) -> None:
    fx = load_fixture(path)
    reports = diagnose_files([path], fx.now)
    assert fx.pods, f"{path.name}: the Expectation lists no pods"
    for want in fx.pods:
        assert want["pod"] in reports, f"{path.name}: no pod {want['pod']} in {list(reports)}"
        assert_report(reports[want["pod"]], want, f"{path.name} {want['pod']}")

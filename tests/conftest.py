"""Suite-wide guard: under CI=true a skipped live test fails the run (a skipped live tier is a
failing CI); on a laptop without Go or Docker the live tier may skip with its reason.
Session fixtures for the release checks: ``make dist`` once, the krew tools once per machine."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.distlib import DistBuild, build_dist, build_krew_tools

_skipped_live: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and "live" in report.keywords:
        _skipped_live.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if os.environ.get("CI", "").lower() == "true" and _skipped_live:
        print(f"\nCI=true but {len(_skipped_live)} live test(s) were skipped: "
              f"{_skipped_live[:5]}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session")
def dist_build() -> DistBuild:
    """``make dist``, once per session (tests/distlib.py)."""
    return build_dist()


@pytest.fixture(scope="session")
def krew_tools() -> Path:
    """The directory of krew and validate-krew-manifest, built once per machine."""
    return build_krew_tools()

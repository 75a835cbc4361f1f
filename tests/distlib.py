"""The release build, for the tests that check it (tests/test_dist.py and
tests/live/test_krew_install.py).

``make dist`` runs once per session (the ``dist_build`` fixture in tests/conftest.py) and the
krew tools are built once per machine (``krew_tools``). Outside CI a test that needs PyPI, Go
or a supported platform skips with the reason when one is missing; with ``CI=true`` it fails.
"""
from __future__ import annotations

import os
import subprocess
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import pytest

ROOT = Path(__file__).resolve().parent.parent
_SCRIPTS = ROOT / "scripts"
if str(_SCRIPTS) not in sys.path:
    sys.path.insert(0, str(_SCRIPTS))

import dist as dist  # noqa: E402, PLC0414 (re-exported for the tests)

DIST = ROOT / "dist"
EXAMPLE = "examples/"


def unavailable(reason: str) -> NoReturn:
    """Skip the test with ``reason``, or fail it when ``CI=true`` (CI must run it)."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"cannot run in CI: {reason}", pytrace=False)
    pytest.skip(reason)


def pypi_reachable(timeout: float = 10.0) -> bool:
    """True when pip's index (``PIP_INDEX_URL``, default PyPI) answers within ``timeout``
    seconds."""
    url = os.environ.get("PIP_INDEX_URL", "https://pypi.org/simple/").rstrip("/") + "/pip/"
    try:
        with urllib.request.urlopen(url, timeout=timeout):
            return True
    except (urllib.error.URLError, OSError):
        return False


@dataclass(frozen=True)
class DistBuild:
    """What ``make dist`` wrote for this version and platform."""

    version: str
    os: str
    arch: str

    @property
    def archive(self) -> Path:
        return DIST / dist.archive_name(self.version, self.os, self.arch)

    @property
    def tree(self) -> Path:
        return DIST / dist.tree_name(self.os, self.arch)

    @property
    def exe(self) -> Path:
        return self.tree / dist.BIN

    @property
    def wheel(self) -> Path:
        return DIST / f"kubectl_podwhy-{self.version}-py3-none-any.whl"

    @property
    def sdist(self) -> Path:
        return DIST / f"kubectl_podwhy-{self.version}.tar.gz"

    @property
    def manifest(self) -> Path:
        return DIST / "krew-manifest.yaml"

    @property
    def check_venv_bin(self) -> Path:
        """The bin directory of the venv holding twine and pipx."""
        return ROOT / "build" / "venv-check" / "bin"


def build_dist() -> DistBuild:
    """Run ``make dist`` (as a person would); fail with its output's tail if it fails."""
    try:
        os_name, arch = dist.host_platform()
    except dist.DistError as e:
        unavailable(str(e))
    if os.environ.get("CI", "").lower() != "true" and not pypi_reachable():
        unavailable("PyPI is not reachable: make dist installs its tools from it")
    r = subprocess.run(["make", "dist"], cwd=ROOT, capture_output=True, text=True,
                       check=False, timeout=1800)
    if r.returncode != 0:
        pytest.fail(f"make dist failed ({r.returncode}):\n{(r.stdout + r.stderr)[-4000:]}",
                    pytrace=False)
    return DistBuild(dist.package_version(), os_name, arch)


def build_krew_tools() -> Path:
    """The directory of ``krew`` and ``validate-krew-manifest`` (built once per machine)."""
    try:
        return dist.krew_tools()
    except dist.DistError as e:
        unavailable(str(e))
    except subprocess.CalledProcessError as e:
        pytest.fail(f"building the krew tools failed: {e}", pytrace=False)


def dev_run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The development install (this interpreter, ``python -m kubectl_podwhy``)."""
    return subprocess.run([sys.executable, "-m", "kubectl_podwhy", *args], cwd=ROOT,
                          capture_output=True, text=True, check=False, timeout=120,
                          env=env)

"""The project's packaging stays installable: krew manifest, console script, metadata."""
from __future__ import annotations

import configparser
import re
from pathlib import Path

import yaml

from kubectl_podwhy import __version__
from tests.distlib import dist

ROOT = Path(__file__).parent.parent


def test_krew_manifest_is_a_valid_v1alpha2_plugin_for_podwhy() -> None:
    m = yaml.safe_load((ROOT / "krew-manifest.yaml").read_text())
    assert m["apiVersion"] == "krew.googlecontainertools.github.com/v1alpha2"
    assert m["kind"] == "Plugin"
    assert m["metadata"]["name"] == "podwhy"
    spec = m["spec"]
    assert spec["version"] == f"v{__version__}"
    assert re.fullmatch(r"v\d+\.\d+\.\d+", spec["version"])
    assert spec["shortDescription"]
    assert len(spec["shortDescription"]) <= 60
    assert spec["homepage"].startswith("https://")
    for p in spec["platforms"]:
        assert p["uri"].startswith("https://")
        assert re.fullmatch(r"[0-9a-f]{64}", p["sha256"])
        assert p["bin"] == "kubectl-podwhy"
        assert p["selector"].get("matchLabels") or p["selector"].get("matchExpressions")
        assert any(f["from"] == p["bin"] for f in p["files"])


def test_console_scripts_are_the_plugin_and_its_kubectl_completion() -> None:
    """kubectl finds the plugin as kubectl-podwhy on PATH, and (1.26+) its completion as
    kubectl_complete-podwhy (kubectl's pkg/cmd/plugin/plugin_completion.go)."""
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    scripts = cfg["options.entry_points"]["console_scripts"].strip().splitlines()
    assert scripts == ["kubectl-podwhy = kubectl_podwhy.__main__:main",
                       "kubectl_complete-podwhy = kubectl_podwhy.cli:kubectl_complete"]
    deps = cfg["options"]["install_requires"]
    for dep in ("kubernetes", "click", "tabulate", "PyYAML"):
        assert dep in deps


def test_committed_krew_manifest_is_the_templates_output_for_the_platforms_it_lists() -> None:
    """Edit scripts/krew-manifest.yaml.in, never krew-manifest.yaml: `make dist krew-manifest`
    writes it (a release, with the sha256 of its archives: docs/release.md)."""
    text = (ROOT / "krew-manifest.yaml").read_text()
    platforms = [dist.Platform(p["selector"]["matchLabels"]["os"],
                               p["selector"]["matchLabels"]["arch"], p["sha256"])
                 for p in yaml.safe_load(text)["spec"]["platforms"]]
    assert platforms
    assert all(set(p.sha256) != {"0"} for p in platforms)  # no placeholder
    assert text == dist.render_manifest(__version__, platforms)


def test_readme_install_names_the_current_versions_artefacts() -> None:
    readme = (ROOT / "README.md").read_text()
    install = readme.split("## Install\n", 1)[1].split("\n## ", 1)[0]
    assert f"dist/{dist.archive_name(__version__, 'linux', 'amd64')}" in install
    assert f"dist/kubectl_podwhy-{__version__}-py3-none-any.whl" in install
    assert dist.release_uri(__version__, "krew-manifest.yaml") in install
    assert "--manifest=dist/krew-manifest.yaml" in install

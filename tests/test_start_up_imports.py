"""Start-up stays lean: a run imports only what it needs (issue 11, "fast start").

Start-up is most of a one-pod run, so each kind of run is checked for the modules it must NOT
load, in a fresh interpreter (``sys.modules`` after the run). These are not timings: a
regression here is a heavy import creeping back into a path that does not need it.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kubectl_podwhy.defaults import OUTPUT_FORMATS
from kubectl_podwhy.render import RENDERERS

ROOT = Path(__file__).parent.parent
EXAMPLE = str(ROOT / "examples" / "checkout-oomkilled.yaml")

#: what only --wait / --watch need
FOLLOWING = ("kubectl_podwhy.follow", "kubectl_podwhy.gate", "kubectl_podwhy.sources.watching")
#: what only live runs need: the kubernetes client and its HTTP stack
CLIENT = ("kubernetes", "urllib3", "kubectl_podwhy.sources.cluster")
#: what no run needs: the generated client code (pydantic models, API classes), the
#: client's package-level extras, python-dateutil (the client's date parser), and the OAuth
#: libraries with requests (only an OIDC token refresh needs them)
NEVER = ("pydantic", "dateutil", "kubernetes.client.api_client", "kubernetes.client.api",
         "kubernetes.client.models", "kubernetes.dynamic", "kubernetes.stream",
         "kubernetes.watch", "kubernetes.utils.create_from_yaml", "requests_oauthlib",
         "requests", "oauthlib")
#: the engine: the rules, the snapshot, the renderers
ENGINE = ("kubectl_podwhy.verdict", "kubectl_podwhy.rules.chain", "kubectl_podwhy.snapshot",
          "kubectl_podwhy.render", "tabulate", "yaml")

# Runs the real entry point in this interpreter, then reports what it imported (the exit
# code is kept: a run must behave as usual, not just import less).
_PROBE = """
import json, sys
from kubectl_podwhy.__main__ import main
try:
    main()
except SystemExit as exc:
    code = exc.code
print("\\n" + json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def loaded_by(*args: str, env: dict[str, str] | None = None) -> tuple[int, set[str]]:
    """(exit code, the modules loaded) of ``kubectl podwhy ARGS`` in a fresh interpreter."""
    full_env = {k: v for k, v in os.environ.items() if k not in ("KUBECONFIG", "NO_COLOR")}
    full_env.update(env or {})
    r = subprocess.run([sys.executable, "-c", _PROBE, *args], capture_output=True, text=True,
                       env=full_env, cwd=ROOT, timeout=120, check=False)
    report = json.loads(r.stdout.rsplit("\n", 2)[-2])
    return int(report["code"] or 0), set(report["modules"])


def loaded(modules: set[str], names: tuple[str, ...]) -> list[str]:
    """Which of ``names`` (or their submodules) are in ``modules``."""
    return sorted(m for m in modules for n in names if m == n or m.startswith(n + "."))


@pytest.mark.parametrize("flag", ["--version", "--help"])
def test_version_and_help_load_only_click_and_the_cli(flag: str) -> None:
    code, modules = loaded_by(flag)
    assert code == 0
    assert loaded(modules, ENGINE + FOLLOWING + CLIENT + NEVER) == []


def test_a_file_run_loads_neither_the_client_nor_the_follower() -> None:
    code, modules = loaded_by("-f", EXAMPLE)
    assert code == 1  # the example's pod is failing: the run really diagnosed it
    assert loaded(modules, FOLLOWING + CLIENT + NEVER + ("logging",)) == []


def test_json_input_and_output_load_no_yaml_and_no_table(tmp_path: Path) -> None:
    import yaml

    docs = list(yaml.safe_load_all(Path(EXAMPLE).read_text()))
    path = tmp_path / "in.json"
    path.write_text(json.dumps(docs[0] if len(docs) == 1 else docs))
    code, modules = loaded_by("-f", str(path), "-o", "json")
    assert code == 1
    assert loaded(modules, ("yaml", "tabulate") + FOLLOWING + CLIENT + NEVER) == []


def test_a_live_run_loads_the_client_lean(tmp_path: Path) -> None:
    # a server that refuses the connection: the client is loaded, no request gets through
    config = tmp_path / "kubeconfig"
    config.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "c",
        "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:9"}}],
        "users": [{"name": "u", "user": {"token": "t"}}],
        "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}]}))
    code, modules = loaded_by("web", "-n", "shop", "--request-timeout", "5s",
                              env={"KUBECONFIG": str(config)})
    assert code == 3  # cannot reach the cluster
    assert "kubernetes.config.kube_config" in modules
    assert loaded(modules, FOLLOWING + NEVER) == []


def test_output_choices_are_the_renderers() -> None:
    # the CLI declares -o's choices without importing the renderers
    assert sorted(OUTPUT_FORMATS) == sorted(RENDERERS)

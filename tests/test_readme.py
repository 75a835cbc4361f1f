"""The README shows what the tool prints: every example block that runs `kubectl podwhy -f` on
the bundled examples is compared, byte for byte, with a real run."""
from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
BLOCK = re.compile(r"```\n\$ (kubectl podwhy -f examples/[^\n]*)\n(.*?)```", re.S)


def examples() -> list[tuple[str, str]]:
    return BLOCK.findall((ROOT / "README.md").read_text())


def test_the_readme_has_example_blocks() -> None:
    assert len(examples()) >= 2


@pytest.mark.parametrize(("command", "shown"), examples(), ids=lambda x: str(x)[:60])
def test_readme_example_equals_what_the_tool_prints(command: str, shown: str) -> None:
    args = shlex.split(command)[2:]
    env = {**{k: v for k, v in os.environ.items() if k != "NO_COLOR"},
           "KUBECONFIG": "/dev/null"}
    r = subprocess.run([sys.executable, "-m", "kubectl_podwhy", *args], capture_output=True,
                       text=True, cwd=ROOT, env=env, timeout=60, check=False)
    assert r.stdout == shown

"""``make dist`` builds what a release ships, and each artefact works the way users install it:
the krew archive (a PyInstaller one-folder tree, no Python needed) and its manifest, checked
with krew's own validator; the wheel with pip in a fresh venv and with pipx.

``make dist`` runs once per session (tests/distlib.py); the krew install through kubectl's
plugin discovery against a live cluster is tests/live/test_krew_install.py.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
import yaml

from tests.distlib import DIST, EXAMPLE, ROOT, DistBuild, dev_run, dist, unavailable

COMMITTED_MANIFEST = ROOT / "krew-manifest.yaml"


def _offline_env(home: Path, path: str) -> dict[str, str]:
    """An environment with only ``PATH`` and a scratch ``HOME``: no PYTHON* variables, no
    cluster."""
    return {"PATH": path, "HOME": str(home), "KUBECONFIG": "/dev/null"}


def _same_as_the_dev_install(cmd: list[str], env: dict[str, str]) -> None:
    """``cmd -f examples/ -o json`` prints what the development install prints, with the
    same exit code."""
    got = subprocess.run([*cmd, "-f", EXAMPLE, "-o", "json"], cwd=ROOT, capture_output=True,
                         text=True, check=False, timeout=120, env=env)
    want = dev_run("-f", EXAMPLE, "-o", "json",
                   env={**_offline_env(Path(env["HOME"]), env["PATH"]),
                        "PATH": str(Path(sys.executable).parent)})
    assert got.stderr == want.stderr
    assert (got.returncode, json.loads(got.stdout)) == (want.returncode, json.loads(want.stdout))
    assert want.returncode == 1  # the examples hold failing pods: a real verdict was compared


def _platforms(manifest: dict[str, object]) -> list[tuple[str, str, str]]:
    spec = manifest["spec"]
    assert isinstance(spec, dict)
    return [(p["selector"]["matchLabels"]["os"], p["selector"]["matchLabels"]["arch"],
             p["sha256"]) for p in spec["platforms"]]


def test_make_dist_writes_the_wheel_sdist_krew_archive_tree_and_manifest(
        dist_build: DistBuild) -> None:
    assert dist_build.exe == DIST / f"kubectl-podwhy_{dist_build.os}_{dist_build.arch}" / \
        "kubectl-podwhy"  # the stable path `make bench` runs
    for path in (dist_build.wheel, dist_build.sdist, dist_build.archive, dist_build.manifest):
        assert path.is_file(), path
    assert dist_build.exe.stat().st_mode & 0o111
    assert (dist_build.tree / "LICENSE").read_bytes() == (ROOT / "LICENSE").read_bytes()
    sums = {name: sha for sha, name in (line.split("  ") for line in
                                         (DIST / "SHA256SUMS").read_text().splitlines())}
    assert sums == {p.name: dist.sha256_file(p) for p in
                    (dist_build.archive, dist_build.wheel, dist_build.sdist)}
    with zipfile.ZipFile(dist_build.wheel) as whl:
        names = whl.namelist()
    assert "kubectl_podwhy/cli.py" in names
    assert not [n for n in names if n.startswith("tests/")]
    with tarfile.open(dist_build.sdist) as sdist:
        top = f"kubectl_podwhy-{dist_build.version}"
        assert {f"{top}/LICENSE", f"{top}/setup.cfg", f"{top}/kubectl_podwhy/cli.py"} <= \
            set(sdist.getnames())


def test_the_krew_archive_is_the_one_folder_tree_with_fixed_metadata(
        dist_build: DistBuild, tmp_path: Path) -> None:
    raw = dist_build.archive.read_bytes()
    assert raw[4:8] == b"\0\0\0\0"  # gzip header mtime
    with tarfile.open(dist_build.archive) as tar:
        members = tar.getmembers()
        license_member = tar.extractfile("LICENSE")
        assert license_member is not None
        assert license_member.read() == (ROOT / "LICENSE").read_bytes()
    names = [m.name for m in members]
    assert names == sorted(names)
    # krew extracts only regular files and directories
    assert all(m.isfile() or m.isdir() for m in members)
    assert {(m.mtime, m.uid, m.gid, m.uname, m.gname) for m in members} == \
        {(dist.DEFAULT_EPOCH, 0, 0, "", "")}
    assert set(names) == {p.relative_to(dist_build.tree).as_posix()
                          for p in dist_build.tree.rglob("*")}
    by_name = {m.name: m for m in members}
    assert by_name["kubectl-podwhy"].mode == 0o755
    assert by_name["LICENSE"].mode == 0o644
    assert by_name["_internal"].isdir()
    # the same tree gives the same bytes
    again = tmp_path / dist_build.archive.name
    dist.make_archive(dist_build.tree, again, dist.DEFAULT_EPOCH)
    assert hashlib.sha256(again.read_bytes()).hexdigest() == hashlib.sha256(raw).hexdigest()
    assert gzip.decompress(raw)  # a valid gzip stream to its end


def test_the_generated_manifest_lists_exactly_the_built_archives_with_their_sha256(
        dist_build: DistBuild) -> None:
    manifest = yaml.safe_load(dist_build.manifest.read_text())
    archives = sorted(DIST.glob(f"kubectl-podwhy_v{dist_build.version}_*.tar.gz"))
    assert [a.name for a in archives] == [dist_build.archive.name]
    assert _platforms(manifest) == [(dist_build.os, dist_build.arch,
                                     dist.sha256_file(dist_build.archive))]
    (platform,) = manifest["spec"]["platforms"]
    assert platform["uri"] == ("https://github.com/kubectl-podwhy/kubectl-podwhy/releases/"
                               f"download/v{dist_build.version}/{dist_build.archive.name}")
    assert manifest["spec"]["version"] == f"v{dist_build.version}"
    with tarfile.open(dist_build.archive) as tar:
        top = {n.split("/")[0] for n in tar.getnames()}
    assert {f["from"] for f in platform["files"]} == top
    assert "needs python" not in manifest["spec"]["caveats"].lower()


def test_validate_krew_manifest_accepts_the_generated_manifest(
        dist_build: DistBuild, krew_tools: Path, tmp_path: Path) -> None:
    named = tmp_path / "podwhy.yaml"  # krew takes the plugin's name from the file's
    shutil.copyfile(dist_build.manifest, named)
    r = subprocess.run([str(krew_tools / "validate-krew-manifest"), "-manifest", str(named),
                        "-skip-install"], capture_output=True, text=True, check=False,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    assert "structural validation OK" in r.stderr


def test_validate_krew_manifest_rejects_a_manifest_with_a_broken_sha256(
        dist_build: DistBuild, krew_tools: Path, tmp_path: Path) -> None:
    """The validator is really run: it refuses what krew would refuse."""
    named = tmp_path / "podwhy.yaml"
    text = dist_build.manifest.read_text()
    named.write_text(re.sub(r'sha256: "[0-9a-f]{64}"', 'sha256: "not-a-sha"', text))
    r = subprocess.run([str(krew_tools / "validate-krew-manifest"), "-manifest", str(named),
                        "-skip-install"], capture_output=True, text=True, check=False,
                       timeout=120)
    assert r.returncode != 0
    assert "sha256" in r.stderr


def test_committed_manifest_is_the_template_output_for_built_platforms_only(
        dist_build: DistBuild) -> None:
    """krew-manifest.yaml is what `make dist krew-manifest` writes, apart from the sha256
    (which changes with every packaged change: a release commits its own), and lists no
    platform this build did not make. At the release tag itself the sha256 must be the
    built archive's too (the archive is byte-reproducible on the release image)."""
    committed = yaml.safe_load(COMMITTED_MANIFEST.read_text())
    generated = yaml.safe_load(dist_build.manifest.read_text())
    built = {(os_, arch) for os_, arch, _ in _platforms(generated)}
    listed = [(os_, arch) for os_, arch, _ in _platforms(committed)]
    assert set(listed) <= built, (
        f"krew-manifest.yaml lists {sorted(set(listed) - built)}, which make dist did not build")
    platforms = [dist.Platform(*p) for p in _platforms(committed)]
    assert COMMITTED_MANIFEST.read_text() == dist.render_manifest(dist_build.version, platforms)
    tag = subprocess.run(["git", "describe", "--tags", "--exact-match", "HEAD"], cwd=ROOT,
                         capture_output=True, text=True, check=False).stdout.strip()
    if tag == f"v{dist_build.version}":
        assert _platforms(committed) == _platforms(generated)


def test_the_manifest_caveat_names_the_archives_real_glibc_floor(
        dist_build: DistBuild) -> None:
    if dist_build.os != "linux":
        pytest.skip("glibc matters only for the Linux archive")
    objdump = shutil.which("objdump")
    if objdump is None:
        unavailable("objdump (binutils) is not installed")
    versions: set[tuple[int, int]] = set()
    for path in dist_build.tree.rglob("*"):
        if path.is_file() and path.read_bytes()[:4] == b"\x7fELF":
            out = subprocess.run([objdump, "-T", str(path)], capture_output=True, text=True,
                                 check=True).stdout
            versions |= {(int(a), int(b)) for a, b in re.findall(r"GLIBC_(\d+)\.(\d+)", out)}
    floor = max(versions)
    caveats = yaml.safe_load(dist_build.manifest.read_text())["spec"]["caveats"]
    assert f"glibc {floor[0]}.{floor[1]} or newer" in " ".join(caveats.split())


def test_the_frozen_binary_runs_without_python_and_gives_the_dev_installs_verdicts(
        dist_build: DistBuild, tmp_path: Path) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    assert shutil.which("python3", path=str(empty)) is None
    _same_as_the_dev_install([str(dist_build.exe)], _offline_env(tmp_path, str(empty)))
    r = subprocess.run([str(dist_build.exe), "--version"], capture_output=True, text=True,
                       check=False, env=_offline_env(tmp_path, str(empty)))
    assert r.stdout == f"kubectl-podwhy, version {dist_build.version}\n"


def test_the_wheel_installs_in_a_fresh_venv_with_its_dependencies_from_pypi(
        dist_build: DistBuild, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    r = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
                        "--disable-pip-version-check", str(dist_build.wheel)],
                       capture_output=True, text=True, check=False, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    _same_as_the_dev_install([str(venv / "bin" / "kubectl-podwhy")],
                             _offline_env(tmp_path, "/nonexistent"))


def test_pipx_installs_the_wheel_and_its_command_gives_the_dev_installs_verdicts(
        dist_build: DistBuild, tmp_path: Path) -> None:
    pipx_bin = tmp_path / "pipx-bin"
    env = {"PATH": f"{dist_build.check_venv_bin}:/usr/bin:/bin", "HOME": str(tmp_path),
           "PIPX_HOME": str(tmp_path / "pipx-home"), "PIPX_BIN_DIR": str(pipx_bin),
           "PIPX_MAN_DIR": str(tmp_path / "pipx-man")}
    r = subprocess.run([str(dist_build.check_venv_bin / "pipx"), "install",
                        str(dist_build.wheel)], capture_output=True, text=True, check=False,
                       timeout=900, env=env)
    assert r.returncode == 0, (r.stdout + r.stderr)[-3000:]
    assert (pipx_bin / "kubectl-podwhy").exists()
    _same_as_the_dev_install([str(pipx_bin / "kubectl-podwhy")],
                             _offline_env(tmp_path, "/nonexistent"))


def test_make_archive_refuses_a_symlink_that_krew_could_not_extract(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "kubectl-podwhy").write_text("x")
    (tree / "link").symlink_to("kubectl-podwhy")
    out = tmp_path / "a.tar.gz"
    with pytest.raises(dist.DistError, match="only regular files and directories"):
        dist.make_archive(tree, out, dist.DEFAULT_EPOCH)
    assert list(tmp_path.glob("a.tar.gz*")) == []


@pytest.mark.parametrize(("args", "message"), [
    (["manifest", "--dist", "{tmp}"], "no krew archive kubectl-podwhy_v"),
    (["manifest", "--dist", "{tmp}/missing"], "(run make dist first)"),
])
def test_dist_script_says_what_is_wrong_in_one_line(args: list[str], message: str,
                                                    tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, str(ROOT / "scripts" / "dist.py"),
                        *[a.format(tmp=tmp_path) for a in args]],
                       capture_output=True, text=True, check=False, timeout=60)
    assert r.returncode == 1
    assert r.stdout == ""
    assert r.stderr.startswith("dist: error: ")
    assert message in r.stderr
    assert r.stderr.count("\n") == 1

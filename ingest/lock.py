"""An exclusive lock across threads, processes and machines sharing a folder: a lock file created with
O_CREAT|O_EXCL, holding who took it, where and when.

Why a lock file and not fcntl/flock: the snapshot folder may be a network share mounted by two app servers (issue
#28). Creating a file exclusively is atomic on local disks, NFSv3 and later, and SMB; byte-range locks on shares
depend on a lock daemon and mount options, and can be silently local to one machine. A lock file also works
between threads of one process, where POSIX fcntl locks do not. Its cost is that a holder that dies leaves the file
behind, so a lock is *stale* — and may be broken — when its holder is a process on this machine that no longer
exists, or when the file has not been touched for `stale_after` seconds (a holder that works longer calls
`refresh()`). Breaking is itself safe against a second breaker: the stale file is renamed to a name of the
breaker's own (atomic; only one rename succeeds), and if what was renamed turns out not to be the file judged stale
(someone broke it and locked afresh in between), it is linked straight back.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

LOG = logging.getLogger(__name__)


class LockBusy(Exception):  # noqa: N818 — it is a state the caller reports, not a fault
    """The lock is held by someone else and was not freed in time; the message says by whom, since when."""


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no password entry (some containers): the uid is still an owner
        return f"uid {os.getuid()}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it exists
        return True
    except (OSError, OverflowError, ValueError):
        return False
    return True


@dataclass
class FileLock:
    """`with FileLock(path, purpose="publishing 2025-10-31"):` — waits up to `wait` seconds for the lock, then raises
    LockBusy naming the holder. Reusable for anything that must happen one at a time on a shared folder."""

    path: Path
    purpose: str = ""
    wait: float = 30.0
    stale_after: float = 300.0
    poll: float = 0.05
    token: str = ""

    def __post_init__(self) -> None:
        self.path = Path(self.path)

    def _record(self) -> bytes:
        return json.dumps(
            {
                "token": self.token,
                "owner": _user(),
                "host": socket.gethostname(),
                "pid": os.getpid(),
                "purpose": self.purpose,
                "since": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
        ).encode("utf-8")

    def _create(self) -> bool:
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return False
        try:
            os.write(fd, self._record())
            os.fsync(fd)
        finally:
            os.close(fd)
        return True

    @staticmethod
    def _read(path: Path) -> dict:
        try:
            holder = json.loads(path.read_bytes().decode("utf-8"))
        except (OSError, UnicodeDecodeError, ValueError):
            return {}  # being written this instant, or left half-written by a crash: its age decides
        return holder if isinstance(holder, dict) else {}

    def _stale(self, holder: dict, mtime: float) -> bool:
        here = holder.get("host") == socket.gethostname() and isinstance(holder.get("pid"), int)
        if here and not _alive(holder["pid"]):
            return True
        return time.time() - mtime > self.stale_after

    def _break(self, judged: os.stat_result) -> None:
        """Remove the stale lock file `judged` (by its inode and time), and nothing else."""
        moved = self.path.with_name(f"{self.path.name}.stale-{uuid.uuid4().hex}")
        try:
            os.rename(self.path, moved)
        except FileNotFoundError:
            return  # another process broke it first
        now = os.stat(moved)
        if (now.st_ino, now.st_mtime_ns) != (judged.st_ino, judged.st_mtime_ns):
            with contextlib.suppress(FileExistsError, FileNotFoundError):
                os.link(moved, self.path)  # not the stale one: a fresh lock, put it back
        else:
            LOG.warning("Broke a stale lock %s held by %s", self.path, self._read(moved) or "an unreadable record")
        with contextlib.suppress(FileNotFoundError):
            os.unlink(moved)

    def describe(self, holder: dict) -> str:
        if not holder:
            return "someone whose lock record cannot be read"
        what = f"{holder.get('purpose')}, " if holder.get("purpose") else ""
        return (
            f"{what}by {holder.get('owner', 'someone')} on {holder.get('host', 'another machine')} "
            f"(process {holder.get('pid', '?')}) since {holder.get('since', 'an unknown time')}"
        )

    def acquire(self) -> None:
        self.token = uuid.uuid4().hex
        deadline = time.monotonic() + self.wait
        while True:
            if self._create():
                return
            try:
                judged = os.stat(self.path)
            except FileNotFoundError:
                continue  # freed between the two calls: try again at once
            holder = self._read(self.path)
            if self._stale(holder, judged.st_mtime):
                self._break(judged)
                continue
            if time.monotonic() >= deadline:
                raise LockBusy(f"another task holds the lock: {self.describe(holder)}")
            time.sleep(self.poll)

    def refresh(self) -> None:
        """Touch the lock file, so a long task's lock is not taken for stale."""
        os.utime(self.path)

    def release(self) -> None:
        holder = self._read(self.path)
        if holder.get("token") != self.token:
            LOG.error("Lock %s was no longer ours when released (it was broken as stale)", self.path)
            return
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)

    def __enter__(self) -> FileLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

"""One running bot per SQLite database.

Two bots draining one outbox would both deliver the same rows, so the bot holds an exclusive
lock on `<database>.lock` for as long as it runs. The operating system releases it when the
process ends, however it ends, so a crash never leaves a stale lock behind. Tools that only
read or edit records (`export`, `erase`, `backup`) do not take it. Several processes on one
database are for PostgreSQL.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


class AlreadyRunning(Exception):
    def __init__(self, database: Path, pid: str) -> None:
        holder = f" (process {pid})" if pid else ""
        super().__init__(
            f"another schoolgate is already running on {database}{holder}; "
            "stop it first, or give this one its own storage.path"
        )


class RunLock:
    def __init__(self, database: Path) -> None:
        self.database = database
        self.path = database.with_name(database.name + ".lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise `AlreadyRunning`; the file records our pid for the message."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = os.read(fd, 32).decode(errors="replace").strip()
            os.close(fd)
            raise AlreadyRunning(self.database, pid) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the lock
            self._fd = None

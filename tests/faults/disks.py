"""Small real filesystems for the storage-fault tests: a tmpfs that can be filled to the last
byte, and an ext4 image on a loop device that the kernel makes read-only after an error
(`errors=remount-ro`, triggered through ext4's own `trigger_fs_error`), as it does to a failing
disk. A running process cannot be made to see a read-only filesystem by remounting: Linux
refuses while files are open for writing ("mount point is busy").

Mounting needs root. Where the machine refuses (not root, or a container without the right to
mount or without loop devices) the test is skipped, saying why. Under CI=true only such a
refusal skips: any other failure to set up the disk fails the test.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

TMPFS_SIZE = "16m"
IMAGE_SIZE = 32 * 1024 * 1024
# What a machine says when it cannot mount at all, as opposed to a mistake in the test.
_NOT_ALLOWED = re.compile(
    r"permission denied|must be superuser|operation not permitted|only root|"
    r"failed to setup loop device|no such device|cannot find an unused loop device|"
    r"not supported|read-only file system|not installed",
    re.IGNORECASE,
)


def _refused(what: str, reason: str) -> None:
    """Skip, for a machine that cannot mount; under CI=true fail for anything else."""
    allowed = _NOT_ALLOWED.search(reason) is not None or os.geteuid() != 0
    message = f"skipped: this machine cannot {what} ({' '.join(reason.split())[:200]})"
    if os.environ.get("CI") == "true" and not allowed:
        pytest.fail(message.replace("skipped: ", "", 1))
    pytest.skip(message)


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


def _tools(*names: str) -> None:
    missing = [name for name in names if shutil.which(name) is None]
    if missing:
        _refused("build a small filesystem", f"{', '.join(missing)} not installed")


@contextmanager
def _mounted(folder: Path, *mount: str) -> Iterator[None]:
    if os.geteuid() != 0:
        pytest.skip("skipped: mounting a small filesystem needs root (CI runs as root)")
    done = _run("mount", *mount, str(folder))
    if done.returncode != 0:
        _refused("mount a small filesystem", done.stderr or done.stdout)
    # Never fill or break anything but the filesystem mounted here.
    assert os.path.ismount(folder), f"{folder} is not a mount point"
    try:
        yield
    finally:
        _run("umount", "-l", str(folder))


class FullDisk:
    """A tmpfs of `TMPFS_SIZE` that `fill` fills to the last byte and `free` empties again."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._filler = folder / "filler"

    def fill(self) -> None:
        assert os.path.ismount(self.folder)
        with open(self._filler, "ab", buffering=0) as filler:
            for chunk in (1 << 20, 1 << 12):  # tmpfs hands out 4 KiB pages
                try:
                    while True:
                        filler.write(b"\0" * chunk)
                except OSError as exc:
                    if exc.errno != errno.ENOSPC:
                        raise

    def free(self) -> None:
        self._filler.unlink()


@contextmanager
def full_disk(tmp_path: Path) -> Iterator[FullDisk]:
    folder = tmp_path / "tmpfs"
    folder.mkdir()
    with _mounted(folder, "-t", "tmpfs", "-o", f"size={TMPFS_SIZE},mode=0700", "tmpfs"):
        yield FullDisk(folder)


class FailingDisk:
    """An ext4 image on a loop device: `fail` makes the kernel remount it read-only as after
    an error; `repair` unmounts it, checks it with e2fsck and mounts it read-write again."""

    def __init__(self, folder: Path, image: Path) -> None:
        self.folder = folder
        self._image = image

    def fail(self) -> None:
        device = _run("findmnt", "-n", "-o", "SOURCE", str(self.folder)).stdout.strip()
        trigger = Path("/sys/fs/ext4") / Path(device).name / "trigger_fs_error"
        if not trigger.exists():
            _refused("make ext4 fail on purpose", f"{trigger} does not exist")
        # What was written before reaches the disk first, as it has long since on a real one
        # (the kernel writes back within seconds; an error drops what it had not).
        os.sync()
        trigger.write_text("storage-fault test\n")
        assert "emergency_ro" in self._options() or "ro" in self._options().split(",")

    def repair(self) -> None:
        assert _run("umount", str(self.folder)).returncode == 0
        _run("e2fsck", "-f", "-y", str(self._image))  # 1: errors corrected
        done = _run("mount", "-o", "loop,errors=remount-ro", str(self._image), str(self.folder))
        assert done.returncode == 0, done.stderr
        assert "emergency_ro" not in self._options()

    def _options(self) -> str:
        return _run("findmnt", "-n", "-o", "OPTIONS", str(self.folder)).stdout.strip()


@contextmanager
def failing_disk(tmp_path: Path) -> Iterator[FailingDisk]:
    _tools("mkfs.ext4", "e2fsck", "findmnt")
    image = tmp_path / "ext4.img"
    with open(image, "wb") as file:
        file.truncate(IMAGE_SIZE)
    made = _run("mkfs.ext4", "-q", "-F", str(image))
    assert made.returncode == 0, made.stderr
    folder = tmp_path / "ext4"
    folder.mkdir()
    with _mounted(folder, "-o", "loop,errors=remount-ro", str(image)):
        yield FailingDisk(folder, image)

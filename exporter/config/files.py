"""Reading files named by a configuration: regular files only, and only so much of them.

A FIFO would block the reader until someone writes to it (forever, at --config.check or on a
reload), and /dev/zero or a huge file would fill memory; both are refused before reading.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

# Config files, secrets, CA bundles: a few hundred KiB at most in practice.
MAX_FILE_BYTES = 4 * 2**20


def read_file(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file of at most `limit` bytes; OSError with a short reason else."""
    # O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        if info.st_size > limit:
            raise OSError(errno.EFBIG, f"larger than {limit} bytes", str(path))
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=False) as file:
            data = file.read(limit + 1)  # the file may grow after fstat
    finally:
        os.close(fd)
    if len(data) > limit:
        raise OSError(errno.EFBIG, f"larger than {limit} bytes", str(path))
    return data

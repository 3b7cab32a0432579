"""Whether the service that last ran on a data directory stopped cleanly: `<data>/.stopped-cleanly`.

Stored files are written by the service alone (uploads), each before its record; a file
without a record is left only by a process that died between the two. The service writes the
mark as the very last thing of a clean stop, once every request has ended and every write is
on disk, and takes it away (durably) first thing at start, before it writes anything. So the
mark is there exactly when nothing can have been cut short since the last start: a crash, a
SIGKILL or a power cut leaves none, and the next start looks for files without records in
every year; a clean restart need not read any year's file records. A restored directory has
no mark (a backup does not carry it).
"""

from __future__ import annotations

from pathlib import Path

from service.storage import files

MARK = ".stopped-cleanly"


def record(data_dir: Path) -> None:
    """The service stopped cleanly: everything it wrote is whole."""
    files.atomic_write(data_dir / MARK, b"stopped cleanly\n")


def take(data_dir: Path) -> bool:
    """Whether the last service stopped cleanly; the mark is gone (and that is on disk) when
    this returns, so a crash from now on is seen at the next start."""
    path = data_dir / MARK
    if not path.exists():
        return False
    files.remove(path)
    files.fsync_dir(data_dir)
    return True

"""Whether the data directory was left whole when last let go: `<data>/.stopped-cleanly`.

A stored file is written before its record, so a file without a record is left only by a
process that died between the two: the service (uploads), or any other process that opens the
data directory with the same use cases (a `portal` command), while a service runs or not. The
service writes the mark as the very last thing of a clean stop, once every request has ended and
every write is on disk, and takes it away (durably) first thing at start, before it writes
anything. Every stored file is written by one function (`workflows.uploads.new_file`), which
takes the mark away first in whatever process it runs: a process that stores a file after a
clean stop takes it (the next start scans, whether that process finished or died); one that
stores none (a check, a verification, a change of records alone, which every start mends after
a crash anyway) leaves it. A running service took it at start: for each file it stores, one
look at a missing mark, no flag to keep and no fsync.

So the mark is there exactly when no stored file can have been cut short since the last clean
stop: a crash, a SIGKILL or a power cut of the service or of another writer leaves none, and the
next start looks for files without records in every year; a clean restart need not read any
year's file records. The one case left open is a process still between a file and its record
when a service beside it stops cleanly and writes the mark. A restored directory has no mark (a
backup does not carry it).
"""

from __future__ import annotations

from pathlib import Path

from service.storage import files

MARK = ".stopped-cleanly"


def record(data_dir: Path) -> None:
    """The service stopped cleanly: everything it wrote is whole."""
    files.atomic_write(data_dir / MARK, b"stopped cleanly\n")


def take(data_dir: Path) -> bool:
    """Whether the mark was there (at a service's start: the last one stopped cleanly); it is gone
    (and that is on disk) when this returns, so a crash from now on is seen at the next start.
    Without a mark this is one look at a missing file."""
    path = data_dir / MARK
    if not path.exists():
        return False
    files.remove(path)
    files.fsync_dir(data_dir)
    return True

"""Named fault points for crash tests.

A test sets CHARTDESK_FAULTS="after_temp_write" (comma-separated names) in a
child process's environment; when that process reaches the point it kills
itself with SIGKILL, exactly as a power cut or an OOM kill would stop it. A kill
at a precise instant cannot be caused from outside, so this is the one seam for
it; it costs one environment lookup per point and does nothing otherwise.
"""

from __future__ import annotations

import os
import signal

FAULTS_ENV = "CHARTDESK_FAULTS"

POINTS = (
    "after_temp_write",  # store: temp file written and fsynced, not yet renamed
    "after_rename",  # store: renamed into place, directory not yet fsynced
    "after_commit",  # ingest: database row committed, inbox file not yet removed
    "mid_index_commit",  # index: documents added to the writer, commit not yet done
    "after_index_commit",  # index: index committed, database not yet told
    "after_stage_run",  # pipeline: stage finished, result not yet committed
    "retention_after_start",  # disposal: run and items recorded, nothing destroyed yet
    "retention_after_records_batch",  # disposal: a batch of records destroyed, more to come
    "retention_after_records",  # disposal: every record destroyed, the index not yet purged
    "retention_mid_files",  # disposal: one document's files removed, not yet marked done
)


def fault_point(name: str) -> None:
    wanted = os.environ.get(FAULTS_ENV)
    if wanted and name in wanted.split(","):
        os.kill(os.getpid(), signal.SIGKILL)

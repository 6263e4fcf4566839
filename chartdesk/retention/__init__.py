"""The retention room: schedules per retention class, legal holds, and disposition
with its records (tombstones, certificates of destruction, audit events).

Rules ([retention.rules.*] in config.toml) give every document a disposition
date; a plan lists what is due and not held; a named approver approves the
plan's fingerprint; a compliance officer (someone else) applies it. Other
rooms use only the names below.
"""

from chartdesk.retention.approvals import Approval, approval_for, approve
from chartdesk.retention.certificates import BackupCopy, certificate_dir
from chartdesk.retention.errors import (
    DisposalIncompleteError,
    HoldReleasedError,
    NotApprovedError,
    PlanChangedError,
)
from chartdesk.retention.holds import SCOPES, Hold, get_hold, holds_covering
from chartdesk.retention.index_purge import stored_copies
from chartdesk.retention.plan import Plan, PlanRow, compute_plan, fingerprint_of, write_csv
from chartdesk.retention.rules import (
    Action,
    Basis,
    Disposition,
    Facts,
    add_years,
    compute,
    majority_day,
)
from chartdesk.retention.run import (
    AFTER_RECORDS,
    AFTER_RECORDS_BATCH,
    AFTER_START,
    MID_FILES,
    ApplyOutcome,
    RunView,
    apply,
    fold_wal,
    get_run,
    list_runs,
)
from chartdesk.retention.schedule import refresh_schedule
from chartdesk.retention.service import (
    DocumentRetention,
    approve_plan,
    certificate_file,
    decide_review,
    explain,
    list_holds,
    place_hold,
    plan_for,
    release_hold,
    upcoming,
)

__all__ = [
    "AFTER_RECORDS", "AFTER_RECORDS_BATCH", "AFTER_START", "MID_FILES", "SCOPES",
    "Action", "ApplyOutcome", "Approval", "BackupCopy", "Basis", "Disposition", "DisposalIncompleteError",
    "DocumentRetention", "Facts", "Hold", "HoldReleasedError", "NotApprovedError", "Plan", "PlanChangedError",
    "PlanRow", "RunView",
    "add_years", "apply", "approval_for", "approve", "approve_plan", "certificate_dir", "certificate_file",
    "compute", "compute_plan", "decide_review", "explain", "fingerprint_of", "fold_wal", "get_hold", "get_run",
    "holds_covering", "list_holds", "list_runs", "majority_day", "place_hold", "plan_for", "refresh_schedule",
    "release_hold", "stored_copies", "upcoming", "write_csv",
]

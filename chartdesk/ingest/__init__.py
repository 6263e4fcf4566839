"""The ingest room: watching inboxes, deciding when a file is complete and safe,
identifying it by content, storing it once, recording it, quarantining what
cannot be processed."""

from chartdesk.ingest.intake import Outcome, take
from chartdesk.ingest.policy import StabilityTracker, check_safe, inbox_files, is_temp_name
from chartdesk.ingest.sniff import ACCEPTED, Sniffed, sniff
from chartdesk.ingest.watch import InboxWatcher

__all__ = [
    "ACCEPTED",
    "InboxWatcher",
    "Outcome",
    "Sniffed",
    "StabilityTracker",
    "check_safe",
    "inbox_files",
    "is_temp_name",
    "sniff",
    "take",
]

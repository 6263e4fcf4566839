"""The charts room: the patient master index, charts, moves and merges, and the review queue."""

from chartdesk.charts.chart import (
    Chart,
    ChartEntry,
    blob_in_use,
    chart,
    export_fields,
    original_needed,
)
from chartdesk.charts.importers import EncounterInput, Parsed, Rejected, read_file
from chartdesk.charts.imports import ImportReport, import_file, last_encounter, upsert_encounter
from chartdesk.charts.moves import MergeResult, merge_patients, move_document, set_chart
from chartdesk.charts.patients import (
    IdentifierInput,
    NameInput,
    PatientInput,
    PatientView,
    UpsertResult,
    get_patient,
    list_patients,
    resolve_patient,
    upsert_patient,
)
from chartdesk.charts.rematch import requeue_for_matching
from chartdesk.charts.review import (
    Decision,
    QueueItem,
    ReviewView,
    assign,
    list_queue,
    reject,
    show,
)

__all__ = [
    "Chart", "ChartEntry", "Decision", "EncounterInput", "IdentifierInput", "ImportReport", "MergeResult", "NameInput",
    "Parsed", "PatientInput", "PatientView", "QueueItem", "Rejected", "ReviewView", "UpsertResult",
    "assign", "blob_in_use", "chart", "export_fields", "get_patient", "import_file", "last_encounter", "list_patients",
    "list_queue", "merge_patients", "move_document", "original_needed", "read_file", "reject", "requeue_for_matching",
    "resolve_patient", "set_chart", "show", "upsert_encounter", "upsert_patient",
]

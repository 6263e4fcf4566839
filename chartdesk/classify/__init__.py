"""The classify room: what a document is, its own date, who it is about.

Stages: `ClassifyStage` ("classify") and `MatchStage` ("match"). Everything
else here is the domain they use, exported for charts/ (re-matching, review),
the CLI and the benchmark.
"""

from chartdesk.classify.classifier import (
    Classification,
    Classifier,
    LinearTextClassifier,
    expected_calibration_error,
    macro_f1,
)
from chartdesk.classify.dates import DateKind, find_dates, parse_date
from chartdesk.classify.docdate import DocDate, document_date
from chartdesk.classify.faxcover import CoverSheet, read_cover
from chartdesk.classify.identifiers import (
    Extracted,
    Formats,
    Found,
    Kind,
    Role,
    extract,
    member_norm,
    phone_norm,
)
from chartdesk.classify.matcher import (
    MATCHER_VERSION,
    Candidate,
    MatchOutcome,
    MatchPolicy,
    Reason,
    match,
)
from chartdesk.classify.names import PersonName, name_key, parse_name
from chartdesk.classify.patient_index import PATIENTS_VERSION_KEY, PatientIndex, PatientRecord
from chartdesk.classify.stages import (
    COVER_CLASS,
    SPLIT,
    ClassifyStage,
    MatchStage,
    database,
    page_texts,
    policy,
    review_threshold,
    write_review_item,
)
from chartdesk.classify.training import (
    ModelUnusable,
    TrainingReport,
    ensure,
    load,
    model_path,
    retrain,
    save,
    train,
)

__all__ = [
    "COVER_CLASS",
    "MATCHER_VERSION",
    "PATIENTS_VERSION_KEY",
    "SPLIT",
    "Candidate",
    "Classification",
    "Classifier",
    "ClassifyStage",
    "CoverSheet",
    "DateKind",
    "DocDate",
    "Extracted",
    "Formats",
    "Found",
    "Kind",
    "LinearTextClassifier",
    "MatchOutcome",
    "MatchPolicy",
    "MatchStage",
    "ModelUnusable",
    "PatientIndex",
    "PatientRecord",
    "PersonName",
    "Reason",
    "Role",
    "TrainingReport",
    "database",
    "document_date",
    "ensure",
    "expected_calibration_error",
    "extract",
    "find_dates",
    "load",
    "macro_f1",
    "match",
    "member_norm",
    "model_path",
    "name_key",
    "page_texts",
    "parse_date",
    "parse_name",
    "phone_norm",
    "policy",
    "read_cover",
    "retrain",
    "save",
    "review_threshold",
    "train",
    "write_review_item",
]

# The stage objects the pipeline's stage table names ("chartdesk.classify:classify_stage").
classify_stage = ClassifyStage()
match_stage = MatchStage()
__all__ += ["classify_stage", "match_stage"]

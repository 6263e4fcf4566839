"""config.toml -> typed, validated, frozen settings.

Read once at the entry point and passed down as a value; no module reads a
global setting. Relative paths resolve against the folder of the config file.
"""

from __future__ import annotations

import os
import tomllib
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from chartdesk.errors import ConfigError

DEFAULT_CONFIG_NAME = "config.toml"
CONFIG_ENV = "CHARTDESK_CONFIG"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Source(StrEnum):
    scan = "scan"
    fax = "fax"
    dictation = "dictation"
    upload = "upload"


class WatchMode(StrEnum):
    events = "events"
    polling = "polling"


class PathsSettings(_Frozen):
    data_dir: Path


class InboxSettings(_Frozen):
    name: str = Field(pattern=r"^[a-z][a-z0-9_-]{0,31}$")
    path: Path
    source: Source
    mode: WatchMode = WatchMode.events


class IngestSettings(_Frozen):
    stable_seconds: float = Field(default=2.0, ge=0.0, le=600)
    poll_interval_seconds: float = Field(default=5.0, gt=0.0, le=3600)
    max_file_mb: int = Field(default=250, gt=0)
    max_pages: int = Field(default=1000, gt=0)
    max_image_pixels: int = Field(default=120_000_000, gt=0)
    max_audio_minutes: float = Field(default=180, gt=0)
    quarantine_retention_days: int = Field(default=90, ge=1)
    temp_name_patterns: tuple[str, ...] = ("*.tmp", "*.part", "~*", ".*")

    @property
    def max_file_bytes(self) -> int:
        return self.max_file_mb * 1024 * 1024


class OcrSettings(_Frozen):
    engine: str = Field(default="tesseract", pattern=r"^[a-z][a-z0-9_-]{0,31}$")
    languages: tuple[str, ...] = ("eng",)
    tessdata_dir: Path | None = None
    min_text_chars: int = Field(default=25, ge=0)
    render_dpi: int = Field(default=300, ge=72, le=600)
    view_dpi: int = Field(default=110, ge=36, le=300)
    page_timeout_seconds: float = Field(default=180, gt=0)
    max_deskew_degrees: float = Field(default=8.0, ge=0, le=45)

    @field_validator("languages")
    @classmethod
    def _languages(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("name at least one tesseract language, e.g. [\"eng\"]")
        return value

    @property
    def language_string(self) -> str:
        return "+".join(self.languages)


class ComputeType(StrEnum):
    """CTranslate2 weight types that run on a CPU."""

    int8 = "int8"
    int8_float32 = "int8_float32"
    float32 = "float32"


# The default vocabulary prompt: an example of a dictation in the written form
# we want back (digits, "MRN 1234", a spelled name), then the words tiny.en
# mishears most. Measured by bench/transcription_bench.py.
MEDICAL_PROMPT = (
    "Clinical dictation for patient Jane Doe, D-O-E, date of birth April 2, 1950, MRN 1234. "
    "Medications: metformin, lisinopril, amlodipine, atorvastatin, metoprolol, levothyroxine, "
    "warfarin, amoxicillin, albuterol, omeprazole, gabapentin, hydrochlorothiazide, furosemide, "
    "apixaban, insulin, prednisone, sertraline. Diagnoses: hypertension, type 2 diabetes, "
    "atrial fibrillation, pneumonia, COPD, hyperlipidemia."
)
MEDICAL_HOTWORDS = (
    "metformin lisinopril amlodipine atorvastatin metoprolol levothyroxine warfarin amoxicillin albuterol"
)


class TranscriptionSettings(_Frozen):
    """The dictation stage (chartdesk/transcription/). Documented in config.toml."""

    engine: str = Field(default="faster-whisper", pattern=r"^[a-z][a-z0-9_-]{0,31}$")
    model_dir: Path | None = None  # None: the bundled tiny.en model
    language: str = Field(default="en", pattern=r"^[a-z]{2,3}$")
    compute_type: ComputeType = ComputeType.int8
    cpu_threads: int = Field(default=1, ge=1, le=64)
    beam_size: int = Field(default=5, ge=1, le=20)
    vad: bool = True
    vad_threshold: float = Field(default=0.5, gt=0.0, lt=1.0)
    vad_min_silence_ms: int = Field(default=2000, ge=100, le=60_000)
    vad_speech_pad_ms: int = Field(default=400, ge=0, le=5_000)
    no_speech_threshold: float = Field(default=0.6, gt=0.0, le=1.0)
    low_confidence_logprob: float = Field(default=-0.6, le=0.0)
    window_minutes: float = Field(default=10.0, ge=1.0, le=60.0)
    initial_prompt: str = MEDICAL_PROMPT
    hotwords: str = MEDICAL_HOTWORDS


class PipelineSettings(_Frozen):
    workers: int = Field(default=0, ge=0, le=64)
    lease_seconds: float = Field(default=60, ge=2)
    max_attempts: int = Field(default=3, ge=1)
    retry_backoff_seconds: float = Field(default=5.0, ge=0)
    index_batch_size: int = Field(default=200, ge=1)
    worker_nice: int = Field(default=10, ge=0, le=19)

    @property
    def worker_count(self) -> int:
        return self.workers or (os.cpu_count() or 1)


_CLASS_NAME = r"^[a-z][a-z0-9_]{0,63}$"

# The built-in document classes and their retention class, used when config.toml
# has no [classes] table. An office adds classes in config.toml.
DEFAULT_CLASSES: dict[str, str] = {
    "lab_result": "clinical",
    "referral_letter": "clinical",
    "insurance_card": "administrative",
    "explanation_of_benefits": "financial",
    "consent_form": "legal",
    "prescription": "clinical",
    "imaging_report": "clinical",
    "progress_note": "clinical",
    "superbill": "financial",
    "release_of_information_request": "legal",
    "fax_cover_sheet": "transient",
    "discharge_summary": "clinical",
    "other": "administrative",
}


class DocClassSettings(_Frozen):
    """One document class ([classes.NAME] in config.toml)."""

    retention: str = Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")
    review_below: float | None = Field(default=None, gt=0.0, lt=1.0)
    description: str = ""


def _default_classes() -> dict[str, DocClassSettings]:
    return {name: DocClassSettings(retention=r) for name, r in DEFAULT_CLASSES.items()}


# ---- retention/: schedules per retention class, legal holds, disposition ----


class RetentionTrigger(StrEnum):
    """What a retention period counts from."""

    document_date = "document_date"  # the document's own date (the day it was received when it has none)
    last_encounter = "last_encounter"  # the patient's last encounter (never before the document's date)
    majority = "majority"  # the day the patient reaches the age of majority (never before the document's date)


class RetentionAction(StrEnum):
    """What happens when a retention period ends."""

    destroy = "destroy"  # listed in the disposition plan; destroyed once the plan is approved and applied
    review = "review"  # a person decides (destroy, or keep until a later date)


class RetentionRule(_Frozen):
    """One retention class ([retention.rules.NAME])."""

    description: str = ""
    trigger: RetentionTrigger = RetentionTrigger.document_date
    years: int = Field(default=7, ge=0, le=200)
    permanent: bool = False
    action: RetentionAction = RetentionAction.destroy
    minor_years: int | None = Field(default=None, ge=0, le=100)


# Defaults a US practice would recognise; each office must check them against its
# state's law and its payers' contracts (config.toml says so beside them).
DEFAULT_RETENTION_RULES: dict[str, RetentionRule] = {
    "clinical": RetentionRule(description="medical records: 10 years after the last encounter; minors until 21",
                              trigger=RetentionTrigger.last_encounter, years=10, minor_years=3),
    "financial": RetentionRule(description="billing and payer records: 7 years", years=7),
    "legal": RetentionRule(description="consents, authorisations, requests: 6 years (HIPAA), then a person decides",
                           years=6, action=RetentionAction.review),
    "administrative": RetentionRule(description="insurance cards and other paperwork: 7 years", years=7),
    "transient": RetentionRule(description="fax cover sheets: 1 year", years=1),
}


class RetentionSettings(_Frozen):
    """[retention] in config.toml (chartdesk/retention/)."""

    age_of_majority: int = Field(default=18, ge=14, le=25)
    approval_days: int = Field(default=30, ge=1, le=365)
    upcoming_days: int = Field(default=90, ge=1, le=3650)
    rules: dict[str, RetentionRule] = Field(default_factory=lambda: dict(DEFAULT_RETENTION_RULES))

    @field_validator("rules")
    @classmethod
    def _rule_names(cls, value: dict[str, RetentionRule]) -> dict[str, RetentionRule]:
        import re

        for name in value:
            if not re.match(r"^[a-z][a-z0-9_]{0,31}$", name):
                raise ValueError(f"retention rule name {name!r}: use lower-case letters, digits and _")
        return value


class ClassifySettings(_Frozen):
    """The classify stage (chartdesk/classify/). Documented in config.toml."""

    review_below: float = Field(default=0.80, gt=0.0, lt=1.0)
    model_file: Path | None = None  # None: <data_dir>/models/classifier.pkl
    seed_per_class: int = Field(default=140, ge=20, le=5000)
    max_chars: int = Field(default=6000, ge=500, le=200_000)
    cover_sheet_min_confidence: float = Field(default=0.80, gt=0.0, lt=1.0)
    min_corrections_per_class: int = Field(default=3, ge=1)


class MatchSettings(_Frozen):
    """The match stage (patient record linkage). Documented in config.toml."""

    auto_attach_probability: float = Field(default=0.999, gt=0.5, lt=1.0)
    min_margin_bits: float = Field(default=10.0, ge=0.0)
    show_candidates: int = Field(default=5, ge=1, le=50)
    candidate_floor_probability: float = Field(default=0.0001, ge=0.0, lt=1.0)
    mrn_patterns: tuple[str, ...] = (r"[0-9]{4,10}",)
    member_id_pattern: str = r"[A-Z0-9]{2,4}[A-Z0-9-]{3,16}"

    @field_validator("mrn_patterns")
    @classmethod
    def _patterns(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        import re

        if not value:
            raise ValueError("name at least one MRN pattern, e.g. [\"[0-9]{6,8}\"]")
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"MRN pattern {pattern!r} is not a valid regular expression: {exc}") from None
        return value


class SearchBackendName(StrEnum):
    tantivy = "tantivy"  # embedded, in the data directory
    opensearch = "opensearch"  # an OpenSearch cluster ([search.cluster])
    elasticsearch = "elasticsearch"  # an Elasticsearch 8 or 9 cluster ([search.cluster])


_LOCAL_HOSTS = ("127.0.0.1", "::1", "[::1]", "localhost")


class ClusterSettings(_Frozen):
    """[search.cluster]: the OpenSearch or Elasticsearch cluster. Secrets are never
    in the config: it names an environment variable or a file that holds them."""

    urls: tuple[str, ...] = ("http://127.0.0.1:9200",)
    username: str = ""
    password_env: str = ""
    password_file: Path | None = None
    api_key_env: str = ""
    api_key_file: Path | None = None
    ca_file: Path | None = None
    index_prefix: str = Field(default="chartdesk", pattern=r"^[a-z][a-z0-9_-]{0,47}$")
    connect_timeout_seconds: float = Field(default=5.0, gt=0, le=300)
    request_timeout_seconds: float = Field(default=30.0, gt=0, le=3600)
    bulk_documents: int = Field(default=500, ge=1, le=10_000)
    bulk_mb: float = Field(default=10.0, gt=0, le=100)
    retries: int = Field(default=5, ge=0, le=20)
    retry_backoff_seconds: float = Field(default=0.5, ge=0, le=60)
    shards: int = Field(default=1, ge=1, le=64)
    replicas: int = Field(default=1, ge=0, le=5)

    @field_validator("urls")
    @classmethod
    def _urls(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        from urllib.parse import urlsplit

        if not value:
            raise ValueError("name at least one cluster URL, e.g. [\"https://search1.example.org:9200\"]")
        for url in value:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(f"cluster URL {url!r}: write it as http(s)://host:port")
            if parts.username or parts.password:
                raise ValueError(f"cluster URL {url!r} holds credentials: use username with password_env or password_file")
        return value

    @model_validator(mode="after")
    def _credentials(self) -> ClusterSettings:
        password = bool(self.password_env) + (self.password_file is not None)
        api_key = bool(self.api_key_env) + (self.api_key_file is not None)
        if password > 1 or api_key > 1:
            raise ValueError("search.cluster: name the secret once (an environment variable or a file, not both)")
        if (password or api_key) and not self.credentials_safe:
            raise ValueError("search.cluster: credentials would cross the network in the clear; use https:// URLs")
        if bool(self.username) != bool(password):
            raise ValueError("search.cluster: username goes with password_env or password_file")
        if self.username and api_key:
            raise ValueError("search.cluster: use either an API key or a username and password, not both")
        return self

    @property
    def credentials_safe(self) -> bool:
        """Every URL is https, or on this computer."""
        from urllib.parse import urlsplit

        return all(urlsplit(u).scheme == "https" or urlsplit(u).hostname in _LOCAL_HOSTS for u in self.urls)


class SearchSettings(_Frozen):
    backend: SearchBackendName = SearchBackendName.tantivy
    synonyms_file: Path | None = None
    fuzzy: bool = True
    page_size: int = Field(default=20, ge=1, le=200)
    cluster: ClusterSettings = ClusterSettings()


# ---- access/ and audit/: roles, labels, break-the-glass, logins, audit key ----


class Permission(StrEnum):
    """What a role may do. Document actions also need the document to be visible."""

    search = "search"  # run searches (results show only visible documents)
    view = "view"  # open a document and its pages
    download = "download"  # download an original or a PDF copy
    export = "export"  # export documents in bulk
    review = "review"  # work the review queue: sees unfiled documents and pending changes
    reclassify = "reclassify"  # change a document's class
    file = "file"  # attach a document to a chart or move it to another
    label = "label"  # set or remove sensitivity labels
    restrict_chart = "restrict_chart"  # restrict or open a whole chart
    edit_patient = "edit_patient"  # change a patient's demographics
    break_glass = "break_glass"  # open a restricted document after giving a reason
    disclose = "disclose"  # record a release of information outside the practice
    accounting = "accounting"  # run the accounting-of-disclosures report
    audit_read = "audit_read"  # query the audit log
    audit_verify = "audit_verify"  # check the audit chain
    review_break_glass = "review_break_glass"  # close break-the-glass events after review
    manage_users = "manage_users"  # add, disable, reset and change the role of users
    retention = "retention"  # see retention schedules and disposition plans; approve a plan; decide reviews
    legal_hold = "legal_hold"  # place and release legal holds
    dispose = "dispose"  # apply an approved disposition plan (destroys records)
    confirm_transcript = "confirm_transcript"  # confirm or correct a dictation's transcript (clinicians)
    maintain = "maintain"  # pipeline upkeep: status, reprocess, rebuild the search index (no patient data)
    backup = "backup"  # take, verify, prune and restore backups (copies every record without showing any)


DEFAULT_LABELS = ("behavioral_health", "substance_use_disorder", "hiv", "genetic", "reproductive")
_NAME = r"^[a-z][a-z0-9_]{0,31}$"
_ALL = "*"


class RoleSettings(_Frozen):
    """One role ([access.roles.NAME]). `classes` and `labels` may be ["*"] (all)."""

    description: str = ""
    permissions: tuple[Permission, ...] = ()
    classes: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    restricted_charts: bool = False


_P = Permission
_READ = (_P.search, _P.view, _P.download)
DEFAULT_ROLES: dict[str, RoleSettings] = {
    "front_desk": RoleSettings(
        description="reception: registration, insurance and consent paperwork",
        permissions=_READ, classes=("insurance_card", "consent_form", "fax_cover_sheet")),
    "clinician": RoleSettings(
        description="physicians, nurses: the whole chart except substance-use records",
        permissions=(*_READ, _P.break_glass, _P.confirm_transcript), classes=(_ALL,),
        labels=("behavioral_health", "hiv", "genetic", "reproductive")),
    "billing": RoleSettings(
        description="billing staff: insurance and billing documents only",
        permissions=_READ, classes=("insurance_card", "explanation_of_benefits", "superbill")),
    "records": RoleSettings(
        description="health information management: files, labels, releases",
        permissions=(*_READ, _P.export, _P.review, _P.reclassify, _P.file, _P.label, _P.restrict_chart,
                     _P.edit_patient, _P.disclose, _P.accounting, _P.retention, _P.maintain),
        classes=(_ALL,), labels=(_ALL,), restricted_charts=True),
    "compliance": RoleSettings(
        description="privacy and compliance officer: the audit log and disclosures",
        permissions=(_P.search, _P.view, _P.break_glass, _P.audit_read, _P.audit_verify,
                     _P.review_break_glass, _P.accounting, _P.retention, _P.legal_hold, _P.dispose),
        classes=(_ALL,)),
    "admin": RoleSettings(
        description="IT: users and the audit chain, no patient documents",
        permissions=(_P.manage_users, _P.audit_verify, _P.maintain, _P.backup)),
}


class LabelRule(_Frozen):
    """A label given by the pipeline when every criterion the rule names matches
    (classes, senders, inboxes: any of the list; keywords: any word or phrase in
    the text, whole words, case-insensitive). Several rules may give one label."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_-]{0,63}$")
    label: str
    classes: tuple[str, ...] = ()
    senders: tuple[str, ...] = ()
    inboxes: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _has_criterion(self) -> LabelRule:
        if not (self.classes or self.senders or self.inboxes or self.keywords):
            raise ValueError(f"label rule {self.name!r} names no classes, senders, inboxes or keywords")
        return self


def _kw(name: str, label: str, *words: str) -> LabelRule:
    return LabelRule(name=name, label=label, keywords=words)


DEFAULT_LABEL_RULES: tuple[LabelRule, ...] = (
    _kw("behavioral-health-words", "behavioral_health", "psychiatric", "psychiatry", "psychotherapy",
        "major depressive disorder", "bipolar", "schizophrenia", "PHQ-9", "GAD-7", "suicidal ideation"),
    _kw("substance-use-words", "substance_use_disorder", "substance use disorder", "opioid use disorder",
        "alcohol use disorder", "buprenorphine", "suboxone", "methadone maintenance", "detoxification"),
    _kw("hiv-words", "hiv", "HIV", "HIV-1", "antiretroviral", "viral load", "CD4 count", "PrEP"),
    _kw("genetic-words", "genetic", "genetic testing", "genetic counseling", "BRCA1", "BRCA2",
        "germline", "exome sequencing", "carrier screening"),
    _kw("reproductive-words", "reproductive", "pregnancy test", "termination of pregnancy", "abortion",
        "contraception", "IVF", "in vitro fertilization", "prenatal"),
)


class BreakGlassSettings(_Frozen):
    default_minutes: int = Field(default=60, ge=1, le=1440)
    max_minutes: int = Field(default=480, ge=1, le=10080)
    min_reason_chars: int = Field(default=15, ge=1, le=500)

    @model_validator(mode="after")
    def _order(self) -> BreakGlassSettings:
        if self.default_minutes > self.max_minutes:
            raise ValueError("break_glass.default_minutes is more than break_glass.max_minutes")
        return self


class LoginSettings(_Frozen):
    max_failed: int = Field(default=5, ge=1, le=100)
    lockout_minutes: int = Field(default=15, ge=1, le=1440)
    min_password_length: int = Field(default=12, ge=8, le=128)
    token_days: int = Field(default=90, ge=1, le=3650)
    session_idle_minutes: int = Field(default=15, ge=1, le=1440)
    session_max_hours: int = Field(default=12, ge=1, le=168)
    argon2_time_cost: int = Field(default=3, ge=1, le=20)
    argon2_memory_kib: int = Field(default=65536, ge=8192, le=4194304)
    argon2_parallelism: int = Field(default=1, ge=1, le=16)


class AccessSettings(_Frozen):
    """[access] in config.toml; the policy and audit rooms read it."""

    labels: tuple[str, ...] = DEFAULT_LABELS
    roles: dict[str, RoleSettings] = Field(default_factory=lambda: dict(DEFAULT_ROLES))
    label_rules: tuple[LabelRule, ...] = DEFAULT_LABEL_RULES
    break_glass: BreakGlassSettings = BreakGlassSettings()
    login: LoginSettings = LoginSettings()
    audit_key_file: Path | None = None  # None: <data_dir>/keys/audit.key
    audit_checkpoint_file: Path | None = None  # None: <data_dir>/keys/audit-checkpoint.json
    disclosure_years: int = Field(default=6, ge=1, le=30)

    @model_validator(mode="after")
    def _check_names(self) -> AccessSettings:
        import re

        for name in (*self.labels, *self.roles):
            if not re.match(_NAME, name) or name == "system":
                raise ValueError(f"label or role name {name!r}: use lower-case letters, digits and _")
        known = set(self.labels)
        for role_name, role in self.roles.items():
            unknown = set(role.labels) - known - {_ALL}
            if unknown:
                raise ValueError(f"role {role_name} names unknown labels {sorted(unknown)}")
        for rule in self.label_rules:
            if rule.label not in known:
                raise ValueError(f"label rule {rule.name!r} gives unknown label {rule.label!r}")
        for role_name, role in self.roles.items():
            # The review queue holds documents whose class and labels are not settled yet.
            full = _ALL in role.classes and _ALL in role.labels and role.restricted_charts
            if Permission.review in role.permissions and not full:
                raise ValueError(f"role {role_name} has the review permission, so it needs classes = [\"*\"], "
                                 "labels = [\"*\"] and restricted_charts = true")
        return self


_LOOPBACK = ("127.0.0.1", "::1", "localhost")


class WebSettings(_Frozen):
    """[web] in config.toml: the web UI (chartdesk/web/). Session timeouts and
    lock-out are [access.login]'s. The shipped config.toml turns the UI on and
    names the service account; a config without [web] (tests, scripts) runs the
    pipeline alone and stays the user that started it."""

    enabled: bool = False  # `chartdesk run` serves the web UI too
    host: str = "127.0.0.1"
    port: int = Field(default=8440, ge=1, le=65535)
    tls_certificate: Path | None = None
    tls_key: Path | None = None
    proxy_addresses: tuple[str, ...] = ()  # reverse proxies whose X-Forwarded-* headers are believed
    secure_cookies: bool = False  # force the Secure flag (e.g. TLS ends at a proxy that does not say so)
    service_user: str = Field(default="", pattern=r"^([a-z_][a-z0-9_-]{0,31})?$")  # "": stay who started it
    login_attempts_per_minute: int = Field(default=20, ge=1, le=10_000)  # per client address
    max_sessions: int = Field(default=2000, ge=10, le=1_000_000)

    @property
    def tls(self) -> bool:
        return self.tls_certificate is not None

    @model_validator(mode="after")
    def _check_transport(self) -> WebSettings:
        if (self.tls_certificate is None) != (self.tls_key is None):
            raise ValueError("web.tls_certificate and web.tls_key go together: set both or neither")
        if self.host not in _LOOPBACK and not self.tls and not self.proxy_addresses:
            raise ValueError(
                f"web.host {self.host!r} serves other computers without TLS (passwords would cross the "
                "network in the clear): set web.tls_certificate and web.tls_key, or put a reverse proxy "
                "in front and name it in web.proxy_addresses"
            )
        return self


class BackupCompression(StrEnum):
    """How the database copy in a backup is stored (originals are stored as they are)."""

    gzip = "gzip"
    none = "none"


class BackupSettings(_Frozen):
    """[backup] in config.toml: `chartdesk backup` and `chartdesk restore` (chartdesk/backup/)."""

    location: Path | None = None  # None: `chartdesk backup create` must be given a destination
    retention_days: int = Field(default=30, ge=1, le=36500)
    keep_last: int = Field(default=2, ge=1, le=1000)
    compression: BackupCompression = BackupCompression.gzip
    page_images: bool = True
    passphrase_file: Path | None = None  # None: CHARTDESK_BACKUP_PASSPHRASE, or new locations are refused


class Settings(_Frozen):
    """The whole configuration. `config_path` is where it was read from."""

    config_path: Path
    paths: PathsSettings
    inboxes: tuple[InboxSettings, ...]
    ingest: IngestSettings = IngestSettings()
    ocr: OcrSettings = OcrSettings()
    transcription: TranscriptionSettings = TranscriptionSettings()
    pipeline: PipelineSettings = PipelineSettings()
    search: SearchSettings = SearchSettings()
    classify: ClassifySettings = ClassifySettings()
    match: MatchSettings = MatchSettings()
    classes: dict[str, DocClassSettings] = Field(default_factory=_default_classes)
    retention: RetentionSettings = RetentionSettings()
    access: AccessSettings = AccessSettings()
    web: WebSettings = WebSettings()
    backup: BackupSettings = BackupSettings()

    @field_validator("classes")
    @classmethod
    def _check_classes(cls, value: dict[str, DocClassSettings]) -> dict[str, DocClassSettings]:
        import re

        for name in value:
            if not re.match(_CLASS_NAME, name):
                raise ValueError(f"class name {name!r}: use lower-case letters, digits and _")
        for required in ("other", "fax_cover_sheet"):
            if required not in value:
                raise ValueError(f"[classes.{required}] is required (the classifier falls back on it)")
        return value

    @model_validator(mode="after")
    def _check_retention_classes(self) -> Settings:
        rules = self.retention.rules
        missing = sorted({c.retention for c in self.classes.values()} - set(rules))
        if missing:
            raise ValueError(f"[classes] name retention classes with no [retention.rules.NAME] table: {missing}")
        return self

    @model_validator(mode="after")
    def _check_access_classes(self) -> Settings:
        known = set(self.classes) | {_ALL}
        named = {c for r in self.access.roles.values() for c in r.classes}
        named |= {c for rule in self.access.label_rules for c in rule.classes}
        if named - known:
            raise ValueError(f"[access] names document classes not in [classes]: {sorted(named - known)}")
        return self

    @model_validator(mode="after")
    def _check_layout(self) -> Settings:
        names = [i.name for i in self.inboxes]
        if len(set(names)) != len(names):
            raise ValueError("inbox names must be unique")
        data = self.paths.data_dir.resolve()
        paths = [i.path.resolve() for i in self.inboxes]
        for inbox in paths:
            if _inside(inbox, data) or _inside(data, inbox):
                raise ValueError(
                    f"inbox {inbox} and data_dir {data} overlap; keep the data directory "
                    "outside every watched folder and the other way round"
                )
        for a in paths:
            for b in paths:
                if a != b and _inside(a, b):
                    raise ValueError(f"inbox {a} lies inside inbox {b}; watched folders must not nest")
        return self

    # Derived locations inside the data directory, in one place.
    @property
    def data_dir(self) -> Path:
        return self.paths.data_dir

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.data_dir / 'chartdesk.db'}"

    @property
    def store_dir(self) -> Path:
        return self.data_dir / "store"

    @property
    def derived_dir(self) -> Path:
        return self.data_dir / "derived"

    @property
    def quarantine_dir(self) -> Path:
        return self.data_dir / "quarantine"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def keys_dir(self) -> Path:
        return self.data_dir / "keys"

    def inbox(self, name: str) -> InboxSettings:
        for inbox in self.inboxes:
            if inbox.name == name:
                return inbox
        raise ConfigError(f"no inbox named {name!r}", remedy="use one of: " + ", ".join(i.name for i in self.inboxes))


def _inside(path: Path, parent: Path) -> bool:
    return path == parent or parent in path.parents


def default_config_path() -> Path:
    return Path(os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG_NAME)


def load(path: Path | str | None = None) -> Settings:
    """Read and validate a config file; relative paths resolve against its folder."""
    config_path = Path(path) if path else default_config_path()
    config_path = config_path.expanduser().resolve()
    try:
        raw = tomllib.loads(config_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"config file {config_path} not found",
            remedy="pass --config PATH, set CHARTDESK_CONFIG, or run from the folder holding config.toml",
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{config_path} is not valid TOML: {exc}", remedy="fix the line named") from None
    return from_dict(raw, config_path)


def from_dict(raw: dict[str, Any], config_path: Path) -> Settings:
    base = config_path.parent
    data = _resolve_paths(raw, base)
    data["config_path"] = config_path
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'config'}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"{config_path}: {problems}", remedy="correct these settings") from None


_PATH_KEYS = {
    ("paths", "data_dir"),
    ("ocr", "tessdata_dir"),
    ("transcription", "model_dir"),
    ("search", "synonyms_file"),
    ("classify", "model_file"),
    ("access", "audit_key_file"),
    ("access", "audit_checkpoint_file"),
    ("web", "tls_certificate"),
    ("web", "tls_key"),
    ("backup", "location"),
    ("backup", "passphrase_file"),
}


def _resolve_paths(raw: dict[str, Any], base: Path) -> dict[str, Any]:
    data = {k: (dict(v) if isinstance(v, dict) else v) for k, v in raw.items()}
    for section, key in _PATH_KEYS:
        value = data.get(section, {}).get(key) if isinstance(data.get(section), dict) else None
        if value == "":
            data[section][key] = None
        elif value is not None:
            data[section][key] = _absolute(value, base)
    _resolve_cluster_paths(data, base)
    inboxes = []
    for inbox in data.get("inboxes", []):
        inbox = dict(inbox)
        if "path" in inbox:
            inbox["path"] = _absolute(inbox["path"], base)
        inboxes.append(inbox)
    data["inboxes"] = inboxes
    return data


_CLUSTER_PATH_KEYS = ("password_file", "api_key_file", "ca_file")


def _resolve_cluster_paths(data: dict[str, Any], base: Path) -> None:
    """[search.cluster] is one table deeper than _PATH_KEYS reach."""
    search = data.get("search")
    cluster = search.get("cluster") if isinstance(search, dict) else None
    if not isinstance(cluster, dict):
        return
    cluster = search["cluster"] = dict(cluster)  # type: ignore[index]
    for key in _CLUSTER_PATH_KEYS:
        if key in cluster:
            cluster[key] = None if cluster[key] == "" else _absolute(cluster[key], base)


def _absolute(value: str, base: Path) -> Path:
    path = Path(os.path.expanduser(value))
    return path if path.is_absolute() else (base / path).resolve()

"""What the dictation stage writes, and the transcript's versions.

The stage's `record` runs inside the pipeline's commit transaction and replaces
this document's segments and page 1 (idempotent: replace, never append). Every
transcript is an unverified draft until a clinician confirms it; a confirmation,
with or without corrections, is a new version, so the machine's draft is kept.
Auditing a confirmation is the caller's job (the web and CLI rooms audit every
action a person takes).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from chartdesk.db import documents, pages, transcript_segments, transcripts, utcnow
from chartdesk.errors import NotFoundError
from chartdesk.stages import Recorder
from chartdesk.transcription.transcribe import Transcript

METHOD = "speech"
DRAFT = "draft"
VERIFIED = "verified"
MACHINE = "machine"
EDIT = "edit"


@dataclass(frozen=True, slots=True)
class TranscriptVersion:
    document_id: int
    version: int
    kind: str  # machine | edit
    status: str  # draft | verified
    text: str
    created_at: dt.datetime
    author: str | None
    verified_by: str | None
    verified_at: dt.datetime | None

    @classmethod
    def from_row(cls, row: Any) -> TranscriptVersion:
        m = row._mapping
        return cls(**{k: m[k] for k in cls.__slots__})  # type: ignore[attr-defined]


def transcript_recorder(document_id: int, transcript: Transcript) -> Recorder:
    """The `record` of a transcribed document: segments, page 1 and a machine draft."""

    def record(conn: Connection) -> None:
        _replace_segments(conn, document_id, transcript)
        _replace_page(conn, document_id, transcript)
        _record_machine_draft(conn, document_id, transcript)

    return record


def no_speech_recorder(document_id: int) -> Recorder:
    """The `record` of a recording without speech: nothing from an earlier run remains."""

    def record(conn: Connection) -> None:
        conn.execute(delete(transcript_segments).where(transcript_segments.c.document_id == document_id))
        conn.execute(delete(pages).where(pages.c.document_id == document_id))

    return record


def _replace_segments(conn: Connection, document_id: int, transcript: Transcript) -> None:
    conn.execute(delete(transcript_segments).where(transcript_segments.c.document_id == document_id))
    rows = [
        {
            "document_id": document_id,
            "idx": s.index,
            "start": s.start,
            "end": s.end,
            "text": s.text,
            "avg_logprob": s.avg_logprob,
            "no_speech_prob": s.no_speech_prob,
            "low_confidence": int(s.low_confidence),
        }
        for s in transcript.segments
    ]
    if rows:
        conn.execute(insert(transcript_segments), rows)


def _replace_page(conn: Connection, document_id: int, transcript: Transcript) -> None:
    conn.execute(delete(pages).where(pages.c.document_id == document_id))
    conn.execute(
        insert(pages).values(
            document_id=document_id,
            page_no=1,
            text=transcript.text,
            confidence=transcript.confidence,
            method=METHOD,
            engine=f"{transcript.engine} {transcript.engine_version} {transcript.model}"[:64],
            info=_page_info(transcript),
        )
    )


def _page_info(transcript: Transcript) -> dict[str, Any]:
    spoken = transcript.spoken
    return {
        **transcript.summary(),
        "transcript_status": DRAFT,
        "warnings": list(transcript.warnings),
        "spoken_identifiers": {
            "dates_of_birth": [d.isoformat() for d in spoken.dates_of_birth],
            "dates": [d.isoformat() for d in spoken.dates],
            "mrns": list(spoken.mrns),
            "spelled_names": list(spoken.spelled_names),
        },
    }


def _record_machine_draft(conn: Connection, document_id: int, transcript: Transcript) -> None:
    """Replace the current machine draft, or add one after versions people have touched."""
    current = current_transcript(conn, document_id)
    values = {
        "kind": MACHINE,
        "status": DRAFT,
        "text": transcript.text,
        "created_at": utcnow(),
        "author": None,
        "verified_by": None,
        "verified_at": None,
        "info": transcript.summary(),
    }
    if current is not None and current.kind == MACHINE and current.status == DRAFT:
        conn.execute(
            update(transcripts)
            .where(transcripts.c.document_id == document_id, transcripts.c.version == current.version)
            .values(**values)
        )
        return
    version = 1 if current is None else current.version + 1
    conn.execute(insert(transcripts).values(document_id=document_id, version=version, **values))


def current_transcript(conn: Connection, document_id: int) -> TranscriptVersion | None:
    row = conn.execute(
        select(transcripts)
        .where(transcripts.c.document_id == document_id)
        .order_by(transcripts.c.version.desc())
        .limit(1)
    ).first()
    return None if row is None else TranscriptVersion.from_row(row)


def transcript_history(conn: Connection, document_id: int) -> list[TranscriptVersion]:
    rows = conn.execute(
        select(transcripts).where(transcripts.c.document_id == document_id).order_by(transcripts.c.version)
    )
    return [TranscriptVersion.from_row(r) for r in rows]


def confirm_transcript(
    conn: Connection, document_id: int, *, user: str, text: str | None = None
) -> TranscriptVersion:
    """A clinician confirms the transcript, optionally with corrected text.

    Adds a verified version (the draft stays in the history), puts its text on
    page 1 and bumps the document's index_version so search sees the change.
    Call inside a write transaction; audit the action in the caller.
    """
    current = current_transcript(conn, document_id)
    if current is None:
        raise NotFoundError(
            f"document {document_id} has no transcript to confirm",
            remedy="wait until the dictation has been transcribed",
        )
    final = current.text if text is None else text.strip()
    now = utcnow()
    version = current.version + 1
    conn.execute(
        insert(transcripts).values(
            document_id=document_id,
            version=version,
            kind=MACHINE if final == current.text and current.kind == MACHINE else EDIT,
            status=VERIFIED,
            text=final,
            created_at=now,
            author=user,
            verified_by=user,
            verified_at=now,
            info={"confirms_version": current.version},
        )
    )
    conn.execute(
        update(pages).where(pages.c.document_id == document_id, pages.c.page_no == 1).values(text=final)
    )
    _mark_document(conn, document_id, status=VERIFIED)
    return TranscriptVersion.from_row(
        conn.execute(
            select(transcripts).where(transcripts.c.document_id == document_id, transcripts.c.version == version)
        ).one()
    )


def _mark_document(conn: Connection, document_id: int, *, status: str) -> None:
    flags = conn.execute(select(documents.c.flags).where(documents.c.id == document_id)).scalar_one()
    conn.execute(
        update(documents)
        .where(documents.c.id == document_id)
        .values(
            flags={**(flags or {}), "transcript": status},
            index_version=documents.c.index_version + 1,
            updated_at=utcnow(),
        )
    )


def segment_rows(conn: Connection, document_id: int) -> list[dict[str, Any]]:
    """The stored segments of a document, in time order (for the review screen)."""
    rows = conn.execute(
        select(transcript_segments)
        .where(transcript_segments.c.document_id == document_id)
        .order_by(transcript_segments.c.idx)
    )
    return [dict(r._mapping) for r in rows]


"""Confirming or correcting a dictation's transcript.

Every transcript is an unverified draft until a clinician confirms it; the
transcription room keeps each version (the machine's draft stays). The policy
is asked "confirm_transcript" on the document, and the confirmation is audited
as a TranscriptConfirmed event (corrected or not, the new and previous version).
"""

from __future__ import annotations

from chartdesk import access, audit, transcription
from chartdesk.access import Principal
from chartdesk.app import App
from chartdesk.errors import UsageError

MAX_CHARS = 200_000


def confirm(app: App, principal: Principal, doc_id: int, *, text: str | None) -> transcription.TranscriptVersion:
    """Confirm the current transcript, or (with `text`) correct it and confirm the correction."""
    if text is not None:
        text = text.replace("\r\n", "\n").strip()
        if not text:
            raise UsageError("the corrected transcript is empty", remedy="type the text, or confirm it as it is")
        if len(text) > MAX_CHARS:
            raise UsageError("the transcript is too long", remedy=f"keep it under {MAX_CHARS} characters")
    with app.db.write() as conn:
        facts = access.require_document(conn, principal, doc_id, "confirm_transcript")
        before = transcription.current_transcript(conn, doc_id)
        changed = text is not None and before is not None and text != before.text
        version = transcription.confirm_transcript(conn, doc_id, user=principal.username,
                                                   text=text if changed else None)
        audit.record(conn, audit.TranscriptConfirmed(
            principal=principal, document_id=doc_id, patient_id=facts.patient_id, corrected=changed,
            version=version.version, previous_version=before.version if before else None))
    return version

"""The `transcribe` pipeline stage: dictated audio -> an unverified draft transcript.

Runs outside any transaction; what it learned reaches the database only
through `record`, inside the pipeline's commit transaction. Bad audio raises
the BadInputError subclasses (the pipeline quarantines the file with the
reason); a recording with nothing said ends in the visible `no_speech` state.
"""

from __future__ import annotations

import logging

from chartdesk.stages import Doc, StageContext, StageResult, State
from chartdesk.transcription.records import DRAFT, no_speech_recorder, transcript_recorder
from chartdesk.transcription.transcribe import transcribe_file

log = logging.getLogger(__name__)

NO_SPEECH = "no_speech"


class TranscribeStage:
    """Whisper speech-to-text for documents of kind "audio"."""

    name = "transcribe"

    def applies(self, doc: Doc, ctx: StageContext) -> bool:
        return doc.kind == "audio"

    def run(self, doc: Doc, ctx: StageContext) -> StageResult:
        transcript = transcribe_file(
            ctx.blob_path(doc.sha256), doc.media_type, ctx.settings, heartbeat=ctx.heartbeat
        )
        summary = transcript.summary()
        log.info(
            "document %s: %d segments kept, %d dropped, %d low confidence, %.1f s of audio",
            doc.id, len(transcript.segments), transcript.dropped_segments,
            transcript.low_confidence_count, transcript.audio_seconds,
        )
        if not transcript.segments:
            return StageResult(
                state=State.no_speech,
                summary=summary,
                updates={"page_count": 0, "flags": {**doc.flags, "transcript": NO_SPEECH}},
                record=no_speech_recorder(doc.id),
                warnings=(*transcript.warnings, "no speech was heard in the recording"),
                done=True,
            )
        flags = {
            **doc.flags,
            "transcript": DRAFT,
            "low_confidence_segments": transcript.low_confidence_count,
        }
        return StageResult(
            state=State.extracted,
            summary=summary,
            updates={"page_count": 1, "flags": flags},
            record=transcript_recorder(doc.id, transcript),
            warnings=_warnings(transcript.warnings, transcript.low_confidence_count),
        )


def _warnings(decode_warnings: tuple[str, ...], low: int) -> tuple[str, ...]:
    if not low:
        return decode_warnings
    return (*decode_warnings, f"{low} part(s) of the transcript are uncertain; listen to them when reviewing")

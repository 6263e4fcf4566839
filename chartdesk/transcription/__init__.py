"""The dictation room: dictated audio -> segments with times and confidence,
a normalised full text for search and matching, and an unverified draft that a
clinician confirms. Whisper through faster-whisper, fully offline.

This is the room's one door; other rooms import only these names. Importing it
does not load the speech model or CTranslate2 (that happens on the first job).
"""

from chartdesk.transcription.audio import ACCEPTED_MEDIA_TYPES, AudioFacts, inspect_audio
from chartdesk.transcription.engine import (
    RawSegment,
    SpeechEngine,
    SpeechOptions,
    SpeechRun,
    get_engine,
    register_engine,
)
from chartdesk.transcription.records import (
    TranscriptVersion,
    confirm_transcript,
    current_transcript,
    segment_rows,
    transcript_history,
)
from chartdesk.transcription.spoken import SpokenText, normalise_spoken, read_spoken
from chartdesk.transcription.stage import TranscribeStage
from chartdesk.transcription.transcribe import Segment, Transcript, transcribe_file

# The instance the pipeline's stage table names: "chartdesk.transcription:transcribe_stage".
transcribe_stage = TranscribeStage()

__all__ = [
    "ACCEPTED_MEDIA_TYPES",
    "AudioFacts",
    "RawSegment",
    "Segment",
    "SpeechEngine",
    "SpeechOptions",
    "SpeechRun",
    "SpokenText",
    "TranscribeStage",
    "Transcript",
    "TranscriptVersion",
    "confirm_transcript",
    "current_transcript",
    "get_engine",
    "inspect_audio",
    "normalise_spoken",
    "read_spoken",
    "register_engine",
    "segment_rows",
    "transcribe_file",
    "transcribe_stage",
    "transcript_history",
]

"""The web room: the FastAPI app staff and compliance officers use every day.

    from chartdesk.web import create_app, WebServer

Every route declares what it needs with `require(permission)`, `LOGGED_IN` or
`PUBLIC`; the access policy decides. Pages read and change records through the
rooms' doors (access, audit, charts, index, transcription) in reading.py,
queue.py, compliance.py, release.py, dictation.py and operations.py, each
asking the policy and writing its audit event; chartdesk/records, the shared
service layer, takes their place as it lands. Nothing here decides who may see what.
"""

from chartdesk.web.app import OPENAPI_PATH, create_app
from chartdesk.web.auth import LOGGED_IN, PUBLIC, Requirement, require
from chartdesk.web.server import WebServer

__all__ = ["LOGGED_IN", "OPENAPI_PATH", "PUBLIC", "Requirement", "WebServer", "create_app", "require"]

"""The web room: the FastAPI app staff and compliance officers use every day.

    from chartdesk.web import create_app, WebServer

Routes ask the access policy through `require(...)` dependencies and read
records through the records room; nothing here decides who may see what.
"""

from chartdesk.web.app import OPENAPI_PATH, create_app
from chartdesk.web.auth import LOGGED_IN, PUBLIC, Requirement, require
from chartdesk.web.server import WebServer

__all__ = ["LOGGED_IN", "OPENAPI_PATH", "PUBLIC", "Requirement", "WebServer", "create_app", "require"]

"""The UI's own CSS, JavaScript and icons, served from the package (no CDN).

Only the files present in chartdesk/web/static/ when the app starts can be
named; a request for anything else, including `..` paths, is a 404.
"""

from __future__ import annotations

import hashlib
import mimetypes
from dataclasses import dataclass
from importlib import resources

from fastapi import APIRouter
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from chartdesk.web.auth import PUBLIC

router = APIRouter()


@dataclass(frozen=True)
class Asset:
    body: bytes
    media_type: str
    etag: str


def load_assets() -> dict[str, Asset]:
    assets = {}
    for entry in resources.files("chartdesk.web").joinpath("static").iterdir():
        if entry.is_file():
            body = entry.read_bytes()
            media_type = mimetypes.guess_type(entry.name)[0] or "application/octet-stream"
            assets[entry.name] = Asset(body, media_type, hashlib.sha256(body).hexdigest()[:16])
    return assets


@router.get("/static/{name}", include_in_schema=False)
def static_file(request: Request, name: str, _: None = PUBLIC) -> Response:
    asset = request.app.state.chartdesk.extras["assets"].get(name)
    if asset is None:
        raise HTTPException(404)
    headers = {"ETag": f'"{asset.etag}"', "Cache-Control": "public, max-age=3600"}
    if request.headers.get("if-none-match") == headers["ETag"]:
        return Response(status_code=304, headers=headers)
    return Response(asset.body, media_type=asset.media_type, headers=headers)

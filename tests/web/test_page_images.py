"""Page images in the web viewer: a born-digital page's image is drawn from the
original on its first view (after the access check, audited like any view) and
kept; concurrent first views over real HTTP each get the whole image; a user who
may not see the document gets the same 404 as for a missing one and no drawing."""

from __future__ import annotations

import threading
from collections.abc import Callable
from io import BytesIO
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import insert, select

from chartdesk.classify.stages import copy_pages
from chartdesk.db import audit_events, documents, pages
from chartdesk.stages import State
from chartdesk.web import WebServer
from tests.web.conftest import login
from tests.web.data import Site

Client = Callable[[str], TestClient]


def _page_file(site: Site, doc: str, page_no: int = 1) -> tuple[Path, str, tuple[int, int]]:
    doc_id = site.docs[doc]
    with site.app.db.read() as conn:
        row = conn.execute(select(pages.c.image, pages.c.method, pages.c.width, pages.c.height)
                           .where(pages.c.document_id == doc_id, pages.c.page_no == page_no)).one()
    return site.app.derived_dir(doc_id) / row.image, row.method, (row.width, row.height)


def _outcomes(site: Site, doc: str, actor: str) -> list[str]:
    with site.app.db.read() as conn:
        return list(conn.execute(select(audit_events.c.outcome).where(
            audit_events.c.action == "page_viewed", audit_events.c.actor == actor,
            audit_events.c.document_id == site.docs[doc]).order_by(audit_events.c.seq)).scalars())


def test_a_born_digital_page_is_drawn_on_first_view_and_kept(site: Site, client_for: Client) -> None:
    """Given a born-digital lab result whose page image was never drawn, when the
    records clerk opens page 1 twice, then the first view draws it (a WebP at the
    page row's size), the second serves the same file, and both views are audited."""
    path, method, size = _page_file(site, "lab")
    assert method == "text_layer"
    path.unlink(missing_ok=True)  # as the extract stage left it (another test may have viewed it)
    records = client_for("records")
    before = _outcomes(site, "lab", site.users["records"].username)

    first = records.get(f"/documents/{site.docs['lab']}/pages/1/image")

    assert first.status_code == 200 and first.headers["content-type"] == "image/webp"
    assert first.headers["cache-control"] == "no-store"  # as for every page image
    assert path.is_file() and first.content == path.read_bytes()
    with Image.open(BytesIO(first.content)) as image:
        assert image.size == size
    made = path.stat().st_mtime_ns
    second = records.get(f"/documents/{site.docs['lab']}/pages/1/image")
    assert second.status_code == 200 and second.content == first.content
    assert path.stat().st_mtime_ns == made
    assert _outcomes(site, "lab", site.users["records"].username) == [*before, "ok", "ok"]


def test_a_hidden_born_digital_page_is_not_drawn(site: Site, client_for: Client) -> None:
    """The clinician may not see the substance-use note: 404 like a missing page,
    audited as denied, and nothing is drawn for them."""
    path, method, _ = _page_file(site, "sud")
    assert method == "text_layer"
    path.unlink(missing_ok=True)
    clinician = client_for("clinician")
    response = clinician.get(f"/documents/{site.docs['sud']}/pages/1/image")
    assert response.status_code == 404
    assert not path.exists()
    assert _outcomes(site, "sud", site.users["clinician"].username)[-1] == "denied"
    missing = client_for("records").get(f"/documents/{site.docs['lab']}/pages/99/image")
    assert missing.status_code == 404


def _split_part(site: Site, parent: str) -> int:
    """A part of a split fax made from `parent`'s page 1, as the classify stage
    makes it (the same columns, copy_pages for the page rows)."""
    parent_id = site.docs[parent]
    with site.app.db.write() as conn:
        row = conn.execute(select(documents).where(documents.c.id == parent_id)).one()._mapping
        kept = ("sha256", "size_bytes", "media_type", "kind", "original_name", "source", "inbox", "received_at",
                "updated_at")
        child = conn.execute(insert(documents).values(
            **{c: row[c] for c in kept}, state=State.extracted, stage="classify", attempts=0, generation=1,
            flags={"split_from": parent_id, "part": "body"}, page_count=1, labels=[], index_version=0,
            indexed_version=0, parent_id=parent_id, page_start=1, page_end=1)).inserted_primary_key[0]
        copy_pages(conn, parent_id, child, 1, 1)
    return int(child)


@pytest.mark.parametrize("parent", ["scan", "lab"])
def test_a_part_of_a_split_fax_shows_its_parents_page(site: Site, client_for: Client, parent: str) -> None:
    """Given a part split off a document (its page row points at the parent's image,
    "../<parent>/page-N"), when the records clerk opens its page 1, then it shows the
    parent's page (an OCR page's kept image, or a text-layer page drawn on first view);
    a path leading anywhere else is refused like a missing page."""
    child = _split_part(site, parent)
    records = client_for("records")
    response = records.get(f"/documents/{child}/pages/1/image")
    assert response.status_code == 200, response.text
    parent_file, _, _ = _page_file(site, parent)
    assert response.content == parent_file.read_bytes()
    with site.app.db.write() as conn:
        conn.execute(pages.update().where(pages.c.document_id == child).values(
            image=f"../{site.docs['sud']}/page-0001.webp"))  # not its parent: never followed
    assert records.get(f"/documents/{child}/pages/1/image").status_code == 404


def test_concurrent_first_views_over_http_each_get_the_whole_image(site: Site, live: WebServer) -> None:
    """Given six browsers of the records clerk opening page 1 of the card at the
    same moment (uvicorn serves each from its own thread), then all get the same
    complete image and no temporary file is left beside it."""
    path, method, size = _page_file(site, "card")
    assert method == "text_layer"
    path.unlink(missing_ok=True)
    user = site.users["records"]
    clients = [login(httpx.Client(base_url=live.url), user.username, user.password) for _ in range(6)]  # type: ignore[arg-type]
    gate = threading.Barrier(len(clients))
    bodies: list[bytes] = []
    statuses: list[int] = []

    def view(client: httpx.Client) -> None:
        gate.wait()
        response = client.get(f"/documents/{site.docs['card']}/pages/1/image")
        statuses.append(response.status_code)
        bodies.append(response.content)

    threads = [threading.Thread(target=view, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for c in clients:
        c.close()

    assert statuses == [200] * len(clients)
    assert len(set(bodies)) == 1 and bodies[0] == path.read_bytes()
    with Image.open(BytesIO(bodies[0])) as image:
        assert image.size == size
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_a_scanned_page_keeps_the_image_its_reading_made(site: Site, client_for: Client) -> None:
    path, method, _ = _page_file(site, "scan")
    assert method == "ocr" and path.is_file()
    response = client_for("records").get(f"/documents/{site.docs['scan']}/pages/1/image")
    assert response.status_code == 200 and response.content == path.read_bytes()

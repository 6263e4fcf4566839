"""The pages, one module per area. `ROUTERS` is what the app factory includes."""

from __future__ import annotations

from fastapi import APIRouter

from chartdesk.web.routes import breakglass, documents, login, patients, search, static

ROUTERS: tuple[APIRouter, ...] = (
    static.router,
    login.router,
    search.router,
    documents.router,
    patients.router,
    breakglass.router,
)

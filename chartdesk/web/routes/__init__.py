"""The pages, one module per area. `ROUTERS` is what the app factory includes."""

from __future__ import annotations

from fastapi import APIRouter

from chartdesk.web.routes import (
    audit,
    breakglass,
    dictation,
    documents,
    login,
    patients,
    release,
    retention,
    review,
    search,
    static,
    status,
    users,
)

ROUTERS: tuple[APIRouter, ...] = (
    static.router,
    login.router,
    search.router,
    documents.router,
    patients.router,
    breakglass.router,
    review.router,
    status.router,
    audit.router,
    users.router,
    release.router,
    dictation.router,
    retention.router,
)

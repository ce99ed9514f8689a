"""ASGI entry point for uvicorn workers: `uvicorn --factory app.main:app_factory`."""

from __future__ import annotations

from starlette.applications import Starlette

from app.api.app import create_app
from app.config import configure_logging, get_settings


def app_factory() -> Starlette:
    settings = get_settings()
    configure_logging(settings)
    return create_app(settings)

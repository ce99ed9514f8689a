"""Cross-domain wiring, done once per process when storage opens: domains that extend
another domain register with its extension points here, so the extended domain never
imports them (see `app/incidents/hooks.py`)."""

from __future__ import annotations

from app.config import Settings


def install(settings: Settings) -> None:
    from app.postmortems import integration as postmortems
    from app.statuspage import integration as statuspage

    postmortems.install(settings)
    statuspage.install()

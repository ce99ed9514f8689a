"""Per-request DataLoaders: one query per relation per request tick, whatever the page size."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from strawberry.dataloader import DataLoader

from app.alerts import queries as alert_queries
from app.alerts.models import Alert, Integration
from app.catalog.models import Service
from app.identity.models import User
from app.identity.policy import Principal
from app.incidents import queries as incident_queries
from app.incidents.models import Incident, IncidentMember, RoleAssignment, TimelineEvent
from app.incidents.queries import TimelineWindow
from app.statuspage import queries as statuspage_queries
from app.statuspage.models import Component as StatusComponent
from app.statuspage.models import PublicIncident, StatusUpdate

if TYPE_CHECKING:
    from app.api.graphql.postmortems.loaders import PostmortemLoaders


class Loaders:
    def __init__(self, principal: Principal | None) -> None:
        self.principal = principal
        self.user = DataLoader(self._users)
        self.service = DataLoader(self._services)
        self.incident = DataLoader(self._incidents)
        self.incident_services = DataLoader(self._incident_services)
        self.incident_roles = DataLoader(self._incident_roles)
        self.incident_members = DataLoader(self._incident_members)
        self.timeline = DataLoader(self._timeline)
        self.integration = DataLoader(self._integrations)
        self.incident_alerts = DataLoader(self._incident_alerts)
        self.incident_alert_count = DataLoader(self._incident_alert_counts)
        self.status_component = DataLoader(self._status_components)
        self.status_updates = DataLoader(self._status_updates)
        self.public_incident = DataLoader(self._public_incidents)
        self._postmortems: PostmortemLoaders | None = None

    @property
    def postmortems(self) -> PostmortemLoaders:
        """Loaders of the postmortems domain, made on first use."""
        if self._postmortems is None:
            from app.api.graphql.postmortems.loaders import PostmortemLoaders

            self._postmortems = PostmortemLoaders(self.principal)
        return self._postmortems

    async def _users(self, ids: Sequence[int]) -> list[User | None]:
        rows = {row.id: row for row in await User.filter(id__in=list(ids))}
        return [rows.get(i) for i in ids]

    async def _services(self, ids: Sequence[int]) -> list[Service | None]:
        rows = {row.id: row for row in await Service.filter(id__in=list(ids))}
        return [rows.get(i) for i in ids]

    async def _incidents(self, ids: Sequence[int]) -> list[Incident | None]:
        """Only incidents the requester may see; others load as None."""
        if self.principal is None:
            return [None for _ in ids]
        rows = await incident_queries.get_visible(self.principal, ids)
        return [rows.get(i) for i in ids]

    async def _incident_services(self, ids: Sequence[int]) -> list[list[Service]]:
        grouped = await incident_queries.services_by_incident(ids)
        return [grouped.get(i, []) for i in ids]

    async def _incident_members(self, ids: Sequence[int]) -> list[list[IncidentMember]]:
        grouped = await incident_queries.members_by_incident(ids)
        return [grouped.get(i, []) for i in ids]

    async def _incident_roles(self, ids: Sequence[int]) -> list[list[RoleAssignment]]:
        grouped = await incident_queries.roles_by_incident(ids)
        return [grouped.get(i, []) for i in ids]

    async def _timeline(self, keys: Sequence[tuple[int, TimelineWindow]]) -> list[list[TimelineEvent]]:
        by_incident: dict[int, TimelineWindow] = {}
        for incident_id, window in keys:
            known = by_incident.get(incident_id)
            if known is None:
                by_incident[incident_id] = window
            else:  # same incident asked twice in one tick: read the union, slice below
                by_incident[incident_id] = TimelineWindow(
                    min(known.low, window.low), max(known.high, window.high), window.last_sequence
                )
        grouped = await incident_queries.timeline_events(by_incident)
        return [
            [e for e in grouped.get(incident_id, []) if window.low <= e.sequence <= window.high]
            for incident_id, window in keys
        ]

    async def _integrations(self, ids: Sequence[int]) -> list[Integration | None]:
        rows = await alert_queries.integrations_by_id(ids)
        return [rows.get(i) for i in ids]

    async def _incident_alerts(self, keys: Sequence[tuple[int, int, int | None]]) -> list[list[Alert]]:
        """Keys (incident id, page size, below alert id): one query per distinct page shape."""
        shapes: dict[tuple[int, int | None], list[int]] = {}
        for incident_id, size, after_id in keys:
            shapes.setdefault((size, after_id), []).append(incident_id)
        pages = {
            shape: await alert_queries.incident_alert_pages(shape[0], shape[1], ids) for shape, ids in shapes.items()
        }
        return [pages[(size, after_id)].get(incident_id, []) for incident_id, size, after_id in keys]

    async def _incident_alert_counts(self, ids: Sequence[int]) -> list[int]:
        counts = await alert_queries.incident_alert_counts(ids)
        return [counts.get(i, 0) for i in ids]

    async def _status_components(self, ids: Sequence[int]) -> list[StatusComponent | None]:
        rows = await statuspage_queries.components(ids)
        return [rows.get(i) for i in ids]

    async def _status_updates(self, incident_ids: Sequence[int]) -> list[list[StatusUpdate]]:
        grouped = await statuspage_queries.status_updates(incident_ids)
        return [grouped.get(i, []) for i in incident_ids]

    async def _public_incidents(self, incident_ids: Sequence[int]) -> list[PublicIncident | None]:
        rows = await statuspage_queries.public_incidents(incident_ids)
        return [rows.get(i) for i in incident_ids]

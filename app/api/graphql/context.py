"""What every resolver gets: who is asking, per-request loaders, the request id."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from app.identity.policy import Principal

if TYPE_CHECKING:
    from app.api.graphql.loaders import Loaders


@dataclass
class Context:
    principal: Principal | None
    request_id: str
    client_ip: str | None = None
    extras: dict[str, Any] = field(default_factory=dict)
    _loaders: Loaders | None = None

    @property
    def loaders(self) -> Loaders:
        if self._loaders is None:
            from app.api.graphql.loaders import Loaders

            self._loaders = Loaders(self.principal)
        return self._loaders

    def fresh_loaders(self) -> None:
        """Forget what the loaders read: a long-lived subscription calls it before each event."""
        self._loaders = None

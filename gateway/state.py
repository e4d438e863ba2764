"""What the gateway holds for its whole life: :class:`GatewayState`."""

from __future__ import annotations

from dataclasses import dataclass, field

from auth.service import Auth
from gateway.health import DependencyCheck
from kernel.settings import Settings
from resolvers.shared import SharedServices


@dataclass
class GatewayState:
    """The app's settings and auth, and what its lifespan opens for every request to share.

    ``services`` exists only while the lifespan runs; requests are served only then, so the
    endpoints take it from :meth:`shared`, and resolvers get it whole in their context.
    """

    settings: Settings
    auth: Auth
    services: SharedServices | None = None
    checks: list[DependencyCheck] = field(default_factory=list)

    def shared(self) -> SharedServices:
        """The services of the running lifespan; an error outside it (a wiring bug)."""
        if self.services is None:
            raise RuntimeError("the gateway's lifespan is not running")
        return self.services

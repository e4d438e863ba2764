"""Local ID-porten stand-in: a small OpenID Connect provider for synthetic test persons.

It issues ID-porten-shaped ID and access tokens (authlib server components, joserfc signing) so
the gateway can be developed, tested and demonstrated exactly as against ID-porten; only the
issuer URL differs. Entry points: :func:`build_app`, :func:`standin_spec`,
:func:`issue_access_token`.
"""

from idporten_standin.app import Standin, build_app, issue_access_token
from idporten_standin.config import (
    LOA_HIGH,
    LOA_SUBSTANTIAL,
    RegisteredClient,
    StandinConfig,
)
from idporten_standin.keys import SigningKeys
from idporten_standin.persons import TestPerson, builtin_persons, default_persons
from idporten_standin.spec import (
    DEV_API_SCOPE,
    GATEWAY_CLIENT_ID,
    GATEWAY_CLIENT_SECRET,
    gateway_client,
    standin_config,
    standin_spec,
)

__all__ = [
    "DEV_API_SCOPE",
    "GATEWAY_CLIENT_ID",
    "GATEWAY_CLIENT_SECRET",
    "LOA_HIGH",
    "LOA_SUBSTANTIAL",
    "RegisteredClient",
    "SigningKeys",
    "Standin",
    "StandinConfig",
    "TestPerson",
    "build_app",
    "builtin_persons",
    "default_persons",
    "gateway_client",
    "issue_access_token",
    "standin_config",
    "standin_spec",
]

"""Production reads go the lxml way: zeep's reply parser is not used for the hot replies.

Over loopback against the simulator, with zeep's ``process_reply`` of the hot operations made
to fail, the client still answers: the replies were read by :mod:`connectors.p360.read`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from connectors.p360 import P360Client
from connectors.resilience import Resilience, ResiliencePolicy
from kernel.servers import ServerSpec, running_servers
from simulators.admin import SimulatorControl
from simulators.p360.app import BASE_PATH, build_app
from simulators.population import Population, documented


@pytest.fixture
async def client() -> AsyncIterator[tuple[P360Client, Population]]:
    population = Population(seed=2026, size=20)
    app = build_app(population, SimulatorControl("p360", population), username="u", password="p")
    async with (
        running_servers([ServerSpec("p360", app)]) as servers,
        aiohttp.ClientSession() as session,
    ):
        resilience = Resilience("p360", ResiliencePolicy(retries=0))
        yield P360Client(session, servers[0].url + BASE_PATH, "u", "p", resilience), population


async def test_hot_reads_do_not_need_zeeps_reply_parser(
    client: tuple[P360Client, Population], monkeypatch: pytest.MonkeyPatch
) -> None:
    p360, population = client

    def refuse(*_args: Any) -> Any:
        raise AssertionError("zeep parsed a hot reply")

    for service, operation in (
        ("CaseService", "GetCases"),
        ("DocumentService", "GetDocuments"),
        ("ContactService", "GetPrivatePersons"),
    ):
        monkeypatch.setattr(p360._services[service].binding.get(operation), "process_reply", refuse)
    pid = population.person(documented.MANY_CASES).pid
    assert len(await p360.cases_for_person(pid)) == 120
    assert sum(map(len, (await p360.documents_for_person(pid)).values())) >= 355
    person = await p360.private_person(pid)
    assert person is not None and person.personal_id_number == pid

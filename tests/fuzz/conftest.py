"""The fuzz tests' stack: a whole stack of their own (stand-in, simulators, gateway) for the
module, so fuzzed mutations never reach the back office other tests share; and the
hypothesis profiles that bound the run.

The default run is derandomized: the same examples on every machine and in CI.
``MINSIDE_TEST_FUZZ_EXAMPLES=N`` asks for N examples per test instead of
:data:`DEFAULT_EXAMPLES`, and ``MINSIDE_TEST_FUZZ_SEED=S`` for other examples, drawn from seed S
(README, Tests).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from kernel.settings import Settings
from minside.stack import RunningStack, running_stack
from tests.environment import isolated_environment
from tests.graph.conftest import GRAPH_SETTINGS

#: Examples per test in the default run: the whole module stays within ~30 s on two cores.
DEFAULT_EXAMPLES = 25

settings.register_profile(
    "minside-fuzz",
    max_examples=int(os.environ.get("MINSIDE_TEST_FUZZ_EXAMPLES") or DEFAULT_EXAMPLES),
    # Requests over sockets: their time is the machine's load, not a property of the code.
    deadline=None,
    # The same examples on every run (CI, a developer's machine) unless a seed is asked for.
    derandomize=not os.environ.get("MINSIDE_TEST_FUZZ_SEED"),
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)


@pytest.fixture(scope="module")
async def fuzz_stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningStack]:
    home = tmp_path_factory.mktemp("fuzz")
    with isolated_environment(home):
        config = Settings(
            **{**GRAPH_SETTINGS, "outbox_url": f"sqlite:///{Path(home) / 'outbox.sqlite3'}"}
        )
    async with running_stack(config) as stack:
        yield stack

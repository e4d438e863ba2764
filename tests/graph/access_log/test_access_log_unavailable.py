"""An access log store that does not answer costs ``viewer.accessLog`` only: null with
``ACCESS_LOG_UNAVAILABLE``; the rest of the response is served."""

from __future__ import annotations

import sqlite3

from auth.acr import Acr
from auth.viewer import AuthMethod, Viewer
from kernel.server_secret import ServerSecret
from resolvers.access_recorder import AccessRecorder
from resolvers.testing import TEST_SECRET, context_for_test, services_for_test
from schema.build import build_schema
from stores.access_log_sqlite import SqliteAccessLog

PID = "01817700369"  # synthetic
VIEWER = Viewer(pid=PID, sub="s", acr=Acr.SUBSTANTIAL, method=AuthMethod.SESSION)


async def test_a_locked_store_answers_access_log_unavailable(tmp_path):
    path = tmp_path / "outbox.sqlite3"
    store = await SqliteAccessLog.open(path, busy_timeout_s=0.05)
    recorder = AccessRecorder(
        store, ServerSecret(TEST_SECRET), "minside-gateway", queue_max=10, batch_max=10
    )
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # another process holds the file past the busy timeout
    try:
        context = context_for_test(services_for_test(access_log=recorder), viewer=VIEWER)
        result = await build_schema().execute(
            "{ viewer { levelOfAssurance accessLog { totalCount } } }", context_value=context
        )
    finally:
        other.execute("ROLLBACK")
        other.close()
        await store.close()
    assert result.data == {"viewer": {"levelOfAssurance": "SUBSTANTIAL", "accessLog": None}}
    assert result.errors is not None
    assert [e.extensions["code"] for e in result.errors] == ["ACCESS_LOG_UNAVAILABLE"]

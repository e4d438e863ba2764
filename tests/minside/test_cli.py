"""The `minside` console script as a newcomer runs it."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MINSIDE = Path(sys.executable).parent / "minside"


def run(*args, env=None):
    return subprocess.run(
        [str(MINSIDE), *args], capture_output=True, text=True, env=env, timeout=60, check=False
    )


def test_export_schema_prints_the_committed_sdl():
    result = run("export-schema")
    assert result.returncode == 0, result.stderr
    assert result.stdout == (ROOT / "schema.graphql").read_text()


def test_bad_setting_stops_with_the_variable_named():
    env = {k: v for k, v in os.environ.items() if not k.startswith("MINSIDE_")}
    env["MINSIDE_PORT"] = "eighty"
    result = run("export-schema", env=env)
    assert result.returncode == 2
    assert "MINSIDE_PORT" in result.stderr
    assert "Traceback" not in result.stderr


def test_help_lists_the_commands():
    result = run("--help")
    assert result.returncode == 0
    for command in (
        "serve",
        "demo",
        "simulators",
        "export-schema",
        "population",
        "dev-token",
        "migrate",
    ):
        assert command in result.stdout


def test_serve_in_production_without_an_audience_is_refused(tmp_path):
    # MINSIDE_MODE unset: production, the default outside `minside demo`.
    env = {k: v for k, v in os.environ.items() if not k.startswith("MINSIDE_")}
    env["MINSIDE_OUTBOX_URL"] = f"sqlite:///{tmp_path / 'outbox.sqlite3'}"
    result = subprocess.run(
        [str(MINSIDE), "serve"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert "MINSIDE_IDPORTEN_AUDIENCE is required in production mode" in result.stderr
    assert "Traceback" not in result.stderr
    assert "gateway  http://" not in result.stdout  # refused before it started anything

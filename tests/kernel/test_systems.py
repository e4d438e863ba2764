"""The registry of back-office systems is consistent with the folders and checks it names."""

from __future__ import annotations

import inspect
import tomllib
from pathlib import Path

import pytest

from contracts import CONTRACTS_DIR
from kernel.systems import SYSTEM_NAMES, SYSTEMS, load, system

ROOT = Path(__file__).resolve().parents[2]


def test_names_are_unique_identifiers_and_ports_do_not_collide():
    assert len(set(SYSTEM_NAMES)) == len(SYSTEMS)
    for entry in SYSTEMS:
        assert entry.name.isidentifier() and entry.name == entry.name.lower()
        assert len(entry.labels) == 3 and all(entry.labels)
        assert entry.path == "" or (entry.path.startswith("/") and not entry.path.endswith("/"))
    ports = [entry.port for entry in SYSTEMS]
    assert len(set(ports)) == len(ports)
    assert not {8000, 8100} & set(ports)  # the gateway's and the stand-in's defaults


def test_each_entry_names_a_connector_a_simulator_and_a_contract():
    for entry in SYSTEMS:
        connector = load(entry.connector)
        assert inspect.isclass(connector), entry.connector
        assert inspect.iscoroutinefunction(connector.ping), entry.connector
        assert entry.connector.startswith(f"connectors.{entry.name}.")
        simulator = load(entry.simulator)
        assert callable(simulator), entry.simulator
        assert entry.simulator.startswith(f"simulators.{entry.name}.")
        contract = CONTRACTS_DIR / entry.name
        assert (contract / "wsdl").is_dir() or len(list(contract.glob("*.yaml"))) == 1, contract


def test_lookup_by_name():
    assert system("p360").title == "Public 360 (sak og arkiv)"
    with pytest.raises(KeyError):
        system("nonesuch")


def test_import_contracts_cover_every_registered_system():
    # pyproject.toml cannot read the registry; this keeps its per-system lists in step with it.
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    contracts = {c["name"]: c for c in config["tool"]["importlinter"]["contracts"]}
    connectors = contracts["Each back-office connector stands alone"]["modules"]
    simulators = next(c for n, c in contracts.items() if n.startswith("Each simulator"))["modules"]
    assert connectors == [f"connectors.{name}" for name in SYSTEM_NAMES]
    assert simulators == [f"simulators.{name}" for name in SYSTEM_NAMES]

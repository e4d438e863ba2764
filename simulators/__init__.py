"""Simulators of the back-office systems (Matrikkel, fee/meter service, Public 360, Visma).

Each is a Starlette app speaking the real protocol over a deterministic synthetic population
(:mod:`simulators.population`), with an admin surface for faults and counters
(:mod:`simulators.admin`).
"""

"""Back-office connectors: Matrikkel, Public 360, fees/meters and Visma.

Connectors return plain dataclasses and raise the exception tree in
:mod:`connectors.errors`; every remote call runs inside a
:class:`connectors.resilience.Resilience` (deadline, retries, circuit breaker,
concurrency limit). They never import the GraphQL layer.
"""

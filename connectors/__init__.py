"""Back-office connectors: Matrikkel, Public 360, fees/meters and Visma.

Connectors return plain dataclasses and raise the exception tree in
:mod:`connectors.errors`; every remote call runs inside a
:class:`connectors.resilience.Resilience` (deadline, retries, circuit breaker,
concurrency limit). They never import the GraphQL layer.

Every client is a :class:`connectors.base.Connector` (its ``system`` and ``ping``) and extends
its family's base: :class:`connectors.soap_connector.SoapConnector` (Matrikkel, Public 360) or
:class:`connectors.json_connector.JsonConnector` (fees, Visma). HTTP statuses and transport
failures become errors in :mod:`connectors.failures` only; batch lookups share
:mod:`connectors.batching`.
"""

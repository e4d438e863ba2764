"""Simulator of the municipality's fee, property-tax and water-meter register (HTTP/JSON)."""

"""Simulator of the Visma Enterprise invoice API (HTTP/JSON + PDF)."""

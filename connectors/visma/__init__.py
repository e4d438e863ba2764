"""Connector for the Visma Enterprise invoice API (HTTP/JSON + PDF).

The contract is the project's own ``contracts/visma/visma-invoices.v1.yaml``, shaped on KS
Fiks Innsyn ``faktura.v1``.
"""

from connectors.http import BinaryStream
from connectors.visma.client import VismaClient
from connectors.visma.models import Invoice, InvoiceLine, InvoiceStatus

__all__ = ["BinaryStream", "Invoice", "InvoiceLine", "InvoiceStatus", "VismaClient"]

"""Public 360 (SIF SOAP) connector: cases, documents, files and contacts of a citizen.

See :class:`connectors.p360.client.P360Client`; models in :mod:`connectors.p360.models`.
"""

from connectors.p360.client import WSDL_DIR, P360Client
from connectors.p360.models import (
    Case,
    CaseKind,
    CaseStatus,
    CreatedCase,
    CreatedDocument,
    Document,
    DocumentDirection,
    DocumentFile,
    FileContent,
    NewFile,
    PostalAddress,
    PrivatePerson,
)

__all__ = [
    "WSDL_DIR",
    "Case",
    "CaseKind",
    "CaseStatus",
    "CreatedCase",
    "CreatedDocument",
    "Document",
    "DocumentDirection",
    "DocumentFile",
    "FileContent",
    "NewFile",
    "P360Client",
    "PostalAddress",
    "PrivatePerson",
]

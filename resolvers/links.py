"""The viewer's download links (``/files/<token>``): short-lived, viewer-bound, opaque.

Every link the API hands out is minted here, in the resolver layer; the token format is
:mod:`kernel.file_links`, and :mod:`gateway.downloads` opens the tokens and serves the bytes.
A token is encrypted, so neither the back-office key (invoice number, file record number) nor
the pid is readable in it, and it names the viewer's pseudonym, so it is useless to anyone else.
"""

from __future__ import annotations

from connectors.p360.models import DocumentFile
from kernel.file_links import FileKind, FileRef
from resolvers.context import Context

__all__ = ["case_file_url", "invoice_pdf_url", "pdf_file_name"]


def pdf_file_name(number: str) -> str:
    """The name an invoice PDF is saved under."""
    return f"faktura-{number}.pdf"


def invoice_pdf_url(context: Context, number: str) -> str:
    """Absolute download URL of the invoice's PDF for this viewer."""
    return _download_url(context, FileKind.INVOICE_PDF, number, pdf_file_name(number))


def case_file_url(context: Context, file: DocumentFile) -> str:
    """Absolute download URL of a file of one of the viewer's case documents."""
    return _download_url(context, FileKind.CASE_FILE, str(file.recno), file.name)


def _download_url(context: Context, kind: FileKind, ref: str, name: str) -> str:
    if context.viewer is None:
        raise RuntimeError("download links are only made for a logged-in viewer")
    services = context.services
    path = services.file_links.url(FileRef(kind, ref, context.viewer_key(context.viewer), name))
    return str(services.settings.public_url).rstrip("/") + path

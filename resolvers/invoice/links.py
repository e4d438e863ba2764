"""The invoice PDF's download link: short-lived, viewer-bound, opaque."""

from __future__ import annotations

from kernel.file_links import FileKind, FileRef
from resolvers.context import Context


def pdf_file_name(number: str) -> str:
    """The name the PDF is saved under."""
    return f"faktura-{number}.pdf"


def invoice_pdf_url(context: Context, number: str) -> str:
    """Absolute ``/files/<token>`` URL of the invoice's PDF for this viewer.

    The token is encrypted, so neither the invoice number nor the pid is readable in it.
    """
    if context.viewer is None or context.file_links is None or context.server_secret is None:
        raise RuntimeError("invoice links need a viewer, file links and the server secret")
    viewer_key = context.server_secret.viewer_key(context.viewer.pid)
    path = context.file_links.url(
        FileRef(FileKind.INVOICE_PDF, number, viewer_key, pdf_file_name(number))
    )
    return str(context.settings.public_url).rstrip("/") + path

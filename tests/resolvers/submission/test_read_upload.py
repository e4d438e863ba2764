"""How the mutation takes an upload from the file Starlette spooled it to: an oversized file
is refused by its size without being read into memory."""

from __future__ import annotations

import tempfile

from starlette.datastructures import Headers, UploadFile

from schema.submission.inputs import ApplicationFileInput
from schema.submission.mutation import _read_upload

CAP = 64 * 1024


def spooled(data: bytes, *, size_known: bool = True) -> UploadFile:
    file = tempfile.SpooledTemporaryFile(max_size=1024)  # noqa: SIM115 - closed by the test
    file.write(data)
    file.seek(0)
    return UploadFile(
        file=file,
        size=len(data) if size_known else None,
        filename="kart.pdf",
        headers=Headers({"content-type": "application/pdf"}),
    )


async def test_a_file_over_the_cap_is_not_read():
    upload = spooled(b"x" * (CAP * 4))
    try:
        read = await _read_upload(ApplicationFileInput(attachment="map", file=upload), CAP)
        assert read.size == CAP * 4
        assert read.data == b""
        assert upload.file.tell() == 0  # not a byte taken from the spooled file
        assert upload.file._rolled  # type: ignore[attr-defined]  # it is on disk, not in memory
    finally:
        await upload.close()


async def test_a_file_within_the_cap_is_read_whole():
    upload = spooled(b"y" * CAP)
    try:
        read = await _read_upload(ApplicationFileInput(attachment="map", file=upload), CAP)
        assert (read.size, read.data, read.name) == (CAP, b"y" * CAP, "kart.pdf")
    finally:
        await upload.close()


async def test_a_file_of_unknown_size_is_read_one_byte_past_the_cap_at_most():
    upload = spooled(b"z" * (CAP * 4), size_known=False)
    try:
        read = await _read_upload(ApplicationFileInput(attachment="map", file=upload), CAP)
        assert len(read.data) == read.size == CAP + 1
    finally:
        await upload.close()

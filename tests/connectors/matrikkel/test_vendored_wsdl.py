"""The vendored Matrikkel WSDLs are unchanged copies of the reference contracts."""

from pathlib import Path

import pytest

from connectors.matrikkel.client import WSDL_DIR

REFERENCE = (
    Path(__file__).resolve().parents[3].parent / "shared" / "reference" / "matrikkel" / "wsdl"
)


@pytest.mark.skipif(not REFERENCE.is_dir(), reason="shared/ is not beside this checkout")
def test_vendored_files_are_byte_identical_to_the_reference():
    vendored = sorted(p for p in WSDL_DIR.iterdir() if p.suffix in {".wsdl", ".xsd"})
    assert len(vendored) >= 10
    for path in vendored:
        assert path.read_bytes() == (REFERENCE / path.name).read_bytes(), path.name

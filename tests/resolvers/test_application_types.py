"""The application catalogue: the shipped file is valid, and a bad one stops start-up with an
error naming the file and the entry."""

from __future__ import annotations

from pathlib import Path

import pytest

from app import build_app
from kernel.settings import DEFAULT_APPLICATION_TYPES_FILE, Settings, SettingsError
from resolvers.application_types import FieldType, load_application_types

GOOD = """
[[type]]
code = "TEST"
name = { nb = "Test", nn = "Test", en = "Test" }
description = { nb = "T", nn = "T", en = "T" }
case_kind = "APPLICATION"
minimum_level_of_assurance = "idporten-loa-substantial"

[[type.fields]]
key = "answer"
label = { nb = "Svar", nn = "Svar", en = "Answer" }
type = "CHOICE"
options = [{ value = "YES", label = { nb = "Ja", nn = "Ja", en = "Yes" } }]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "types.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_catalogue_is_valid():
    catalogue = load_application_types(DEFAULT_APPLICATION_TYPES_FILE)
    codes = [kind.code for kind in catalogue.types]
    assert len(codes) >= 3
    assert any(k.minimum_level_of_assurance == "idporten-loa-high" for k in catalogue.types)
    assert all(kind.name.nb and kind.name.nn and kind.name.en for kind in catalogue.types)


def test_a_valid_file(tmp_path):
    catalogue = load_application_types(write(tmp_path, GOOD))
    kind = catalogue.get("TEST")
    assert kind is not None and kind.field("answer").type is FieldType.CHOICE
    assert catalogue.get("OTHER") is None


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (GOOD.replace('case_kind = "APPLICATION"', 'case_kind = "PARKING"'), "type 'TEST'"),
        (GOOD.replace("options = [", "max_length = 3\noptions = ["), "only a TEXT field"),
        (
            GOOD.replace(
                'options = [{ value = "YES", label = { nb = "Ja", nn = "Ja", en = "Yes" } }]', ""
            ),
            "needs options",
        ),
        (GOOD.replace('nn = "Test", ', ""), "type 'TEST': name.nn"),
        (GOOD + GOOD, "duplicate application type codes ['TEST']"),
        (
            GOOD + '\n[[type.attachments]]\nkey = "x"\nlabel = { nb = "X", nn = "X", en = "X" }\n'
            'content_types = ["application/x-msdownload"]\nmax_bytes = 10\n',
            "does not take",
        ),
        ("[[type]\n", "not valid TOML"),
    ],
)
def test_a_bad_file_names_the_file_and_the_entry(tmp_path, text, fragment):
    path = write(tmp_path, text)
    with pytest.raises(SettingsError) as caught:
        load_application_types(path)
    message = str(caught.value)
    assert message.startswith("MINSIDE_APPLICATION_TYPES_FILE")
    assert str(path) in message or "cannot read" in message
    assert fragment in message


def test_the_gateway_refuses_to_start_with_a_bad_catalogue(tmp_path):
    with pytest.raises(SettingsError):
        build_app(Settings(application_types_file=tmp_path / "missing.toml"))

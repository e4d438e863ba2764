"""The document visibility rule: the shipped default, its parts, and a bad rule file."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from connectors.p360.models import Document, DocumentDirection, DocumentFile
from kernel.settings import DEFAULT_DOCUMENT_VISIBILITY_FILE, SettingsError
from resolvers.document_visibility import load_document_visibility

RULE = load_document_visibility(DEFAULT_DOCUMENT_VISIBILITY_FILE)


def file(recno: int, access_code: str | None = None) -> DocumentFile:
    return DocumentFile(recno, f"f{recno}", "pdf", "application/pdf", access_code=access_code)


LETTER = Document(
    recno=1,
    document_number="2024/00001-1",
    case_number="2024/00001",
    title="Søknad",
    direction=DocumentDirection.INCOMING,
    category_code="I",
    document_date=None,
    journal_date=None,
    status_code="J",
    is_decision=False,
    files=(file(2),),
    type_code="SOKNAD",
    access_code="13",
)


@pytest.mark.parametrize(
    ("changes", "shown"),
    [
        ({}, True),
        ({"category_code": "U", "status_code": "E"}, True),
        ({"status_code": "A", "access_code": None}, True),
        ({"status_code": "a", "category_code": " u "}, True),  # codes ignore case and spaces
        ({"access_code": "U"}, True),  # 360's "Offentlig"
        ({"category_code": "N"}, False),  # internal note without follow-up
        ({"category_code": "X"}, False),  # internal note with follow-up
        ({"category_code": "S"}, False),  # saksframlegg
        ({"category_code": None}, False),
        ({"status_code": "F"}, False),  # ferdigstilt, not yet journalført
        ({"status_code": "R"}, False),
        ({"status_code": "S"}, False),
        ({"status_code": None}, False),
        ({"access_code": "14"}, False),
        ({"access_code": "19"}, False),
        # A decision shows by its type whatever the category, but only once final.
        ({"category_code": "X", "type_code": "VEDTAK", "is_decision": True}, True),
        ({"category_code": "X", "type_code": "VEDTAK", "status_code": "R"}, False),
    ],
)
def test_the_default_rule(changes: dict[str, object], shown: bool) -> None:
    document = replace(LETTER, **changes)  # type: ignore[arg-type]
    assert RULE.shows(document) is shown
    assert RULE.visible([document]) == ([document] if shown else [])


def test_exempt_files_of_a_shown_document_are_dropped() -> None:
    document = replace(LETTER, files=(file(2), file(3, "19"), file(4, "13"), file(5, "U")))
    (shown,) = RULE.visible([document])
    assert [f.recno for f in shown.files] == [2, 4, 5]
    assert RULE.visible([LETTER])[0] is LETTER  # nothing to drop: the same object


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('types = ["VEDTAK"]\nfinal_statuses = ["J"]', "categories"),
        ('categories = []\nfinal_statuses = ["J"]', "categories"),
        ('categories = ["I", " "]\nfinal_statuses = ["J"]', "blank"),
        ('categories = ["I"]\nfinal_statuses = ["J"]\nshow_all = true', "show_all"),
        ("categories = [", "not valid TOML"),
    ],
)
def test_a_bad_rule_file_stops_start_up(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "rule.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SettingsError, match="MINSIDE_DOCUMENT_VISIBILITY_FILE") as raised:
        load_document_visibility(path)
    assert message in str(raised.value)

"""The README stays true: its configuration table is the one the code generates."""

from pathlib import Path

from minside.settings_doc import BEGIN, END, readme_block

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_configuration_table_is_current():
    text = README.read_text(encoding="utf-8")
    assert BEGIN in text and END in text, "README lacks the generated settings table"
    current = text[text.index(BEGIN) : text.index(END) + len(END)]
    assert current == readme_block(), "README settings table is stale: run `make readme`"


def test_readme_opens_with_the_two_commands():
    text = README.read_text(encoding="utf-8")
    quick_start = text[text.index("## Quick start") :][:600]
    assert "make demo" in quick_start
    assert "make test" in quick_start

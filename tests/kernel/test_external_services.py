import pytest

from kernel.external_services import load_external_services
from kernel.settings import DEFAULT_EXTERNAL_SERVICES_FILE, SettingsError

GOOD = """
[[service]]
id = "fastlege"
url = "https://www.helsenorge.no/fastlegen/"
minimum_level_of_assurance = "idporten-loa-substantial"
name = { nb = "Min fastlege", nn = "Min fastlege", en = "My GP" }
description = { nb = "a", nn = "b", en = "c" }
"""


def write(tmp_path, text):
    path = tmp_path / "services.toml"
    path.write_text(text)
    return path


def test_shipped_catalogue_is_valid():
    catalogue = load_external_services(DEFAULT_EXTERNAL_SERVICES_FILE)
    ids = [service.id for service in catalogue.services]
    assert {"fastlege", "pensjon", "skatt"} <= set(ids)


def test_good_file(tmp_path):
    catalogue = load_external_services(write(tmp_path, GOOD))
    (service,) = catalogue.services
    assert service.name.en == "My GP"
    assert str(service.url) == "https://www.helsenorge.no/fastlegen/"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ((', en = "My GP"', ""), "service.0.name.en"),
        (("https://www.helsenorge.no/fastlegen/", "not a url"), "service.0.url"),
        (("https://www.helsenorge.no/fastlegen/", "http://www.helsenorge.no/"), "must be https"),
        (("idporten-loa-substantial", "Level9"), "minimum_level_of_assurance"),
        (('id = "fastlege"', 'id = "Fast Lege"'), "service.0.id"),
    ],
)
def test_bad_entries_are_named(tmp_path, change, message):
    old, new = change
    text = GOOD.replace(old, new)
    with pytest.raises(SettingsError) as caught:
        load_external_services(write(tmp_path, text))
    assert "MINSIDE_EXTERNAL_SERVICES_FILE" in str(caught.value)
    assert message in str(caught.value)


def test_duplicate_ids(tmp_path):
    with pytest.raises(SettingsError, match="duplicate"):
        load_external_services(write(tmp_path, GOOD + GOOD))


def test_missing_file(tmp_path):
    with pytest.raises(SettingsError, match="cannot read"):
        load_external_services(tmp_path / "nope.toml")


def test_not_toml(tmp_path):
    with pytest.raises(SettingsError, match="not valid TOML"):
        load_external_services(write(tmp_path, "[[service]\n"))

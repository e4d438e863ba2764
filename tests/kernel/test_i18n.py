import pytest

from kernel.i18n import Language, choose_language


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, Language.NB),
        ("", Language.NB),
        ("en", Language.EN),
        ("nn-NO,nn;q=0.9,en;q=0.5", Language.NN),
        ("no", Language.NB),
        ("de-DE,de;q=0.9", Language.NB),
        ("de, en;q=0.3, nn;q=0.8", Language.NN),
        ("en;q=0, nn", Language.NN),
        ("en;q=bogus, nn;q=0.1", Language.NN),
        ("nb-NO;q=0.5, en;q=0.5", Language.NB),
    ],
)
def test_choose_language(header, expected):
    assert choose_language(header) is expected

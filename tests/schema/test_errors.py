"""The typed authentication errors the API gives (UNAUTHENTICATED, step-up)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from auth.acr import Acr
from auth.viewer import AuthMethod, Viewer
from schema.errors import InsufficientLevelOfAssurance, Unauthenticated, require_level


def _info(viewer: Viewer | None) -> Any:
    return SimpleNamespace(context=SimpleNamespace(viewer=viewer))


def test_no_viewer_is_unauthenticated() -> None:
    with pytest.raises(Unauthenticated) as caught:
        require_level(_info(None), Acr.SUBSTANTIAL)
    assert caught.value.extensions == {"code": "UNAUTHENTICATED", "loginUrl": "/auth/login"}


def test_substantial_viewer_must_step_up_for_high() -> None:
    viewer = Viewer(pid="01817700369", sub="s", acr=Acr.SUBSTANTIAL, method=AuthMethod.SESSION)
    with pytest.raises(InsufficientLevelOfAssurance) as caught:
        require_level(_info(viewer), Acr.HIGH)
    extensions = caught.value.extensions or {}
    assert extensions["code"] == "INSUFFICIENT_LEVEL_OF_ASSURANCE"
    assert extensions["loginUrl"] == "/auth/login?acr=idporten-loa-high"
    assert "01817700369" not in str(caught.value)
    high = Viewer(pid="01817700369", sub="s", acr=Acr.HIGH, method=AuthMethod.SESSION)
    assert require_level(_info(high), Acr.HIGH) is high

"""Authorization code flow with PKCE against the stand-in, over HTTP."""

from __future__ import annotations

import re
import time
from html import unescape

SECRET_CLIENT = "rp-secret"
JWT_CLIENT = "rp-jwt"


async def test_picker_page_login_then_token(stack) -> None:
    params, verifier = stack.auth_params(acr_values="idporten-loa-substantial", ui_locales="en")
    page = await stack.authorize(params)
    assert page.status == 200
    html = await page.text()
    person = stack.config.persons[1]
    assert person.name in html
    # The page posts the original request back with the chosen person and level.
    hidden = dict(re.findall(r"<input type='hidden' name='([^']*)' value='([^']*)'>", html))
    assert {key: unescape(value) for key, value in hidden.items()} == params
    form = {
        **hidden,
        "standin_pid": person.pid,
        "standin_acr": "idporten-loa-high",
        "standin_action": "login",
    }
    async with stack.http.post(
        f"{stack.issuer}/authorize", data=form, allow_redirects=False
    ) as response:
        assert response.status == 302
        assert response.headers["Location"].startswith(stack.redirect_uri())
        query = stack.redirect_query(response)
    assert query["state"] == params["state"]
    assert query["iss"] == stack.issuer
    status, body = await stack.redeem(query["code"], verifier)
    assert status == 200, body
    assert body["token_type"] == "Bearer"
    assert body["scope"] == "openid minside:api"
    assert body["expires_in"] == stack.config.access_token_lifetime_s
    _, id_claims = await stack.verify(body["id_token"])
    assert id_claims["pid"] == person.pid
    assert id_claims["acr"] == "idporten-loa-high"
    assert id_claims["locale"] == "en"


async def test_picker_cancel_returns_access_denied(stack) -> None:
    params, _ = stack.auth_params()
    form = {**params, "standin_action": "cancel"}
    async with stack.http.post(
        f"{stack.issuer}/authorize", data=form, allow_redirects=False
    ) as response:
        assert response.status == 302
        query = stack.redirect_query(response)
    assert query["error"] == "access_denied"
    assert query["state"] == params["state"]
    assert query["iss"] == stack.issuer


async def test_id_token_claims(stack) -> None:
    before = int(time.time())
    params, verifier, query = await stack.login(acr_values="idporten-loa-high", ui_locales="nn")
    status, body = await stack.redeem(query["code"], verifier)
    assert status == 200, body
    header, claims = await stack.verify(body["id_token"])
    assert header["alg"] == "RS256" and header["kid"] == stack.config.keys.active_kid
    assert claims["iss"] == stack.issuer
    assert claims["aud"] == SECRET_CLIENT
    assert claims["pid"] == stack.pid
    assert claims["sub"] != stack.pid and len(claims["sub"]) >= 20  # pairwise, not the pid
    assert claims["acr"] == "idporten-loa-high"
    assert claims["amr"] == ["TestID"]
    assert claims["locale"] == "nn"
    assert claims["nonce"] == params["nonce"]
    assert claims["sid"]
    assert claims["jti"]
    assert before <= claims["auth_time"] <= claims["iat"] < claims["exp"]
    assert claims["exp"] - claims["iat"] == stack.config.id_token_lifetime_s


async def test_access_token_claims_without_resource_have_no_aud(stack) -> None:
    _, verifier, query = await stack.login()
    _, body = await stack.redeem(query["code"], verifier)
    header, claims = await stack.verify(body["access_token"])
    assert header["typ"] == "at+jwt"
    assert "aud" not in claims
    assert claims["iss"] == stack.issuer
    assert claims["client_id"] == SECRET_CLIENT
    assert claims["consumer"] == {"authority": "iso6523-actorid-upis", "ID": "0192:999888777"}
    assert claims["pid"] == stack.pid
    assert claims["acr"] == "idporten-loa-substantial"
    assert claims["scope"] == "openid minside:api"
    assert claims["jti"]
    assert claims["exp"] - claims["iat"] == stack.config.access_token_lifetime_s


async def test_access_token_aud_is_the_requested_resource(stack) -> None:
    _, verifier, query = await stack.login(resource="https://api.minside.example")
    _, body = await stack.redeem(query["code"], verifier)
    _, claims = await stack.verify(body["access_token"])
    assert claims["aud"] == "https://api.minside.example"


async def test_relative_resource_is_invalid_target(stack) -> None:
    params, _ = stack.auth_params(login_hint=stack.pid, resource="/api")
    response = await stack.authorize(params)
    assert response.status == 302
    query = stack.redirect_query(response)
    assert query["error"] == "invalid_target"
    assert query["iss"] == stack.issuer


async def test_wrong_code_verifier_is_rejected(stack) -> None:
    _, verifier, query = await stack.login()
    wrong = verifier[:-1] + ("A" if verifier[-1] != "A" else "B")
    status, body = await stack.redeem(query["code"], wrong)
    assert status == 400
    assert body["error"] == "invalid_grant"
    assert "id_token" not in body and "access_token" not in body


async def test_missing_code_verifier_is_rejected(stack) -> None:
    _, _, query = await stack.login()
    data = {
        "grant_type": "authorization_code",
        "code": query["code"],
        "redirect_uri": stack.redirect_uri(),
    }
    status, body = await stack.token(data, stack.basic(SECRET_CLIENT, "s3cret-for-tests"))
    assert status == 400
    assert body["error"] == "invalid_request"


async def test_plain_pkce_method_is_rejected(stack) -> None:
    params, verifier = stack.auth_params(login_hint=stack.pid)
    params["code_challenge"] = verifier
    params["code_challenge_method"] = "plain"
    response = await stack.authorize(params)
    assert response.status == 302
    query = stack.redirect_query(response)
    assert query["error"] == "invalid_request"
    assert query["state"] == params["state"]
    assert query["iss"] == stack.issuer
    assert "code" not in query


async def test_missing_pkce_is_rejected(stack) -> None:
    params, _ = stack.auth_params(login_hint=stack.pid)
    del params["code_challenge"], params["code_challenge_method"]
    response = await stack.authorize(params)
    query = stack.redirect_query(response)
    assert query["error"] == "invalid_request"
    assert "code" not in query


async def test_unregistered_redirect_uri_shows_an_error_page(stack) -> None:
    params, _ = stack.auth_params(login_hint=stack.pid)
    params["redirect_uri"] = "http://127.0.0.1:9/evil"
    response = await stack.authorize(params)
    assert response.status == 400
    assert "Location" not in response.headers
    assert "invalid_request" in await response.text()


async def test_unknown_client_shows_an_error_page(stack) -> None:
    params, _ = stack.auth_params(login_hint=stack.pid)
    params["client_id"] = "nobody"
    response = await stack.authorize(params)
    assert response.status in (400, 401)
    assert "Location" not in response.headers


async def test_scope_not_registered_is_invalid_scope(stack) -> None:
    params, _ = stack.auth_params(login_hint=stack.pid, scope="openid admin:everything")
    query = stack.redirect_query(await stack.authorize(params))
    assert query["error"] == "invalid_scope"


async def test_replayed_code_is_rejected(stack) -> None:
    _, verifier, query = await stack.login()
    first, _ = await stack.redeem(query["code"], verifier)
    assert first == 200
    status, body = await stack.redeem(query["code"], verifier)
    assert status == 400
    assert body["error"] == "invalid_grant"


async def test_code_issued_to_one_client_is_useless_to_another(stack) -> None:
    _, verifier, query = await stack.login()
    data = {
        "grant_type": "authorization_code",
        "code": query["code"],
        "redirect_uri": stack.redirect_uri(),
        "code_verifier": verifier,
        "client_id": JWT_CLIENT,
        "client_secret": "s3cret-for-tests",
    }
    status, body = await stack.token(data)
    assert status in (400, 401)
    assert body["error"] == "invalid_client"


async def test_sso_second_client_logs_in_without_asking(stack) -> None:
    _, verifier, first = await stack.login(SECRET_CLIENT)
    _, body = await stack.redeem(first["code"], verifier)
    _, first_claims = await stack.verify(body["id_token"])

    params, verifier2 = stack.auth_params(JWT_CLIENT)  # no login_hint: the SSO cookie answers
    response = await stack.authorize(params)
    assert response.status == 302
    query = stack.redirect_query(response)
    assert query["state"] == params["state"]
    code_for_jwt_client = query["code"]
    assert code_for_jwt_client

    # Same person and SSO session; sub is pairwise, so it differs between the two sectors.
    status, body2 = await stack.token_with_assertion(code_for_jwt_client, verifier2)
    assert status == 200, body2
    _, second_claims = await stack.verify(body2["id_token"])
    assert second_claims["sid"] == first_claims["sid"]
    assert second_claims["pid"] == first_claims["pid"]
    assert second_claims["sub"] != first_claims["sub"]


async def test_sso_session_at_substantial_does_not_satisfy_high(stack) -> None:
    await stack.login(acr_values="idporten-loa-substantial")
    params, _ = stack.auth_params(acr_values="idporten-loa-high")
    response = await stack.authorize(params)
    assert response.status == 200  # the picker: step-up needs a new login
    html = await response.text()
    assert "idporten-loa-high" in html and "value='idporten-loa-substantial'" not in html


async def test_prompt_login_forces_the_picker(stack) -> None:
    await stack.login()
    params, _ = stack.auth_params(prompt="login")
    response = await stack.authorize(params)
    assert response.status == 200


async def test_prompt_none_without_session_is_login_required(stack) -> None:
    params, _ = stack.auth_params(prompt="none")
    query = stack.redirect_query(await stack.authorize(params))
    assert query["error"] == "login_required"
    assert query["state"] == params["state"]


async def test_flow_logs_no_pid_code_or_token(stack, caplog) -> None:
    import logging

    for name in ("authlib", "idporten_standin", "joserfc", "starlette"):
        caplog.set_level(logging.DEBUG, logger=name)
    _, verifier, query = await stack.login(resource="https://api.minside.example")
    _, body = await stack.redeem(query["code"], verifier)
    await stack.token_with_assertion("no-such-code", verifier)  # an error path too
    logged = caplog.text + "".join(f"{r.args!r}" for r in caplog.records)
    for secret in (stack.pid, query["code"], body["access_token"], body["id_token"], verifier):
        assert secret not in logged

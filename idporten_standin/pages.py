"""The stand-in's HTML: a TestID-like person picker, error pages and the logout page.

Plain server-rendered HTML with no scripts except the logout page's redirect; everything that
comes from the request is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from idporten_standin.config import ACR_VALUES, LOA_HIGH
from idporten_standin.persons import TestPerson

_STYLE = """
body{font-family:system-ui,sans-serif;background:#f3f4f6;margin:0}
main{max-width:34rem;margin:3rem auto;background:#fff;padding:2rem;border-radius:8px;
box-shadow:0 1px 4px #0002}
h1{font-size:1.4rem;margin-top:0}.banner{background:#fde68a;padding:.5rem 1rem;border-radius:4px}
label{display:block;margin:.4rem 0}fieldset{border:1px solid #ddd;margin:1rem 0}
button{font-size:1rem;padding:.5rem 1.2rem;margin-right:.5rem}
"""

_ACR_LABELS = {
    "idporten-loa-substantial": "Betydelig (idporten-loa-substantial)",
    LOA_HIGH: "Høy (idporten-loa-high)",
}


def _page(title: str, body: str, head: str = "") -> str:
    return (
        "<!doctype html><html lang='nb'><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title><style>{_STYLE}</style>{head}</head>"
        f"<body><main><p class='banner'>ID-porten stand-in – kun syntetiske testpersoner</p>"
        f"{body}</main></body></html>"
    )


def picker_page(
    action: str,
    params: Sequence[tuple[str, str]],
    persons: Sequence[TestPerson],
    acr_options: Sequence[str],
    preselected_acr: str,
    client_id: str,
) -> str:
    """The TestID-like login form: choose a synthetic person and a level of assurance.

    The original authorization request travels in hidden fields, so the form POSTs back to the
    authorization endpoint and the pid stays out of every URL.
    """
    hidden = "".join(
        f"<input type='hidden' name='{escape(key)}' value='{escape(value)}'>"
        for key, value in params
        if not key.startswith("standin_")
    )
    people = "".join(
        f"<label><input type='radio' name='standin_pid' value='{escape(person.pid)}'"
        f"{' checked' if index == 0 else ''} required> {escape(person.name)}"
        f" <small>({escape(person.pid)})</small></label>"
        for index, person in enumerate(persons)
    )
    levels = "".join(
        f"<label><input type='radio' name='standin_acr' value='{escape(acr)}'"
        f"{' checked' if acr == preselected_acr else ''}> {escape(_ACR_LABELS.get(acr, acr))}"
        "</label>"
        for acr in acr_options
        if acr in ACR_VALUES
    )
    body = (
        f"<h1>Logg inn med TestID</h1><p>Tjenesten <b>{escape(client_id)}</b> ber om innlogging."
        f"</p><form method='post' action='{escape(action)}'>{hidden}"
        f"<fieldset><legend>Testperson</legend>{people}</fieldset>"
        f"<fieldset><legend>Sikkerhetsnivå</legend>{levels}</fieldset>"
        "<button type='submit' name='standin_action' value='login'>Logg inn</button>"
        "<button type='submit' name='standin_action' value='cancel' formnovalidate>Avbryt"
        "</button></form>"
    )
    return _page("TestID – ID-porten stand-in", body)


def error_page(error: str, description: str | None) -> str:
    """An error shown at the provider (never redirected: e.g. an unregistered redirect_uri)."""
    body = f"<h1>Feil</h1><p><code>{escape(error)}</code></p>"
    if description:
        body += f"<p>{escape(description)}</p>"
    return _page("Feil – ID-porten stand-in", body)


def logout_page(frontchannel_urls: Sequence[str], redirect_to: str | None) -> str:
    """Logged out: one hidden iframe per participating client, then on to the client.

    Like ID-porten, the browser loads every front-channel logout URI in an iframe; the redirect
    waits for them (or 3 s) so they are not cancelled by the navigation.
    """
    frames = "".join(
        f"<iframe class='frontchannel' src='{escape(url)}' hidden></iframe>"
        for url in frontchannel_urls
    )
    if redirect_to is None:
        body = f"<h1>Du er logget ut</h1>{frames}"
        return _page("Logget ut – ID-porten stand-in", body)
    target = escape(redirect_to)
    script = (
        "<script>(function(){var f=document.querySelectorAll('iframe.frontchannel'),n=f.length,"
        "d=false;function go(){if(!d){d=true;location.replace("
        "document.getElementById('continue').getAttribute('href'));}}"
        "if(n===0){go();return;}f.forEach(function(x){x.addEventListener('load',function(){"
        "n-=1;if(n===0){go();}});});setTimeout(go,3000);})();</script>"
    )
    body = (
        f"<h1>Du er logget ut</h1>{frames}"
        f"<p><a id='continue' href='{target}' data-redirect='{target}'>Gå videre</a></p>"
        f"{script}"
    )
    head = f"<noscript><meta http-equiv='refresh' content='3;url={target}'></noscript>"
    return _page("Logget ut – ID-porten stand-in", body, head)

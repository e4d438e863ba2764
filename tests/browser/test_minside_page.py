"""Min side's web page at / in Debian's chromium: log in as documented test persons, read each
section against the simulators' population, register a reading, apply with a file, download an
invoice, see an outage notice, log out, and axe-core on every page (0 serious or critical).

The assertions are about what the page shows and in what order parts arrive, never about how
long anything took.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web as aioweb

from tests import upload_samples
from tests.browser.conftest import SCREENSHOTS, TIMEZONE, Web

# One xdist worker runs them all (`--dist loadgroup`, Makefile): each worker that gets a
# browser test starts its own stack and chromium.
pytestmark = pytest.mark.xdist_group("browser")

READING_ERRORS = """
mutation($input: SubmitMeterReadingInput!) {
  submitMeterReading(input: $input) {
    ... on SubmitMeterReadingErrors { errors { field code message } }
  }
}
"""
METER_ID = """{ viewer { properties { nodes { waterMeters { id isActive } } } } }"""


def nok(amount: Decimal) -> str:
    """An amount as nb-NO's Intl.NumberFormat writes it ("17 797,00 kr", narrow no-break)."""
    whole, cents = f"{amount:.2f}".split(".")
    groups = re.sub(r"(?<=\d)(?=(\d{3})+$)", "\u00a0", whole)
    return f"{groups},{cents}\u00a0kr"


def nok_number(value: Decimal) -> str:
    """A number as nb-NO's Intl.NumberFormat writes it ("2\u00a0150,5")."""
    whole, _, fraction = f"{value.normalize():f}".partition(".")
    groups = re.sub(r"(?<=\d)(?=(\d{3})+$)", "\u00a0", whole)
    return f"{groups},{fraction}" if fraction else groups


def normalise(text: str) -> str:
    return text.replace("\u202f", "\u00a0")


async def send(form: Any) -> None:
    """Submit a form of the page and wait until the API's answer is shown."""
    await form.get_by_role("button", name="Send inn").click()
    await form.and_(form.page.locator("[aria-busy]")).wait_for(state="detached")


async def section_text(web: Web, key: str) -> str:
    return normalise(await web.page.locator(f"section#{key}").inner_text())


async def test_logged_out_page_offers_the_login_in_three_languages(web: Web) -> None:
    page = web.page
    response = await page.goto(web.url + "/")
    assert response is not None and response.status == 200
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    await web.loaded()
    login = page.locator("a.button")
    assert await login.inner_text() == "Logg inn med ID-porten"
    assert await page.locator("html").get_attribute("lang") == "nb"
    assert "Min fastlege" in await page.locator("main").inner_text()  # public: Andre tjenester
    await web.assert_accessible()

    await page.get_by_role("link", name="Nynorsk").click()
    await page.locator("a.button").wait_for()
    assert await page.locator("html").get_attribute("lang") == "nn"
    assert "Andre tenester" in await page.locator("main").inner_text()
    await page.get_by_role("link", name="English").click()
    await page.locator("a.button", has_text="Log in with ID-porten").wait_for()
    href = await page.locator("a.button").get_attribute("href")
    assert href == "/auth/login?return_to=%2F%3Flang%3Den&ui_locales=en"


async def anonymous_budget_left(web: Web) -> int:
    """What this address may still spend without credentials (RateLimit-Remaining)."""
    async with web.http.post(f"{web.url}/graphql", json={"query": "{ __typename }"}) as response:
        assert response.status == 200
        return int(response.headers["RateLimit-Remaining"])


async def test_a_logged_out_visit_costs_next_to_nothing_of_the_anonymous_budget(web: Web) -> None:
    # Citizens behind one address (a municipality's network) share its anonymous budget: the
    # page asks who is here before it asks for the dashboard (cost 5, not thousands).
    before = await anonymous_budget_left(web)
    await web.page.goto(f"{web.url}/")
    await web.loaded()
    assert "Min fastlege" in await web.page.locator("main").inner_text()
    assert before - await anonymous_budget_left(web) < 50


# Costs 4,960 (schema.cost), less than the page's first query: spent until refused, what is
# left cannot pay for the page.
BURN = "{ viewer { cases(first: 30) { nodes { documents { files { downloadUrl } } } } } }"


async def test_a_rate_limited_citizen_is_told_to_wait_not_shown_the_logged_out_page(
    web: Web,
) -> None:
    # Person 0: no other test uses her budget (a citizen's, over all clients, per minute).
    await web.login(0)
    for _ in range(30):
        answer = await web.api(0, BURN, {})
        if any(e["extensions"]["code"] == "RATE_LIMITED" for e in answer.get("errors", [])):
            break
    else:
        raise AssertionError("the budget was never spent")
    page = web.page
    await page.reload()
    await web.loaded()
    alert = page.locator("main p[role=alert]")
    assert re.fullmatch(
        r"Siden er lastet mange ganger på kort tid\. Vent \d+ sekunder og last den på nytt\.",
        await alert.inner_text(),
    )
    assert await page.locator("a.button", has_text="Logg inn med ID-porten").count() == 0
    await web.assert_accessible()


async def test_person_1_sees_the_four_sections_from_the_population(web: Web) -> None:
    population = web.stack.population
    person = population.person(1)
    await web.login(1)
    page = web.page
    assert f"Logget inn som {person.name}" in await page.locator("header").inner_text()

    # Min eiendom: the property, its fee and tax basis, the meter and its readings, a map.
    (ownership,) = population.properties_of(person.pid)
    prop = ownership.property
    text = await section_text(web, "properties")
    (address,) = population.addresses_of(prop.matrikkelenhet_id)
    assert address.text in text
    assert prop.matrikkelnummer in text
    fees = population.fee_basis(prop.matrikkelnummer)
    assert nok(sum((line.annual_amount for line in fees), Decimal(0))) in text
    for line in fees:
        assert line.description in text
    tax = population.tax_basis(prop.matrikkelnummer)
    assert tax is not None and nok(tax.annual_tax) in text
    (meter,) = population.meters(prop.matrikkelnummer)
    assert f"Vannmåler {meter.meter_number}" in text
    assert await page.locator("section#properties svg.map polygon.parcel").count() == 1
    assert await page.locator("section#properties svg.chart rect.bar").count() >= 2
    assert await page.locator("section#properties .notice").count() == 0

    # Mine dokumenter: every case with its status, the decision of the decided one.
    text = await section_text(web, "documents")
    cases = population.cases_of(person.pid)
    for case in cases:
        assert case.title in text and case.case_number in text
    assert f"Viser {len(cases)} av {len(cases)} saker." in text
    assert "Vedtak: Søknad om skoleskyss" in text

    # Mine faktura: unpaid with due date, KID and account; paid below.
    text = await section_text(web, "invoices")
    invoices = population.invoices_of(person.pid)
    unpaid = [i for i in invoices if i.outstanding > 0]
    assert unpaid
    for invoice in invoices:
        assert invoice.invoice_number in text
    for invoice in unpaid:
        assert invoice.kid in text
        assert nok(invoice.outstanding) in text
    assert await page.locator("section#invoices a.pdf").count() == len(invoices)

    # Andre tjenester: the catalogue's links.
    links = page.locator("section#services a")
    assert await links.count() >= 3
    assert await links.first.get_attribute("href") == "https://www.helsenorge.no/fastlegen/"
    await web.assert_accessible()

    if SCREENSHOTS is not None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await page.locator("section#documents li.case summary").last.click()
        for key, name in [
            ("properties", "min-eiendom"),
            ("documents", "mine-dokumenter"),
            ("invoices", "mine-faktura"),
            ("services", "andre-tjenester"),
        ]:
            await page.locator(f"section#{key}").screenshot(path=SCREENSHOTS / f"{name}.png")


async def test_a_meter_reading_shows_the_apis_messages_and_asks_to_confirm_the_unusual(
    web: Web,
) -> None:
    await web.login(1)
    page = web.page
    form = page.locator("form.reading-form").first
    value = form.get_by_label("Målerstand i m³")
    read_on = form.get_by_label("Avlest dato")
    meter = (await web.api(1, METER_ID, {}))["data"]["viewer"]["properties"]["nodes"][0]
    meter_id = meter["waterMeters"][0]["id"]

    async def api_messages(reading: str, day: str) -> list[str]:
        variables = {
            "input": {"meterId": meter_id, "value": reading, "readOn": day, "idempotencyKey": "k"}
        }
        answer = await web.api(1, READING_ERRORS, variables)
        return [e["message"] for e in answer["data"]["submitMeterReading"]["errors"]]

    day = await read_on.input_value()
    for wrong in ["12x", "100"]:  # not a number; below the last reading
        await value.fill(wrong)
        await send(form)
        summary = form.locator(".error-summary")
        expected = await api_messages(wrong, day)
        assert expected
        assert await summary.locator("li").all_inner_texts() == expected
        assert await value.get_attribute("aria-invalid") == "true"
        await web.assert_accessible()

    # Far more than a year's water: the API asks for a confirmation, and the page with it.
    await value.fill("9999")
    await send(form)
    confirm = form.get_by_label("Jeg har sjekket at målerstanden er riktig")
    (unusual,) = await api_messages("9999", day)
    assert unusual in await form.locator(".error-summary").inner_text()
    await confirm.check()
    await send(form)
    receipt = form.locator(".receipt")
    assert re.search(r"Kvittering \S+: ", await receipt.inner_text())
    # Under its meter at once, without a reload: registered already, or pending.
    meter_data = page.locator("section#properties .meter .meter-data").first
    assert "9\u00a0999" in normalise(await meter_data.inner_text())
    # The receipt, pending or already delivered, is listed under Mine innsendinger.
    receipts = page.locator("section#documents ul.receipts li")
    await receipts.first.wait_for()
    assert "9" in await receipts.first.inner_text()
    await web.assert_accessible()


async def test_a_reading_sent_by_keyboard_the_register_cannot_take_yet_shows_pending(
    web: Web,
) -> None:
    # Person 5: no other test registers a reading of hers (the gateway keeps what it read).
    await web.login(5)
    page = web.page
    meter = page.locator("section#properties .meter").first
    assert await meter.locator(".pending").count() == 0
    # The fee system goes down after the page was read: the reading is checked against the
    # record read a moment ago, accepted, and waits; the meter cannot be read again, so the
    # page puts the receipt's reading under it as pending.
    await web.admin.fault("fees", operation="*", outage=True)
    (ownership,) = web.stack.population.properties_of(web.pid(5))
    (register,) = web.stack.population.meters(ownership.property.matrikkelnummer)
    value = register.readings[-1].value_m3 + 1
    form = meter.locator("form.reading-form")
    # By keyboard: Enter on the button sends the form, and the focus stays in it (a button
    # disabled while sending would have dropped it to the top of the page).
    await form.get_by_label("Målerstand i m³").fill(str(value))
    await form.get_by_role("button", name="Send inn").press("Enter")  # focuses it, then Enter
    await form.and_(page.locator("[aria-busy]")).wait_for(state="detached")
    assert "Kvittering" in await form.locator(".receipt").inner_text()
    assert await form.evaluate("form => form.contains(document.activeElement)")
    pending = normalise(await meter.locator(".meter-data .pending").inner_text())
    assert pending.startswith("Venter på registrering: ")
    assert f"{nok_number(value)} m³" in pending
    await web.assert_accessible()


async def test_an_application_with_a_file_is_submitted_and_listed(web: Web) -> None:
    await web.login(5)
    page = web.page
    apply = page.locator("section#documents .apply")
    # A type that needs a high level of assurance offers the step-up login first.
    await apply.get_by_label("Hva vil du søke om?").select_option("REDUSERT_GEBYR")
    step_up = apply.get_by_role("link", name="Logg inn på nytt med høyt sikkerhetsnivå")
    assert "acr=idporten-loa-high" in (await step_up.get_attribute("href") or "")
    await apply.get_by_label("Hva vil du søke om?").select_option("GRAVETILLATELSE")
    form = apply.locator("form.application-form")
    await send(form)  # empty: every problem listed
    summary = form.locator(".error-summary")
    assert await summary.locator("li").count() >= 5
    await web.assert_accessible()

    await form.get_by_label("Sted (adresse eller beskrivelse)").fill("Storgata 1")
    await form.get_by_label("Oppstart").fill("2027-03-01")
    await form.get_by_label("Ferdig").fill("2027-03-15")
    await form.get_by_label("Entreprenør").fill("Graveservice AS")
    await form.get_by_label("Kart med gravested").set_input_files(
        files=[{"name": "kart.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    # The archive is down: the application is accepted, and waits to be filed.
    await web.admin.fault("p360", operation="*", outage=True)
    await send(form)
    receipt = form.locator(".receipt")
    assert "Kvittering" in await receipt.inner_text()
    assert await form.locator(".error-summary").count() == 0
    pending = page.locator("section#documents li.receipt-item.pending", has_text="gravetillatelse")
    await pending.wait_for()
    await web.assert_accessible()


async def test_an_invoice_pdf_and_a_case_file_download(web: Web) -> None:
    await web.login(1)
    page = web.page
    async with page.expect_download() as pending:
        await page.locator("section#invoices a.pdf").first.click()
    download = await pending.value
    path = await download.path()
    assert path is not None
    assert (await asyncio.to_thread(Path(path).read_bytes)).startswith(b"%PDF-")

    case = page.locator("section#documents li.case").last
    await case.locator("summary").click()
    link = case.locator("ul.files a").first
    async with page.expect_download() as pending:
        await link.click()
    download = await pending.value
    assert download.suggested_filename == await link.inner_text()


async def test_a_source_outage_is_noticed_beside_its_section_and_the_rest_works(web: Web) -> None:
    # Person 7: no other test reads her, so the gateway's read cache holds nothing of hers.
    # Public 360 fails in the first part of the response, Matrikkel in a deferred one.
    await web.admin.fault("p360", operation="*", outage=True)
    await web.admin.fault("matrikkel", operation="*", outage=True)
    await web.login(7)
    page = web.page
    notice = page.locator("section#documents .notice[data-source=P360]")
    await notice.wait_for()
    assert "Sak og arkiv svarer ikke akkurat nå" in await notice.inner_text()
    assert await page.locator("section#properties .notice[data-source=MATRIKKEL]").count() == 1
    assert "Kan ikke vises akkurat nå." in await section_text(web, "properties")
    # Visma answers: its section is whole, without a notice.
    assert await page.locator("section#invoices .notice").count() == 0
    invoices = web.stack.population.invoices_of(web.pid(7))
    assert await page.locator("section#invoices a.pdf").count() == len(invoices) > 0
    await web.assert_accessible()


SOURCES = "{ viewer { cases(first: 1) { totalCount } sources { source status asOf } } }"


async def test_stale_data_is_noticed_beside_its_section_with_the_time_it_is_from(
    web: Web,
) -> None:
    # Read first while Public 360 answers (its reads expire at once in this stack,
    # tests/browser/conftest.py), then again while it is down: the kept copy is served STALE.
    await web.login(4)
    page = web.page
    cases = web.stack.population.cases_of(web.pid(4))
    assert await page.locator("section#documents .notice").count() == 0
    await web.admin.fault("p360", operation="*", outage=True)
    await page.reload()
    await web.loaded()
    notice = page.locator("section#documents .notices .notice.stale[data-source=P360]")
    await notice.wait_for()
    text = normalise(await notice.inner_text())
    assert text.startswith("Kan være utdatert: Sak og arkiv svarer ikke akkurat nå.")
    assert "kan være utdaterte" in text
    # The time of the kept copy, as the API gives it, in the browser's time zone.
    answer = await web.api(4, SOURCES, {})
    (p360,) = [s for s in answer["data"]["viewer"]["sources"] if s["source"] == "P360"]
    assert p360["status"] == "STALE"
    kept = datetime.fromisoformat(p360["asOf"]).astimezone(ZoneInfo(TIMEZONE))
    assert f"{kept.day}. " in text and f"{kept:%H:%M}" in text
    # The stale cases are still shown; the sections of the systems that answer have no notice.
    text = await section_text(web, "documents")
    assert cases and all(case.case_number in text for case in cases)
    assert await page.locator("section#invoices .notice, section#properties .notice").count() == 0
    await web.assert_accessible()


async def test_fast_sections_come_before_the_property_register_answers(web: Web) -> None:
    # Matrikkel slowed down: the cases and invoices are shown while it is still answering.
    # Person 6: no other test reads her, so nothing of hers is in the gateway's read cache.
    await web.admin.fault("matrikkel", operation="*", latency_ms=1500)
    page = web.page
    await page.goto(f"{web.url}/")
    await page.locator("a.button").click()
    await page.locator(f"input[name=standin_pid][value='{web.pid(6)}']").check()
    await page.locator("button[value=login]").click()
    await page.locator("section#invoices a.pdf").first.wait_for()
    assert await page.locator("section#properties .body[aria-busy=true]").count() == 1
    await web.loaded()
    assert await page.locator("section#properties .body[aria-busy=true]").count() == 0
    (ownership,) = web.stack.population.properties_of(web.pid(6))
    assert ownership.property.matrikkelnummer in await section_text(web, "properties")


async def test_cases_are_filtered_and_paged(web: Web) -> None:
    total = len(web.stack.population.cases_of(web.pid(3)))
    await web.login(3)
    page = web.page
    documents = page.locator("section#documents")
    assert await documents.locator("li.case").count() == 10
    assert f"Viser 10 av {total} saker." in await documents.inner_text()
    await documents.get_by_role("button", name="Vis flere saker").click()
    await documents.locator("li.case").nth(19).wait_for()
    assert f"Viser 20 av {total} saker." in await documents.inner_text()

    await documents.get_by_label("Vis saker").select_option("true")
    await documents.get_by_role("button", name="Filtrer").click()
    await documents.locator(".body[aria-busy]").wait_for(state="detached")  # the new page is in
    status = documents.locator("p[role=status]")
    shown = re.search(r"av (\d+) saker", await status.inner_text())
    assert shown is not None and int(shown.group(1)) < total
    for badge in await documents.locator("li.case .badge").all_inner_texts():
        assert badge != "Avsluttet"
    await web.assert_accessible()


async def test_english_and_phone_width(web: Web) -> None:
    await web.page.set_viewport_size({"width": 360, "height": 740})
    await web.login(4, lang="en")
    page = web.page
    headings = await page.locator("section h2").all_inner_texts()
    assert headings == ["My property", "My documents", "My invoices", "Other services"]
    # The API's labels follow the page's language too.
    assert "Unpaid" in await section_text(web, "invoices")
    width: Any = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360  # nothing wider than the phone: tables scroll inside their box
    await web.assert_accessible()
    # WCAG 1.4.10 (reflow): 320 CSS px wide, what 1280 px at 400 % zoom leaves, and 640 (200 %).
    for zoomed in (320, 640):
        await page.set_viewport_size({"width": zoomed, "height": 740})
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= zoomed, zoomed


@asynccontextmanager
async def another_site(html: str) -> AsyncIterator[str]:
    """A page on another site: a server on loopback, named ``localhost`` (the gateway is
    ``127.0.0.1``); ``?policy=`` sets its Referrer-Policy."""

    async def page(request: aioweb.Request) -> aioweb.Response:
        policy = request.query.get("policy")
        headers = {"Referrer-Policy": policy} if policy else {}
        return aioweb.Response(text=html, content_type="text/html", headers=headers)

    app = aioweb.Application()
    app.router.add_get("/", page)
    runner = aioweb.AppRunner(app)
    await runner.setup()
    site = aioweb.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        yield f"http://localhost:{port}"
    finally:
        await runner.cleanup()


async def test_a_logout_form_posted_from_another_site_is_refused(web: Web) -> None:
    await web.login(1)
    page = web.page
    form = (
        "<!doctype html><html lang='en'><title>Elsewhere</title><form method='post' "
        f"action='{web.url}/auth/logout'><button>Log out of Min side</button></form></html>"
    )
    async with another_site(form) as elsewhere:
        # By the browser's default policy the POST names the other site as its Origin; under
        # no-referrer the Origin is "null" (as under the gateway's own no-referrer, which is
        # why the page at / has same-origin). Either way /auth/logout refuses it.
        for policy, origin in [("", elsewhere), ("no-referrer", "null")]:
            await page.goto(f"{elsewhere}/?policy={policy}")
            async with page.expect_response(f"{web.url}/auth/logout") as answer:
                await page.get_by_role("button").click()
            response = await answer.value
            assert (await response.request.all_headers()).get("origin") == origin, policy
            assert response.status == 403, policy
    # Still logged in.
    await page.goto(f"{web.url}/")
    await web.loaded()
    assert "Logget inn som" in await page.locator("header").inner_text()


async def test_nynorsk_and_logout_through_id_porten_back_to_the_logged_out_page(
    web: Web,
) -> None:
    await web.login(1, lang="nn")
    page = web.page
    assert await page.locator("section h2").first.inner_text() == "Min eigedom"
    # Amounts as Norwegian writes them, also where the browser has no Nynorsk data.
    (ownership,) = web.stack.population.properties_of(web.pid(1))
    fees = web.stack.population.fee_basis(ownership.property.matrikkelnummer)
    total = nok(sum((line.annual_amount for line in fees), Decimal(0)))
    assert total in await section_text(web, "properties")
    # The page's own Referrer-Policy (same-origin) lets the form's POST carry the page's
    # Origin, which /auth/logout's CSRF check asks for (under no-referrer it is "null").
    async with page.expect_request(f"{web.url}/auth/logout") as logout:
        await page.get_by_role("button", name="Logg ut").click()
    assert (await logout.value).headers.get("origin") == web.url
    # /auth/logout → the stand-in's end-session (and its front-channel logout) → / again.
    await page.wait_for_url(re.compile(re.escape(web.url) + r"/(\?.*)?$"))
    await page.locator("a.button", has_text="Logg inn med ID-porten").wait_for()
    assert await page.locator("html").get_attribute("lang") == "nb"  # the redirect names none
    cookies = await page.context.cookies(web.url)
    assert [c for c in cookies if c["name"] == web.stack.settings.session_cookie_name] == []


# A whole, valid PDF: the upload check reads all of it (tests.upload_samples).
PDF = upload_samples.pdf("Kart over tomta")

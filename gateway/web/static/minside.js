/* Min side: the reference citizen page, a small client of the public GraphQL API.
 *
 * No framework and no build step: the browser's fetch, crypto.subtle (for the persisted
 * queries' SHA-256) and DOM. It uses the API exactly as a municipality's frontend would:
 * the BFF session cookie (same origin), application/json POSTs and, for uploads, the
 * Apollo-Require-Preflight header (the gateway's CSRF rules), automatic persisted queries,
 * and @defer so cases and invoices show before the slower property register answers.
 * Everything is built with createElement/textContent: no HTML from data is ever parsed.
 */
(function () {
  "use strict";

  // --- texts ------------------------------------------------------------------------------
  const TEXTS = {
    nb: {
      skip: "Hopp til innholdet", nav: "Seksjoner", language: "Språk",
      loggedOutLead: "Logg inn for å se eiendommene dine, sakene og dokumentene dine og fakturaene dine.",
      login: "Logg inn med ID-porten", logout: "Logg ut", loggedInAs: "Logget inn som {name}",
      loading: "Laster …", properties: "Min eiendom", documents: "Mine dokumenter",
      invoices: "Mine faktura", services: "Andre tjenester", submissions: "Mine innsendinger",
      noProperties: "Du står ikke som eier av noen eiendom.", matrikkel: "Gnr./bnr.",
      share: "Eierandel", area: "Areal", municipality: "Kommune", buildings: "Bygninger",
      building: "Bygning {n}", builtYear: "byggeår {y}", floors: "{n} etasjer",
      feeBasis: "Gebyrgrunnlag", feeKind: "Gebyr", quantity: "Mengde", unitPrice: "Pris per enhet",
      perYear: "Per år", total: "Sum per år", noFeeBasis: "Ingen gebyrgrunnlag registrert.",
      taxBasis: "Eiendomsskatt {year}", assessedValue: "Takst", taxBase: "Skattegrunnlag",
      rate: "Skattesats", promille: "{r} ‰", annualTax: "Eiendomsskatt per år", exempt: "Fritak",
      noTaxBasis: "Ingen eiendomsskattegrunnlag registrert.", meters: "Vannmålere",
      meter: "Vannmåler {n}", noMeters: "Eiendommen har ingen vannmåler.",
      meterReplaced: "Byttet {date}", installed: "Installert {date}", readings: "Siste avlesninger",
      date: "Dato", reading: "Målerstand (m³)", source: "Kilde", consumption: "Forbruk per år",
      year: "År", used: "Forbruk (m³)", estimated: "stipulert", noConsumption: "Ingen forbrukstall ennå.",
      chartLabel: "Stolpediagram over vannforbruket per år; tallene står i tabellen under.",
      pendingReadings: "Venter på registrering", registerReading: "Registrer målerstand",
      readingValue: "Målerstand i m³", readingHint: "Tall med inntil tre desimaler, for eksempel 2150,5.",
      readOn: "Avlest dato", comment: "Kommentar (valgfritt)", send: "Send inn",
      confirmUnusual: "Jeg har sjekket at målerstanden er riktig", unusualHint:
        "Forbruket er uvanlig. Sjekk tallet, kryss av under hvis det er riktig, og send på nytt.",
      errorSummary: "Rett opp dette før du sender:", receipt: "Kvittering {id}: {status}.",
      consumptionSince: "Forbruk siden forrige avlesning: {n} m³.",
      map: "Kart", mapLabel: "Kart over {address}: omrisset av eiendommen{approx}.",
      approx: " (omtrentlig, tegnet ut fra arealet)", openMap: "Åpne i kommunens kartløsning",
      scale: "{n} m", cases: "Saker", caseStatus: "Status", opened: "Opprettet", closed: "Avsluttet",
      decision: "Vedtak", noDecision: "Ikke vedtatt ennå", documentsOf: "Dokumenter i saken",
      noDocuments: "Ingen dokumenter.", noCases: "Du har ingen saker.", filterStatus: "Vis saker",
      allCases: "Alle", openCases: "Under behandling", closedCases: "Ferdige", filterKind: "Sakstype",
      allKinds: "Alle typer", filter: "Filtrer", showMore: "Vis flere saker",
      shownOf: "Viser {n} av {total} saker.", kinds: {
        APPLICATION: "Søknad", BUILDING: "Byggesak", PLANNING: "Plansak",
        WATER_SEWAGE_WASTE: "Vann, avløp og renovasjon", OTHER: "Annen sak" },
      unpaid: "Ikke betalt", paid: "Betalt", noUnpaid: "Du har ingen ubetalte fakturaer.",
      noPaid: "Ingen betalte fakturaer.", invoiceNo: "Fakturanr.", dueOn: "Forfall",
      toPay: "Å betale", amount: "Beløp", kid: "KID", account: "Kontonummer", pdf: "Faktura (PDF)",
      pdfOf: "Last ned faktura {n} som PDF", newApplication: "Send en søknad",
      applicationType: "Hva vil du søke om?", chooseType: "Velg …", property: "Eiendom",
      required: "(må fylles ut)", yes: "Ja", attachment: "{label}", allowed: "Tillatt: {types}, inntil {mb} MB.",
      noSubmissions: "Du har ikke sendt inn noe fra Min side.", submitted: "Sendt {time}",
      caseNo: "Saksnummer {n}", sourceDown: "{name} svarer ikke akkurat nå. Det som hentes derfra, mangler under. Prøv igjen senere.",
      sourceStale: "{name} svarer ikke akkurat nå. Opplysningene under er fra {time} og kan være utdaterte.",
      sourceStaleUndated: "{name} svarer ikke akkurat nå. Opplysningene under er hentet tidligere og kan være utdaterte.",
      rateLimited: "Siden er lastet mange ganger på kort tid. Vent {s} sekunder og last den på nytt.",
      moreProperties: "Viser {n} av {total} eiendommer.",
      failed: "Noe gikk galt. Prøv igjen senere.", unavailable: "Kan ikke vises akkurat nå.",
      sending: "Sender …", externalLink: "(åpnes hos {host})",
      needsHigh: "Denne søknaden krever innlogging med høyt sikkerhetsnivå (for eksempel BankID).", loginHigh: "Logg inn på nytt med høyt sikkerhetsnivå",
    },
    nn: {
      skip: "Hopp til innhaldet", nav: "Seksjonar", language: "Språk",
      loggedOutLead: "Logg inn for å sjå eigedomane dine, sakene og dokumenta dine og fakturaene dine.",
      login: "Logg inn med ID-porten", logout: "Logg ut", loggedInAs: "Logga inn som {name}",
      loading: "Lastar …", properties: "Min eigedom", documents: "Mine dokument",
      invoices: "Mine faktura", services: "Andre tenester", submissions: "Mine innsendingar",
      noProperties: "Du står ikkje som eigar av nokon eigedom.", matrikkel: "Gnr./bnr.",
      share: "Eigarpart", area: "Areal", municipality: "Kommune", buildings: "Bygningar",
      building: "Bygning {n}", builtYear: "byggeår {y}", floors: "{n} etasjar",
      feeBasis: "Gebyrgrunnlag", feeKind: "Gebyr", quantity: "Mengd", unitPrice: "Pris per eining",
      perYear: "Per år", total: "Sum per år", noFeeBasis: "Ikkje noko gebyrgrunnlag registrert.",
      taxBasis: "Eigedomsskatt {year}", assessedValue: "Takst", taxBase: "Skattegrunnlag",
      rate: "Skattesats", promille: "{r} ‰", annualTax: "Eigedomsskatt per år", exempt: "Fritak",
      noTaxBasis: "Ikkje noko eigedomsskattegrunnlag registrert.", meters: "Vassmålarar",
      meter: "Vassmålar {n}", noMeters: "Eigedomen har ingen vassmålar.",
      meterReplaced: "Bytt {date}", installed: "Installert {date}", readings: "Siste avlesingar",
      date: "Dato", reading: "Målarstand (m³)", source: "Kjelde", consumption: "Forbruk per år",
      year: "År", used: "Forbruk (m³)", estimated: "stipulert", noConsumption: "Ingen forbrukstal enno.",
      chartLabel: "Stolpediagram over vassforbruket per år; tala står i tabellen under.",
      pendingReadings: "Ventar på registrering", registerReading: "Registrer målarstand",
      readingValue: "Målarstand i m³", readingHint: "Tal med inntil tre desimalar, til dømes 2150,5.",
      readOn: "Avlesen dato", comment: "Kommentar (valfritt)", send: "Send inn",
      confirmUnusual: "Eg har sjekka at målarstanden er rett", unusualHint:
        "Forbruket er uvanleg. Sjekk talet, kryss av under om det er rett, og send på nytt.",
      errorSummary: "Rett opp dette før du sender:", receipt: "Kvittering {id}: {status}.",
      consumptionSince: "Forbruk sidan førre avlesing: {n} m³.",
      map: "Kart", mapLabel: "Kart over {address}: omrisset av eigedomen{approx}.",
      approx: " (omtrentleg, teikna ut frå arealet)", openMap: "Opne i kommunen si kartløysing",
      scale: "{n} m", cases: "Saker", caseStatus: "Status", opened: "Oppretta", closed: "Avslutta",
      decision: "Vedtak", noDecision: "Ikkje vedteke enno", documentsOf: "Dokument i saka",
      noDocuments: "Ingen dokument.", noCases: "Du har ingen saker.", filterStatus: "Vis saker",
      allCases: "Alle", openCases: "Under handsaming", closedCases: "Ferdige", filterKind: "Sakstype",
      allKinds: "Alle typar", filter: "Filtrer", showMore: "Vis fleire saker",
      shownOf: "Viser {n} av {total} saker.", kinds: {
        APPLICATION: "Søknad", BUILDING: "Byggjesak", PLANNING: "Plansak",
        WATER_SEWAGE_WASTE: "Vatn, avløp og renovasjon", OTHER: "Anna sak" },
      unpaid: "Ikkje betalt", paid: "Betalt", noUnpaid: "Du har ingen ubetalte fakturaer.",
      noPaid: "Ingen betalte fakturaer.", invoiceNo: "Fakturanr.", dueOn: "Forfall",
      toPay: "Å betale", amount: "Beløp", kid: "KID", account: "Kontonummer", pdf: "Faktura (PDF)",
      pdfOf: "Last ned faktura {n} som PDF", newApplication: "Send ein søknad",
      applicationType: "Kva vil du søkje om?", chooseType: "Vel …", property: "Eigedom",
      required: "(må fyllast ut)", yes: "Ja", attachment: "{label}", allowed: "Tillate: {types}, inntil {mb} MB.",
      noSubmissions: "Du har ikkje sendt inn noko frå Mi side.", submitted: "Sendt {time}",
      caseNo: "Saksnummer {n}", sourceDown: "{name} svarar ikkje akkurat no. Det som vert henta derifrå, manglar under. Prøv igjen seinare.",
      sourceStale: "{name} svarar ikkje akkurat no. Opplysningane under er frå {time} og kan vere utdaterte.",
      sourceStaleUndated: "{name} svarar ikkje akkurat no. Opplysningane under er henta tidlegare og kan vere utdaterte.",
      rateLimited: "Sida er lasta mange gonger på kort tid. Vent {s} sekund og last ho på nytt.",
      moreProperties: "Viser {n} av {total} eigedomar.",
      failed: "Noko gjekk gale. Prøv igjen seinare.", unavailable: "Kan ikkje visast akkurat no.",
      sending: "Sender …", externalLink: "(vert opna hos {host})",
      needsHigh: "Denne søknaden krev innlogging med høgt tryggleiksnivå (til dømes BankID).", loginHigh: "Logg inn på nytt med høgt tryggleiksnivå",
    },
    en: {
      skip: "Skip to content", nav: "Sections", language: "Language",
      loggedOutLead: "Log in to see your properties, your cases and documents, and your invoices.",
      login: "Log in with ID-porten", logout: "Log out", loggedInAs: "Logged in as {name}",
      loading: "Loading …", properties: "My property", documents: "My documents",
      invoices: "My invoices", services: "Other services", submissions: "My submissions",
      noProperties: "You are not registered as the owner of any property.", matrikkel: "Cadastral no.",
      share: "Ownership share", area: "Area", municipality: "Municipality", buildings: "Buildings",
      building: "Building {n}", builtYear: "built {y}", floors: "{n} floors",
      feeBasis: "Municipal fees", feeKind: "Fee", quantity: "Quantity", unitPrice: "Unit price",
      perYear: "Per year", total: "Total per year", noFeeBasis: "No fee basis registered.",
      taxBasis: "Property tax {year}", assessedValue: "Assessed value", taxBase: "Tax base",
      rate: "Tax rate", promille: "{r} ‰", annualTax: "Property tax per year", exempt: "Exemption",
      noTaxBasis: "No property tax basis registered.", meters: "Water meters",
      meter: "Water meter {n}", noMeters: "The property has no water meter.",
      meterReplaced: "Replaced {date}", installed: "Installed {date}", readings: "Latest readings",
      date: "Date", reading: "Reading (m³)", source: "Source", consumption: "Consumption per year",
      year: "Year", used: "Consumption (m³)", estimated: "estimated", noConsumption: "No consumption figures yet.",
      chartLabel: "Bar chart of water consumption per year; the figures are in the table below.",
      pendingReadings: "Waiting to be registered", registerReading: "Register a meter reading",
      readingValue: "Meter reading in m³", readingHint: "A number with up to three decimals, e.g. 2150.5.",
      readOn: "Date read", comment: "Comment (optional)", send: "Submit",
      confirmUnusual: "I have checked that the reading is correct", unusualHint:
        "The consumption is unusual. Check the figure, tick the box below if it is right, and submit again.",
      errorSummary: "Please correct this before submitting:", receipt: "Receipt {id}: {status}.",
      consumptionSince: "Consumption since the previous reading: {n} m³.",
      map: "Map", mapLabel: "Map of {address}: the outline of the property{approx}.",
      approx: " (approximate, drawn from its area)", openMap: "Open in the municipality's map",
      scale: "{n} m", cases: "Cases", caseStatus: "Status", opened: "Opened", closed: "Closed",
      decision: "Decision", noDecision: "No decision yet", documentsOf: "Documents in the case",
      noDocuments: "No documents.", noCases: "You have no cases.", filterStatus: "Show cases",
      allCases: "All", openCases: "In progress", closedCases: "Finished", filterKind: "Case type",
      allKinds: "All types", filter: "Filter", showMore: "Show more cases",
      shownOf: "Showing {n} of {total} cases.", kinds: {
        APPLICATION: "Application", BUILDING: "Building case", PLANNING: "Planning case",
        WATER_SEWAGE_WASTE: "Water, sewage and waste", OTHER: "Other case" },
      unpaid: "Unpaid", paid: "Paid", noUnpaid: "You have no unpaid invoices.",
      noPaid: "No paid invoices.", invoiceNo: "Invoice no.", dueOn: "Due",
      toPay: "To pay", amount: "Amount", kid: "KID (payment reference)", account: "Account number",
      pdf: "Invoice (PDF)", pdfOf: "Download invoice {n} as PDF", newApplication: "Submit an application",
      applicationType: "What do you want to apply for?", chooseType: "Choose …", property: "Property",
      required: "(required)", yes: "Yes", attachment: "{label}", allowed: "Allowed: {types}, up to {mb} MB.",
      noSubmissions: "You have not submitted anything from Min side.", submitted: "Submitted {time}",
      caseNo: "Case number {n}", sourceDown: "{name} is not answering right now. What comes from it is missing below. Please try again later.",
      sourceStale: "{name} is not answering right now. The details below are from {time} and may be out of date.",
      sourceStaleUndated: "{name} is not answering right now. The details below were fetched earlier and may be out of date.",
      rateLimited: "The page has been loaded many times in a short while. Wait {s} seconds and load it again.",
      moreProperties: "Showing {n} of {total} properties.",
      failed: "Something went wrong. Please try again later.", unavailable: "Cannot be shown right now.",
      sending: "Sending …", externalLink: "(opens at {host})",
      needsHigh: "This application needs a login at a high level of assurance (e.g. BankID).", loginHigh: "Log in again at a high level of assurance",
    },
  };
  // Number and date formats; a browser without Nynorsk data (Chromium's ICU has none) writes
  // numbers and months as Bokmål does, which Nynorsk shares, instead of falling back to English.
  const LOCALES = { nb: ["nb-NO", "no"], nn: ["nn-NO", "nb-NO", "no"], en: ["en-GB"] };
  const LANGUAGE_NAMES = { nb: "Bokmål", nn: "Nynorsk", en: "English" };

  const params = new URLSearchParams(location.search);
  const lang = TEXTS[params.get("lang")] ? params.get("lang") : "nb";
  const locale = LOCALES[lang];
  document.documentElement.lang = lang;

  function t(key, vars) {
    let text = TEXTS[lang][key];
    if (text === undefined) text = TEXTS.nb[key];
    if (typeof text !== "string") return text;
    return text.replace(/\{(\w+)\}/g, (_, name) => (vars && vars[name] !== undefined ? String(vars[name]) : ""));
  }

  // --- DOM helpers --------------------------------------------------------------------------
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "text") node.textContent = value;
      else if (name === "on") for (const [ev, fn] of Object.entries(value)) node.addEventListener(ev, fn);
      else node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }
  const SVG = "http://www.w3.org/2000/svg";
  function svg(tag, attrs, ...children) {
    const node = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, String(value));
    for (const child of children) node.append(child);
    return node;
  }
  function dl(pairs) {
    return el("dl", { class: "facts" }, pairs.filter((p) => p[1] !== null && p[1] !== undefined && p[1] !== "")
      .map(([term, value]) => el("div", {}, el("dt", { text: term }), el("dd", {}, value))));
  }
  function scrollTable(caption, head, rows, captionShown) {
    // A wide table scrolls sideways on a phone; the wrapper is focusable so keyboards can too.
    return el("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": caption },
      el("table", {}, el("caption", { class: captionShown === false ? "visually-hidden" : null, text: caption }),
        el("thead", {}, el("tr", {}, head.map((h) => el("th", { scope: "col", text: h })))),
        el("tbody", {}, rows.map((r) => el("tr", {}, r.map((c, i) => (i === 0 ? el("th", { scope: "row" }, c) : el("td", {}, c))))))));
  }
  // Links from the API only as http(s) or a path here: never a javascript: or data: URL.
  function safeUrl(url) {
    try {
      const parsed = new URL(url, location.href);
      return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : "#";
    } catch (e) {
      return "#";
    }
  }
  let idCounter = 0;
  const uid = (prefix) => `${prefix}-${++idCounter}`;

  // --- formatting ---------------------------------------------------------------------------
  const money = (m) => (m ? new Intl.NumberFormat(locale, { style: "currency", currency: m.currency || "NOK" }).format(Number(m.amount)) : "");
  const number = (n, digits) => new Intl.NumberFormat(locale, { maximumFractionDigits: digits === undefined ? 3 : digits }).format(Number(n));
  function day(iso) {
    if (!iso) return "";
    const [y, m, d] = iso.slice(0, 10).split("-").map(Number);
    return new Intl.DateTimeFormat(locale, { day: "numeric", month: "long", year: "numeric" }).format(new Date(y, m - 1, d));
  }
  const time = (iso) => (iso ? new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" }).format(new Date(iso)) : "");
  const account = (a) => (a && a.length === 11 ? `${a.slice(0, 4)}.${a.slice(4, 6)}.${a.slice(6)}` : a || "");
  function today() {
    const d = new Date();
    return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
  }
  function newKey() {
    if (crypto.randomUUID) return crypto.randomUUID();
    return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
  }

  // --- the API client -----------------------------------------------------------------------
  const ENDPOINT = "/graphql";
  const ACCEPT = "multipart/mixed;deferSpec=20220824, application/graphql-response+json, application/json";

  async function sha256(text) {
    if (!(window.crypto && crypto.subtle)) return null; // not a secure context: send the query
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
    return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
  }

  async function post(body) {
    return fetch(ENDPOINT, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: ACCEPT, "Accept-Language": lang },
      body: JSON.stringify(body),
    });
  }

  // Automatic persisted queries: the hash alone first; the full text once if it is unknown.
  async function request(query, variables, onPayload) {
    const hash = await sha256(query);
    const extensions = hash ? { persistedQuery: { version: 1, sha256Hash: hash } } : undefined;
    let response = await post(hash ? { variables, extensions } : { query, variables });
    if (hash && (response.headers.get("content-type") || "").includes("json")) {
      const body = await response.json();
      const code = body.errors && body.errors[0] && body.errors[0].extensions && body.errors[0].extensions.code;
      if (code !== "PERSISTED_QUERY_NOT_FOUND") return onPayload(body);
      response = await post({ query, variables, extensions });
    }
    const type = response.headers.get("content-type") || "";
    if (!type.startsWith("multipart/mixed")) return onPayload(await response.json());
    await readMultipart(response, onPayload);
  }

  // multipart/mixed (boundary "-"): one JSON payload per part, handed on as each arrives.
  async function readMultipart(response, onPayload) {
    const match = /boundary="?([^";,]+)"?/.exec(response.headers.get("content-type"));
    const boundary = "--" + (match ? match[1] : "-");
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    let started = false;
    for (;;) {
      const { value, done } = await reader.read();
      if (value) buffer += decoder.decode(value, { stream: true });
      for (;;) {
        if (!started) {
          const first = buffer.indexOf(boundary);
          if (first === -1) break;
          buffer = buffer.slice(first + boundary.length);
          started = true;
          continue;
        }
        if (buffer.startsWith("--")) return; // the closing delimiter
        const end = buffer.indexOf("\r\n" + boundary);
        if (end === -1) break;
        const part = buffer.slice(0, end).replace(/^\r\n/, "");
        buffer = buffer.slice(end + 2 + boundary.length);
        const split = part.indexOf("\r\n\r\n");
        const json = split === -1 ? "" : part.slice(split + 4).trim();
        if (json) onPayload(JSON.parse(json));
      }
      if (done) return;
    }
  }

  // One result object that later @defer payloads are merged into.
  function merger() {
    const result = { data: null, errors: [] };
    function mergeInto(target, source) {
      for (const [key, value] of Object.entries(source || {})) {
        if (value && typeof value === "object" && !Array.isArray(value) && target[key] && typeof target[key] === "object") mergeInto(target[key], value);
        else target[key] = value;
      }
    }
    return {
      result,
      add(payload) {
        if (payload.data !== undefined) result.data = payload.data;
        if (payload.errors) result.errors.push(...payload.errors);
        for (const inc of payload.incremental || []) {
          let target = result.data;
          for (const step of inc.path || []) target = target && target[step];
          if (target && inc.data) mergeInto(target, inc.data);
          if (inc.errors) result.errors.push(...inc.errors);
        }
      },
    };
  }

  async function gql(name, variables, onUpdate) {
    const query = await documentText(name);
    const m = merger();
    await request(query, variables || {}, (payload) => {
      m.add(payload);
      if (onUpdate) onUpdate(m.result);
    });
    return m.result;
  }

  // An upload (GraphQL multipart request spec) with the header the CSRF check asks for.
  async function upload(name, variables, files) {
    const query = await documentText(name);
    const form = new FormData();
    const hash = await sha256(query);
    const operations = { query, variables };
    if (hash) operations.extensions = { persistedQuery: { version: 1, sha256Hash: hash } };
    form.append("operations", JSON.stringify(operations));
    const map = {};
    files.forEach((f, i) => { map[String(i)] = [f.path]; });
    form.append("map", JSON.stringify(map));
    files.forEach((f, i) => form.append(String(i), f.file, f.file.name));
    const response = await fetch(ENDPOINT, {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/graphql-response+json, application/json", "Accept-Language": lang, "Apollo-Require-Preflight": "true" },
      body: form,
    });
    return response.json();
  }

  // --- documents ----------------------------------------------------------------------------
  // The page's GraphQL documents live in gateway/web/minside.graphql; the gateway serves each
  // operation with its fragments by name (the same texts its trusted-documents manifest lists).
  let documentsLoaded = null;
  function documentText(name) {
    if (!documentsLoaded) {
      documentsLoaded = fetch("/minside-assets/documents.json", { credentials: "same-origin" }).then((r) => {
        if (!r.ok) throw new Error(`documents: ${r.status}`);
        return r.json();
      });
    }
    return documentsLoaded.then((docs) => {
      if (!docs[name]) throw new Error(`no document ${name}`);
      return docs[name];
    });
  }
  const CASES_PER_PAGE = 10;

  // --- page state ---------------------------------------------------------------------------
  const SECTION_SOURCES = { properties: ["MATRIKKEL", "FEES"], documents: ["P360"], invoices: ["VISMA"] };
  const state = { properties: null, caseFilter: {}, cases: [], rendered: {} };
  const sections = {};

  function errorFor(result, path) {
    return (result.errors || []).find((e) => (e.path || []).join(".") === path);
  }

  // --- the frame ----------------------------------------------------------------------------
  function languageNav() {
    return el("nav", { class: "languages", "aria-label": t("language") },
      el("ul", {}, Object.keys(TEXTS).map((code) => el("li", {},
        code === lang
          ? el("a", { href: `?lang=${code}`, "aria-current": "true", lang: code, text: LANGUAGE_NAMES[code] })
          : el("a", { href: `?lang=${code}`, lang: code, hreflang: code, text: LANGUAGE_NAMES[code] })))));
  }

  function header(name) {
    const right = [languageNav()];
    if (name) {
      right.push(el("p", { class: "who", text: t("loggedInAs", { name }) }));
      right.push(el("form", { method: "post", action: "/auth/logout", class: "logout" },
        el("button", { type: "submit", class: "secondary", text: t("logout") })));
    }
    return el("header", { class: "top" }, el("p", { class: "brand" }, el("a", { href: `/?lang=${lang}`, text: "Min side" })), el("div", { class: "top-right" }, right));
  }

  function loginUrl() {
    return `/auth/login?return_to=${encodeURIComponent(`/?lang=${lang}`)}&ui_locales=${lang}`;
  }

  function renderLoggedOut() {
    const app = document.getElementById("app");
    const main = el("main", { id: "main", tabindex: "-1" },
      el("h1", { text: "Min side" }),
      el("p", { text: t("loggedOutLead") }),
      el("p", {}, el("a", { class: "button", href: loginUrl(), text: t("login") })));
    app.replaceChildren(el("a", { class: "skip", href: "#main", text: t("skip") }), header(null), main);
    // The other services are public: shown before login too.
    gql("MinSideServices", {}).then((r) => {
      const services = (r.data && r.data.externalServices) || [];
      if (!services.length) return;
      main.append(el("section", { id: "services", "aria-labelledby": "services-h" },
        el("h2", { id: "services-h", text: t("services") }), servicesList(services)));
    }).catch(() => {}).finally(() => { document.body.dataset.loaded = "true"; });
  }

  function renderFrame(name) {
    const app = document.getElementById("app");
    const main = el("main", { id: "main", tabindex: "-1" }, el("h1", { text: "Min side" }));
    const nav = el("nav", { class: "sections", "aria-label": t("nav") }, el("ul", {}));
    for (const key of ["properties", "documents", "invoices", "services"]) {
      const heading = el("h2", { id: `${key}-h`, text: t(key) });
      const notice = el("div", { class: "notices", "aria-live": "polite" });
      const body = el("div", { class: "body", "aria-busy": "true" }, el("p", { class: "loading", text: t("loading") }));
      const section = el("section", { id: key, "aria-labelledby": `${key}-h` }, heading, notice, body);
      sections[key] = { section, notice, body };
      nav.firstChild.append(el("li", {}, el("a", { href: `#${key}`, text: t(key) })));
      main.append(section);
    }
    main.insertBefore(nav, main.children[1]);
    app.replaceChildren(el("a", { class: "skip", href: "#main", text: t("skip") }), header(name), main);
  }

  function setBody(key, ...nodes) {
    const s = sections[key];
    s.body.replaceChildren(...nodes);
    s.body.removeAttribute("aria-busy");
  }

  function renderSources(sources) {
    for (const [key, systems] of Object.entries(SECTION_SOURCES)) {
      const notes = sources.filter((s) => systems.includes(s.source) && s.status !== "OK").map((s) =>
        el("p", { class: `notice ${s.status === "STALE" ? "stale" : "down"}`, "data-source": s.source },
          el("strong", { text: `${s.statusLabel}: ` }),
          s.status !== "STALE" ? t("sourceDown", { name: s.sourceLabel })
            : s.asOf ? t("sourceStale", { name: s.sourceLabel, time: time(s.asOf) }) : t("sourceStaleUndated", { name: s.sourceLabel })));
      sections[key].notice.replaceChildren(...notes);
    }
  }

  function unavailable(key) {
    setBody(key, el("p", { class: "muted", text: t("unavailable") }));
  }

  // --- Min eiendom --------------------------------------------------------------------------
  function renderProperties(connection) {
    if (!connection) return unavailable("properties");
    state.properties = connection.nodes;
    if (!connection.nodes.length) return setBody("properties", el("p", { text: t("noProperties") }));
    const more = connection.totalCount > connection.nodes.length
      ? el("p", { class: "muted", text: t("moreProperties", { n: connection.nodes.length, total: connection.totalCount }) }) : null;
    setBody("properties", ...connection.nodes.map(propertyCard), ...(more ? [more] : []));
    refreshApplicationProperties();
  }

  function propertyCard(p) {
    const title = p.address ? p.address.text : p.matrikkelnummer.text;
    const hid = uid("prop");
    const card = el("article", { class: "card property", "aria-labelledby": hid },
      el("h3", { id: hid, text: title }),
      el("div", { class: "property-top" },
        dl([
          [t("matrikkel"), p.matrikkelnummer.text],
          [t("municipality"), p.municipality.name ? `${p.municipality.name} (${p.municipality.number})` : p.municipality.number],
          [t("share"), p.ownershipShare],
          [t("area"), p.area ? `${number(p.area, 0)} m²` : null],
          [t("buildings"), p.buildings && p.buildings.length ? p.buildings.map((b) =>
            [b.typeLabel || t("building", { n: b.buildingNumber }), b.builtYear ? t("builtYear", { y: b.builtYear }) : null].filter(Boolean).join(", ")).join("; ") : null],
        ]),
        p.map ? mapFigure(p) : null));
    card.append(el("h4", { text: t("feeBasis") }));
    if (p.feeBasis) {
      card.append(scrollTable(t("feeBasis"), [t("feeKind"), t("quantity"), t("unitPrice"), t("perYear")],
        p.feeBasis.lines.map((l) => [l.description || l.kindLabel, `${number(l.quantity)} ${l.unitLabel}`, money(l.unitPrice), money(l.annualAmount)]), false));
      card.append(el("p", { class: "total" }, `${t("total")}: `, el("strong", { text: money(p.feeBasis.total) })));
    } else card.append(el("p", { class: "muted", text: t("noFeeBasis") }));
    const tax = p.propertyTaxBasis;
    card.append(el("h4", { text: tax ? t("taxBasis", { year: tax.year }) : t("taxBasis", { year: "" }).trim() }));
    if (tax) {
      card.append(dl([
        [t("assessedValue"), money(tax.assessedValue)],
        [t("taxBase"), money(tax.taxBase)],
        [t("rate"), t("promille", { r: number(tax.ratePerMille) })],
        [t("annualTax"), money(tax.annualTax)],
        [t("exempt"), tax.exemption],
      ]));
    } else card.append(el("p", { class: "muted", text: t("noTaxBasis") }));
    card.append(el("h4", { text: t("meters") }));
    if (p.waterMeters === null) card.append(el("p", { class: "muted", text: t("unavailable") }));
    else if (!p.waterMeters.length) card.append(el("p", { text: t("noMeters") }));
    else for (const m of p.waterMeters) card.append(meterBlock(m));
    return card;
  }

  // The property's outline drawn from the API's GeoJSON boundary: no map tiles, works offline.
  function mapFigure(p) {
    const ring = (p.map.boundary && p.map.boundary.coordinates && p.map.boundary.coordinates[0]) || [];
    const lat0 = p.map.centroid.latitude, lon0 = p.map.centroid.longitude;
    const kx = 111320 * Math.cos((lat0 * Math.PI) / 180), ky = 110540;
    const pts = ring.map(([lon, lat]) => [(lon - lon0) * kx, -(lat - lat0) * ky]);
    const extent = Math.max(20, ...pts.map(([x, y]) => Math.max(Math.abs(x), Math.abs(y)))) * 1.5;
    const size = 200, scale = size / 2 / extent;
    const poly = pts.map(([x, y]) => `${(size / 2 + x * scale).toFixed(1)},${(size / 2 + y * scale).toFixed(1)}`).join(" ");
    const niceMetres = [5, 10, 20, 50, 100, 200, 500, 1000, 2000].find((m) => m * scale >= size / 5) || 5000;
    const barLength = niceMetres * scale;
    const label = t("mapLabel", { address: p.address ? p.address.text : p.matrikkelnummer.text, approx: p.map.boundaryIsApproximate ? t("approx") : "" });
    const drawing = svg("svg", { viewBox: `0 0 ${size} ${size}`, role: "img", "aria-label": label, class: "map" },
      svg("rect", { x: 0, y: 0, width: size, height: size, class: "map-bg" }),
      svg("polygon", { points: poly, class: p.map.boundaryIsApproximate ? "parcel approx" : "parcel" }),
      svg("circle", { cx: size / 2, cy: size / 2, r: 3, class: "centroid" }),
      svg("path", { d: `M${size - 10} 26 L${size - 10} 10 M${size - 14} 16 L${size - 10} 10 L${size - 6} 16`, class: "north" }),
      svg("text", { x: size - 10, y: 38, "text-anchor": "middle", class: "map-text" }, "N"),
      svg("path", { d: `M10 ${size - 12} h${barLength.toFixed(1)}`, class: "scalebar" }),
      svg("text", { x: 10, y: size - 17, class: "map-text" }, t("scale", { n: niceMetres })));
    return el("figure", { class: "map-figure" }, drawing,
      el("figcaption", {}, el("a", { href: safeUrl(p.map.mapUrl), rel: "external noopener", text: t("openMap") })));
  }

  function meterBlock(m) {
    const hid = uid("meter");
    const data = el("div", { class: "meter-data" }, meterData(m));
    const box = el("div", { class: "meter", role: "group", "aria-labelledby": hid },
      el("h5", { id: hid, text: t("meter", { n: m.meterNumber }) }),
      el("p", { class: "muted", text: m.replacedOn ? t("meterReplaced", { date: day(m.replacedOn) }) : t("installed", { date: day(m.installedOn) }) }),
      data);
    // After a registered reading: the meter again from the API (the reading is pending, or
    // already in the register); if that read fails, a pending one from the receipt.
    let current = m;
    async function refresh(receipt) {
      let fresh = null;
      try {
        const result = await gql("MinSideMeter", { id: m.id });
        fresh = result.data && result.data.node;
      } catch (e) { fresh = null; }
      if (!fresh && receipt.status === "PENDING") {
        const pending = (current.pendingReadings || []).filter((r) => r.receiptId !== receipt.receiptId);
        fresh = { ...current, pendingReadings: [...pending, { receiptId: receipt.receiptId, statusLabel: receipt.statusLabel, reading: receipt.reading }] };
      }
      if (!fresh) return;
      current = fresh;
      data.replaceChildren(...meterData(current));
    }
    if (m.isActive) box.append(readingForm(m, refresh));
    return box;
  }

  function meterData(m) {
    const parts = [];
    if (m.readings.length) {
      parts.push(scrollTable(`${t("readings")} – ${t("meter", { n: m.meterNumber })}`, [t("date"), t("reading"), t("source")],
        m.readings.map((r) => [day(r.readOn), number(r.value), r.sourceLabel])));
    }
    if (m.pendingReadings && m.pendingReadings.length) {
      parts.push(el("p", { class: "pending" }, el("strong", { text: `${t("pendingReadings")}: ` }),
        m.pendingReadings.map((r) => `${number(r.reading.value)} m³ (${day(r.reading.readOn)}, ${r.statusLabel})`).join("; ")));
    }
    parts.push(el("h6", { text: t("consumption") }));
    if (m.consumption.length) parts.push(consumptionChart(m.consumption), scrollTable(`${t("consumption")} – ${t("meter", { n: m.meterNumber })}`, [t("year"), t("used")],
      m.consumption.map((c) => [String(c.year), c.estimated ? `${number(c.consumption, 1)} (${t("estimated")})` : number(c.consumption, 1)]), false));
    else parts.push(el("p", { class: "muted", text: t("noConsumption") }));
    return parts;
  }

  function consumptionChart(periods) {
    const data = [...periods].reverse(); // oldest first, left to right
    const width = 300, height = 140, top = 16, bottom = 22, gap = 8;
    const max = Math.max(1, ...data.map((c) => Number(c.consumption)));
    const bar = (width - gap * (data.length + 1)) / data.length;
    const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart", "aria-hidden": "true", focusable: "false" });
    data.forEach((c, i) => {
      const h = ((height - top - bottom) * Number(c.consumption)) / max;
      const x = gap + i * (bar + gap), y = height - bottom - h;
      chart.append(svg("rect", { x: x.toFixed(1), y: y.toFixed(1), width: bar.toFixed(1), height: h.toFixed(1), class: c.estimated ? "bar estimated" : "bar" }));
      chart.append(svg("text", { x: (x + bar / 2).toFixed(1), y: (y - 4).toFixed(1), "text-anchor": "middle", class: "chart-text" }, number(c.consumption, 0)));
      chart.append(svg("text", { x: (x + bar / 2).toFixed(1), y: height - 6, "text-anchor": "middle", class: "chart-text" }, String(c.year)));
    });
    return el("figure", { class: "chart-figure" }, chart, el("figcaption", { class: "visually-hidden", text: t("chartLabel") }));
  }

  // --- forms (shared) -----------------------------------------------------------------------
  function field(label, control, { hint, required } = {}) {
    const id = control.id || (control.id = uid("f"));
    const hintId = hint ? `${id}-hint` : null;
    const errorId = `${id}-error`;
    if (hintId) control.setAttribute("aria-describedby", hintId);
    const wrap = el("div", { class: "field", "data-field": control.name },
      el("label", { for: id }, label, required ? el("span", { class: "req", text: ` ${t("required")}` }) : null),
      hint ? el("p", { class: "hint", id: hintId, text: hint }) : null,
      el("p", { class: "error", id: errorId, hidden: true }),
      control);
    return wrap;
  }

  function clearErrors(form) {
    form.querySelectorAll(".error").forEach((e) => { e.hidden = true; e.textContent = ""; });
    form.querySelectorAll("[aria-invalid]").forEach((c) => {
      c.removeAttribute("aria-invalid");
      const hint = c.id && document.getElementById(`${c.id}-hint`);
      c.setAttribute("aria-describedby", hint ? hint.id : "");
      if (!hint) c.removeAttribute("aria-describedby");
    });
    const summary = form.querySelector(".error-summary");
    if (summary) summary.remove();
  }

  // Every error the API reported, beside its field and in a summary focused for screen readers.
  function showErrors(form, errors, controlFor) {
    clearErrors(form);
    const items = [];
    for (const error of errors) {
      const control = controlFor(error.field);
      if (control) {
        const box = document.getElementById(`${control.id}-error`);
        if (box) { box.textContent = box.textContent ? `${box.textContent} ${error.message}` : error.message; box.hidden = false; }
        control.setAttribute("aria-invalid", "true");
        const hint = document.getElementById(`${control.id}-hint`);
        control.setAttribute("aria-describedby", [hint ? hint.id : null, `${control.id}-error`].filter(Boolean).join(" "));
        items.push(el("li", {}, el("a", { href: `#${control.id}`, text: error.message })));
      } else items.push(el("li", { text: error.message }));
    }
    const summary = el("div", { class: "error-summary", role: "alert", tabindex: "-1" },
      el("p", {}, el("strong", { text: t("errorSummary") })), el("ul", {}, items));
    form.prepend(summary);
    summary.focus();
  }

  function receiptBox(form, text) {
    const old = form.querySelector(".receipt");
    if (old) old.remove();
    const box = el("div", { class: "receipt", role: "status" }, text);
    form.append(box);
    return box;
  }

  // --- register a meter reading -------------------------------------------------------------
  function readingForm(meter, onRegistered) {
    const value = el("input", { name: "value", type: "text", inputmode: "decimal", autocomplete: "off", required: true });
    const readOn = el("input", { name: "readOn", type: "date", value: today(), max: today(), required: true });
    const comment = el("textarea", { name: "comment", rows: "2", maxlength: "500" });
    const confirm = el("input", { name: "confirmUnusual", type: "checkbox", id: uid("confirm") });
    const confirmBox = el("div", { class: "confirm", hidden: true },
      el("p", { class: "warning", text: t("unusualHint") }),
      el("div", { class: "check" }, confirm, el("label", { for: confirm.id, text: t("confirmUnusual") })));
    const button = el("button", { type: "submit", text: t("send") });
    const hid = uid("reading");
    const form = el("form", { class: "reading-form", novalidate: true, "aria-labelledby": hid },
      el("h6", { id: hid, text: t("registerReading") }),
      field(t("readingValue"), value, { hint: t("readingHint"), required: true }),
      field(t("readOn"), readOn, { required: true }),
      field(t("comment"), comment),
      confirmBox, button);
    let attempt = null; // { input json, idempotency key }: resent unchanged, the key is kept
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (form.hasAttribute("aria-busy")) return; // one at a time
      const input = {
        meterId: meter.id, value: value.value.trim(), readOn: readOn.value,
        comment: comment.value.trim() || null, confirmUnusual: !confirmBox.hidden && confirm.checked,
      };
      const signature = JSON.stringify(input);
      if (!attempt || attempt.signature !== signature) attempt = { signature, key: newKey() };
      button.setAttribute("aria-disabled", "true"); // not disabled: that would drop the focus
      button.textContent = t("sending");
      form.setAttribute("aria-busy", "true");
      try {
        const result = await gql("MinSideSubmitMeterReading", { input: { ...input, idempotencyKey: attempt.key } });
        const answer = result.data && result.data.submitMeterReading;
        if (!answer) return showErrors(form, [{ field: "", message: (result.errors[0] && result.errors[0].message) || t("failed") }], () => null);
        if (answer.__typename === "SubmitMeterReadingErrors") {
          attempt = null; // nothing was stored: a corrected reading may reuse nothing
          if (answer.errors.some((e) => e.code === "UNUSUAL_CONSUMPTION")) confirmBox.hidden = false;
          return showErrors(form, answer.errors, (name) => ({ value, readOn, comment, confirmUnusual: confirm })[name] || (name === "meterId" ? null : value));
        }
        clearErrors(form);
        const lines = [t("receipt", { id: answer.receiptId, status: answer.statusLabel })];
        if (answer.consumptionSinceLast) lines.push(" " + t("consumptionSince", { n: number(answer.consumptionSinceLast) }));
        if (answer.rejectionReason) lines.push(" " + answer.rejectionReason);
        receiptBox(form, lines.join(""));
        confirmBox.hidden = true;
        confirm.checked = false;
        value.value = "";
        attempt = null;
        await Promise.all([refreshSubmissions(), onRegistered(answer)]);
      } catch (e) {
        showErrors(form, [{ field: "", message: t("failed") }], () => null);
      } finally {
        form.removeAttribute("aria-busy");
        button.removeAttribute("aria-disabled");
        button.textContent = t("send");
      }
    });
    return form;
  }

  // --- Mine dokumenter ----------------------------------------------------------------------
  function renderCases(connection, append) {
    const s = sections.documents;
    if (!s.list) buildDocumentsBody();
    if (!connection) {
      s.list.replaceChildren(el("li", { class: "muted", text: t("unavailable") }));
      s.status.textContent = "";
      s.more.hidden = true;
      return;
    }
    if (!append) state.cases = [];
    state.cases.push(...connection.nodes);
    state.casesCursor = connection.pageInfo.endCursor;
    const items = connection.nodes.map(caseItem);
    if (append) s.list.append(...items); else s.list.replaceChildren(...items);
    if (!state.cases.length) s.list.replaceChildren(el("li", { text: t("noCases") }));
    s.status.textContent = state.cases.length ? t("shownOf", { n: state.cases.length, total: connection.totalCount }) : "";
    s.more.hidden = !connection.pageInfo.hasNextPage;
    if (append && items.length) items[0].querySelector("h3 a, h3").focus();
  }

  function buildDocumentsBody() {
    const s = sections.documents;
    const statusSelect = el("select", { name: "open", id: uid("filter") },
      el("option", { value: "", text: t("allCases") }), el("option", { value: "true", text: t("openCases") }), el("option", { value: "false", text: t("closedCases") }));
    const kindSelect = el("select", { name: "kind", id: uid("filter") }, el("option", { value: "", text: t("allKinds") }),
      Object.entries(t("kinds")).map(([value, label]) => el("option", { value, text: label })));
    const filter = el("form", { class: "filters", role: "search", "aria-label": t("filter") },
      field(t("filterStatus"), statusSelect), field(t("filterKind"), kindSelect), el("button", { type: "submit", class: "secondary", text: t("filter") }));
    filter.addEventListener("submit", async (event) => {
      event.preventDefault();
      state.caseFilter = {};
      if (statusSelect.value) state.caseFilter.open = statusSelect.value === "true";
      if (kindSelect.value) state.caseFilter.kinds = [kindSelect.value];
      s.body.setAttribute("aria-busy", "true");
      await loadCases(false);
      s.body.removeAttribute("aria-busy");
    });
    s.list = el("ul", { class: "cases" });
    s.status = el("p", { class: "muted", role: "status" });
    s.more = el("button", { type: "button", class: "secondary", hidden: true, text: t("showMore"), on: { click: () => loadCases(true) } });
    s.submissions = el("div", { class: "submissions" });
    s.apply = el("div", { class: "apply" });
    setBody("documents", filter, s.list, s.status, s.more,
      el("h3", { id: "submissions-h", text: t("submissions") }), s.submissions,
      el("h3", { id: "apply-h", text: t("newApplication") }), s.apply);
  }

  async function loadCases(append) {
    const variables = { filter: state.caseFilter, first: CASES_PER_PAGE, after: append ? state.casesCursor : null };
    try {
      const result = await gql("MinSideCases", variables);
      renderCases(result.data && result.data.viewer.cases, append);
      if (!(result.data && result.data.viewer.cases)) noteSourceError(result);
    } catch (e) {
      renderCases(null, false);
    }
  }

  function noteSourceError(result) {
    const e = (result.errors || []).find((x) => x.extensions && x.extensions.source);
    if (e) gql("MinSideSources", {})
      .then((r) => r.data && renderSources(r.data.viewer.sources)).catch(() => {});
  }

  function caseItem(c) {
    const hid = uid("case");
    const documents = c.documents === null ? el("p", { class: "muted", text: t("unavailable") })
      : c.documents.length ? el("ul", { class: "documents" }, c.documents.map(documentItem)) : el("p", { class: "muted", text: t("noDocuments") });
    return el("li", { class: "card case", "aria-labelledby": hid },
      el("h3", { id: hid, tabindex: "-1", text: c.title }),
      dl([
        [t("caseNo", { n: "" }).trim(), c.caseNumber],
        [t("caseStatus"), el("span", { class: `badge ${c.closedAt ? "done" : "open"}`, text: c.statusLabel })],
        [t("filterKind"), c.kindLabel],
        [t("opened"), day(c.openedAt)],
        [t("closed"), c.closedAt ? day(c.closedAt) : null],
        [t("decision"), c.decision ? `${c.decision.title} (${day(c.decision.date)})` : c.closedAt ? null : t("noDecision")],
      ]),
      el("details", {}, el("summary", {}, `${t("documentsOf")} (${c.documents ? c.documents.length : "–"})`), documents));
  }

  function documentItem(d) {
    return el("li", {},
      el("p", {}, el("strong", { text: d.title }), ` – ${[d.directionLabel, day(d.date), d.isDecision ? t("decision") : null].filter(Boolean).join(", ")}`),
      d.files.length ? el("ul", { class: "files" }, d.files.map((f) => el("li", {},
        el("a", { href: safeUrl(f.downloadUrl), download: f.name, text: f.name }),
        f.size ? ` (${fileSize(f.size)})` : ""))) : null);
  }

  const fileSize = (bytes) => (bytes >= 1048576 ? `${number(bytes / 1048576, 1)} MB` : `${number(Math.max(1, bytes / 1024), 0)} kB`);

  // Pending items and receipts (what the citizen sent from Min side).
  function renderSubmissions(list) {
    const s = sections.documents;
    if (!s.list) buildDocumentsBody();
    if (list === null || list === undefined) return s.submissions.replaceChildren(el("p", { class: "muted", text: t("unavailable") }));
    if (!list.length) return s.submissions.replaceChildren(el("p", { text: t("noSubmissions") }));
    s.submissions.replaceChildren(el("ul", { class: "receipts" }, list.map((r) => el("li", { class: `receipt-item ${r.status.toLowerCase()}` },
      el("p", {}, el("strong", { text: r.title || `${r.kindLabel} ${r.meterNumber || ""}`.trim() }), " ",
        el("span", { class: `badge ${r.status === "DELIVERED" ? "done" : r.status === "REJECTED" ? "rejected" : "open"}`, text: r.statusLabel })),
      el("p", { class: "muted" }, [
        r.reading ? `${number(r.reading.value)} m³, ${day(r.reading.readOn)}` : null,
        t("submitted", { time: time(r.submittedAt) }),
        r.caseNumber ? t("caseNo", { n: r.caseNumber }) : null,
        `${t("receipt", { id: r.receiptId, status: "" }).replace(/:\s*\.$/, "")}`,
      ].filter(Boolean).join(" · ")),
      r.rejectionReason ? el("p", { class: "error-text", text: r.rejectionReason }) : null))));
  }

  async function refreshSubmissions() {
    try {
      const result = await gql("MinSideSubmissions", {});
      renderSubmissions(result.data && result.data.viewer.submissions);
    } catch (e) { /* the receipt is already shown */ }
  }

  // --- submit an application ----------------------------------------------------------------
  function renderApplications(types) {
    const s = sections.documents;
    if (!s.list) buildDocumentsBody();
    state.applicationTypes = types || [];
    const choose = el("select", { name: "typeCode", id: "application-type" }, el("option", { value: "", text: t("chooseType") }),
      state.applicationTypes.map((a) => el("option", { value: a.code, text: a.name })));
    const holder = el("div", {});
    choose.addEventListener("change", () => {
      const type = state.applicationTypes.find((a) => a.code === choose.value);
      holder.replaceChildren(type ? applicationForm(type) : "");
    });
    s.apply.replaceChildren(field(t("applicationType"), choose), holder);
  }

  function propertyOptions(select) {
    const chosen = select.value;
    select.replaceChildren(el("option", { value: "", text: t("chooseType") }),
      (state.properties || []).map((p) => el("option", { value: p.id, text: p.address ? `${p.address.text} (${p.matrikkelnummer.text})` : p.matrikkelnummer.text })));
    select.value = chosen;
  }

  function refreshApplicationProperties() {
    document.querySelectorAll("select[name=propertyId]").forEach(propertyOptions);
  }

  function applicationForm(type) {
    const controls = {};
    const parts = [el("p", { class: "muted", text: type.description })];
    if (type.minimumLevelOfAssurance === "HIGH" && state.levelOfAssurance !== "HIGH") {
      // The API would refuse it (INSUFFICIENT_LEVEL_OF_ASSURANCE): offer the step-up first.
      const back = `/?lang=${lang}#documents`;
      parts.push(el("p", { class: "warning" }, t("needsHigh"), " ",
        el("a", { href: `/auth/login?acr=idporten-loa-high&return_to=${encodeURIComponent(back)}&ui_locales=${lang}`, text: t("loginHigh") })));
    }
    let propertySelect = null;
    if (type.propertyRequired) {
      propertySelect = el("select", { name: "propertyId", required: true });
      propertyOptions(propertySelect);
      parts.push(field(t("property"), propertySelect, { required: true }));
    }
    for (const f of type.fields) {
      let control;
      if (f.type === "CHOICE") control = el("select", { name: `fields.${f.key}` }, el("option", { value: "", text: t("chooseType") }), f.options.map((o) => el("option", { value: o.value, text: o.label })));
      else if (f.type === "BOOLEAN") control = el("input", { type: "checkbox", name: `fields.${f.key}`, value: "true" });
      else if (f.type === "DATE") control = el("input", { type: "date", name: `fields.${f.key}` });
      else if (f.type === "NUMBER") control = el("input", { type: "text", inputmode: "decimal", name: `fields.${f.key}` });
      else if (f.maxLength > 200) control = el("textarea", { name: `fields.${f.key}`, rows: "3", maxlength: f.maxLength });
      else control = el("input", { type: "text", name: `fields.${f.key}`, maxlength: f.maxLength });
      if (f.required) control.setAttribute("aria-required", "true");
      controls[`fields.${f.key}`] = control;
      parts.push(f.type === "BOOLEAN" ? checkboxField(f.label, control) : field(f.label, control, { required: f.required }));
    }
    for (const a of type.attachments) {
      const control = el("input", { type: "file", name: `files.${a.key}`, accept: a.contentTypes.join(","), multiple: a.maxFiles > 1 });
      if (a.required) control.setAttribute("aria-required", "true");
      controls[`files.${a.key}`] = control;
      parts.push(field(t("attachment", { label: a.label }), control, { required: a.required,
        hint: t("allowed", { types: a.contentTypes.map((c) => c.split("/")[1].toUpperCase()).join(", "), mb: number(a.maxBytes / 1048576, 1) }) }));
    }
    const button = el("button", { type: "submit", text: t("send") });
    const form = el("form", { class: "application-form", novalidate: true, "aria-label": type.name }, parts, button);
    let attempt = null;
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (form.hasAttribute("aria-busy")) return; // one at a time
      const fields = type.fields.map((f) => {
        const c = controls[`fields.${f.key}`];
        return { key: f.key, value: f.type === "BOOLEAN" ? (c.checked ? "true" : "false") : c.value.trim() };
      }).filter((f) => f.value !== "");
      const files = [];
      const fileInputs = [];
      for (const a of type.attachments) for (const file of controls[`files.${a.key}`].files) {
        files.push({ attachment: a.key, file });
        fileInputs.push(controls[`files.${a.key}`]);
      }
      const input = { typeCode: type.code, fields, propertyId: propertySelect ? propertySelect.value || null : null,
        files: files.map((f) => ({ attachment: f.attachment, file: null })) };
      const signature = JSON.stringify([input, files.map((f) => [f.file.name, f.file.size, f.file.lastModified])]);
      if (!attempt || attempt.signature !== signature) attempt = { signature, key: newKey() };
      input.idempotencyKey = attempt.key;
      button.setAttribute("aria-disabled", "true"); // not disabled: that would drop the focus
      button.textContent = t("sending");
      form.setAttribute("aria-busy", "true");
      try {
        const result = await upload("MinSideSubmitApplication", { input }, files.map((f, i) => ({ path: `variables.input.files.${i}.file`, file: f.file })));
        const answer = result.data && result.data.submitApplication;
        if (!answer) return showErrors(form, [{ field: "", message: (result.errors && result.errors[0] && result.errors[0].message) || t("failed") }], () => null);
        if (answer.__typename === "SubmitApplicationErrors") {
          attempt = null;
          return showErrors(form, answer.errors, (name) => {
            if (controls[name]) return controls[name];
            const index = /^files\.(\d+)/.exec(name);
            if (index) return fileInputs[Number(index[1])];
            if (name === "propertyId") return propertySelect;
            return null;
          });
        }
        clearErrors(form);
        receiptBox(form, [t("receipt", { id: answer.receiptId, status: answer.statusLabel }),
          answer.caseNumber ? ` ${t("caseNo", { n: answer.caseNumber })}.` : "", answer.rejectionReason ? ` ${answer.rejectionReason}` : ""].join(""));
        attempt = null;
        refreshSubmissions();
      } catch (e) {
        showErrors(form, [{ field: "", message: t("failed") }], () => null);
      } finally {
        form.removeAttribute("aria-busy");
        button.removeAttribute("aria-disabled");
        button.textContent = t("send");
      }
    });
    return form;
  }

  function checkboxField(label, control) {
    control.id = uid("f");
    return el("div", { class: "field check", "data-field": control.name }, el("p", { class: "error", id: `${control.id}-error`, hidden: true }),
      control, el("label", { for: control.id, text: label }));
  }

  // --- Mine faktura -------------------------------------------------------------------------
  function renderInvoices(unpaid, paid) {
    if (!unpaid && !paid) return unavailable("invoices");
    const block = (title, connection, empty) => {
      const id = uid("inv");
      return el("div", { class: "invoice-group" }, el("h3", { id, text: title }),
        !connection ? el("p", { class: "muted", text: t("unavailable") })
          : connection.nodes.length ? el("ul", { class: "invoices", "aria-labelledby": id }, connection.nodes.map(invoiceItem))
            : el("p", { text: empty }));
    };
    setBody("invoices", block(t("unpaid"), unpaid, t("noUnpaid")), block(t("paid"), paid, t("noPaid")));
  }

  function invoiceItem(inv) {
    const hid = uid("invoice");
    return el("li", { class: `card invoice ${inv.paid ? "is-paid" : "is-unpaid"}`, "aria-labelledby": hid },
      el("h4", { id: hid, text: inv.title }),
      dl([
        [t("invoiceNo"), inv.invoiceNumber],
        [t("caseStatus"), el("span", { class: `badge ${inv.paid ? "done" : "due"}`, text: inv.statusLabel })],
        [t("dueOn"), day(inv.dueOn)],
        [inv.paid ? t("amount") : t("toPay"), el("strong", { text: money(inv.paid ? inv.total : inv.outstanding) })],
        [t("kid"), inv.paid ? null : inv.kid],
        [t("account"), inv.paid ? null : account(inv.accountNumber)],
        [t("matrikkel"), inv.matrikkelnummer],
      ]),
      el("p", {}, el("a", { class: "pdf", href: safeUrl(inv.pdfUrl), download: `faktura-${inv.invoiceNumber}.pdf`, "aria-label": t("pdfOf", { n: inv.invoiceNumber }), text: t("pdf") })));
  }

  // --- Andre tjenester ----------------------------------------------------------------------
  function servicesList(services) {
    return el("ul", { class: "services" }, services.map((s) => {
      let host = "";
      try { host = new URL(s.url).host; } catch (e) { host = ""; }
      return el("li", { class: "card" }, el("h3", {}, el("a", { href: safeUrl(s.url), rel: "external noopener", text: s.name })),
        el("p", { text: s.description }), host ? el("p", { class: "muted", text: t("externalLink", { host }) }) : null);
    }));
  }

  // --- start ----------------------------------------------------------------------------------
  const codeOf = (result) => (result && result.errors || []).map((e) => e.extensions && e.extensions.code).filter(Boolean);

  // A request refused as a whole (rate limited, or anything but "not logged in"): say so, and
  // never show the logged-out page to a citizen who is logged in.
  function renderFailure(result) {
    const limited = (result && result.errors || []).find((e) => e.extensions && e.extensions.code === "RATE_LIMITED");
    const text = limited ? t("rateLimited", { s: limited.extensions.retryAfter || 60 }) : t("failed");
    const main = document.getElementById("main");
    const old = main.querySelector(":scope > .error-text");
    if (old) old.remove();
    main.append(el("p", { class: "error-text", role: "alert", text }));
    const loading = main.querySelector(":scope > p[role=status]");
    if (loading) loading.remove();
    document.body.dataset.loaded = "true";
  }

  async function start() {
    // Who is here first (cost 5): a logged-out visit must not send, and pay for, the dashboard.
    let who = null;
    try {
      who = await gql("MinSideViewer", {});
    } catch (e) {
      console.error(e); // eslint-disable-line no-console
    }
    if (who && who.data && who.data.viewer) return startDashboard();
    if (codeOf(who).includes("UNAUTHENTICATED")) return renderLoggedOut();
    renderFailure(who);
  }

  async function startDashboard() {
    let framed = false;
    let failed = null;
    const update = (result) => {
      const data = result.data;
      if (!data || !data.viewer) {
        if (!framed && !failed && (result.errors || []).length) failed = result;
        return;
      }
      const v = data.viewer;
      if (!framed) {
        framed = true;
        state.levelOfAssurance = v.levelOfAssurance;
        renderFrame(v.name ? v.name.fullName : "");
      }
      const r = state.rendered;
      if (!r.cases && "cases" in v) { r.cases = true; renderCases(v.cases, false); }
      if (!r.submissions && "submissions" in v) { r.submissions = true; renderSubmissions(v.submissions); }
      if (!r.applications && data.applicationTypes) { r.applications = true; renderApplications(data.applicationTypes); }
      if (!r.invoices && "unpaid" in v) { r.invoices = true; renderInvoices(v.unpaid, v.paid); }
      if (!r.services && data.externalServices) { r.services = true; setBody("services", servicesList(data.externalServices)); }
      if (!r.properties && "properties" in v) { r.properties = true; renderProperties(v.properties); }
      if (!r.sources && v.sources) { r.sources = true; renderSources(v.sources); }
    };
    try {
      const result = await gql("MinSide", { casesFirst: CASES_PER_PAGE }, update);
      if (framed) {
        document.body.dataset.loaded = "true";
        if (!state.rendered.properties) renderProperties(null);
      } else if (codeOf(failed || result).includes("UNAUTHENTICATED")) {
        renderLoggedOut(); // the session ended between the two requests
      } else renderFailure(failed || result);
    } catch (e) {
      console.error(e); // eslint-disable-line no-console
      renderFailure(null);
    }
  }

  start();
})();

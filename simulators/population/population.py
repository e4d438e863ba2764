"""The one synthetic population behind all four simulators.

Lazy and deterministic: nothing is generated up front; each record is generated on first use
from (seed, kind, index, slot) and cached. Ids encode (index, slot), so every lookup decodes
its key instead of scanning. Mutations (new readings, new cases/documents/decisions, paid
invoices) live in overlays on top of the generated data, which :meth:`Population.reset` drops.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from typing import Generic, TypeVar

from simulators.population import cases as case_gen
from simulators.population import documented, ids, pdf
from simulators.population.checkdigits import is_valid_pid
from simulators.population.errors import InvalidInputError, NotFoundError
from simulators.population.identity import MAX_PEOPLE, decode_pid, encode_pid, gender_of
from simulators.population.invoices import generate_invoice, is_overdue
from simulators.population.models import (
    CASE_STATUS_CLOSED,
    CASE_STATUS_OPEN,
    Address,
    Building,
    Case,
    CaseKind,
    DocFile,
    Document,
    DocumentDirection,
    FeeLine,
    Invoice,
    InvoiceStatus,
    Meter,
    NewFile,
    Ownership,
    Person,
    Property,
    Reading,
    TaxBasis,
)
from simulators.population.names import pick_name
from simulators.population.profiles import Profile, profile_of, rng_for
from simulators.population.properties import HOME_KOMMUNE, PropertyBundle, generate_property

K = TypeVar("K")
V = TypeVar("V")

_CACHE_SIZE = 50_000


class _Lru(Generic[K, V]):
    """A bounded memo: a benchmark walking 100k people must not keep them all in memory."""

    def __init__(self, capacity: int = _CACHE_SIZE) -> None:
        self._items: OrderedDict[K, V] = OrderedDict()
        self._capacity = capacity

    def get(self, key: K, make: Callable[[], V]) -> V:
        try:
            self._items.move_to_end(key)
            return self._items[key]
        except KeyError:
            value = make()
            self._items[key] = value
            if len(self._items) > self._capacity:
                self._items.popitem(last=False)
            return value


class Population:
    """Deterministic synthetic citizens with their properties, cases and invoices.

    ``today`` fixes the clock (tests); by default it is the real date. Generated dates are
    anchored on the clock's date at construction; "overdue" is judged against :attr:`today`.
    """

    def __init__(self, seed: int = 2026, size: int = 1000, today: date | None = None) -> None:
        if not documented.MIN_POPULATION_SIZE <= size <= MAX_PEOPLE:
            raise ValueError(
                f"population size must be {documented.MIN_POPULATION_SIZE}..{MAX_PEOPLE}"
            )
        self.seed = seed
        self.size = size
        self._fixed_today = today
        self.anchor = today or date.today()
        self._people: _Lru[int, Person] = _Lru()
        self._profiles: _Lru[int, Profile] = _Lru()
        self._properties: _Lru[tuple[int, int], PropertyBundle] = _Lru()
        self._cases: _Lru[tuple[int, int], Case] = _Lru()
        self._invoices: _Lru[tuple[int, int], Invoice] = _Lru()
        self._pdfs: _Lru[int, bytes] = _Lru(256)
        self._init_overlays()

    def _init_overlays(self) -> None:
        self._new_readings: dict[str, list[Reading]] = {}
        self._case_overrides: dict[str, Case] = {}  # generated or created case, as changed
        self._created_cases: dict[str, list[str]] = {}  # pid -> case numbers, in order
        self._created_documents: dict[int, Document] = {}
        self._created_files: dict[int, DocFile] = {}
        self._paid: dict[str, Invoice] = {}
        self._next_recno = ids.first_free_recno(self.size)
        self._next_case_sequence = self.size * ids.MAX_CASE_SLOTS

    # --- clock ---------------------------------------------------------------------------

    @property
    def today(self) -> date:
        """The simulators' "today": fixed when set, else the real date."""
        return self._fixed_today or date.today()

    @today.setter
    def today(self, value: date | None) -> None:
        self._fixed_today = value

    def reset(self) -> None:
        """Drop every mutation: back to what the seed generates."""
        self._init_overlays()

    # --- people --------------------------------------------------------------------------

    def person(self, index: int) -> Person:
        """Person number `index` (0 <= index < size)."""
        if not 0 <= index < self.size:
            raise IndexError("person index out of range")
        return self._people.get(index, lambda: self._make_person(index))

    def _make_person(self, index: int) -> Person:
        pid, born = encode_pid(index, self.seed)
        gender = gender_of(pid)
        given, family = pick_name(rng_for(self.seed, "name", index), gender)
        return Person(index, pid, given, family, born, gender)

    def person_by_pid(self, pid: str) -> Person | None:
        """The person with this fødselsnummer, decoded without a scan; None if unknown."""
        index = decode_pid(pid, self.seed)
        if index is None or index >= self.size:
            return None
        return self.person(index)

    def _index_of(self, pid: str) -> int | None:
        person = self.person_by_pid(pid)
        return None if person is None else person.index

    def profile(self, index: int) -> Profile:
        """How many properties, cases and invoices person `index` has."""
        return self._profiles.get(index, lambda: profile_of(self.seed, self.size, index))

    # --- Matrikkel -----------------------------------------------------------------------

    def _bundle(self, index: int, slot: int) -> PropertyBundle | None:
        if not 0 <= index < self.size or not 0 <= slot < self.profile(index).own_properties:
            return None
        return self._properties.get(
            (index, slot), lambda: generate_property(self.seed, self.anchor, index, slot)
        )

    def _bundle_by_id(self, matrikkelenhet_id: int) -> PropertyBundle | None:
        key = ids.split_property_id(matrikkelenhet_id)
        return None if key is None else self._bundle(*key)

    def _bundle_by_number(self, matrikkelnummer: str) -> PropertyBundle | None:
        key = ids.split_matrikkelnummer(matrikkelnummer)
        bundle = None if key is None else self._bundle(*key)
        if bundle is None or bundle.property.matrikkelnummer != matrikkelnummer.strip():
            return None
        return bundle

    def properties_of(self, pid: str) -> list[Ownership]:
        """The properties the person owns, with their share (co-owners both see "1/2")."""
        index = self._index_of(pid)
        if index is None:
            return []
        return self._ownerships(index)

    def _ownerships(self, index: int) -> list[Ownership]:
        profile = self.profile(index)
        result: list[Ownership] = []
        if profile.co_owner is not None and index % 2 == 1:
            shared = self._bundle(profile.co_owner, 0)
            if shared is not None:
                result.append(Ownership(shared.property, "1/2"))
        for slot in range(profile.own_properties):
            bundle = self._bundle(index, slot)
            assert bundle is not None
            share = "1/2" if slot == 0 and profile.shares_first_property else "1/1"
            result.append(Ownership(bundle.property, share))
        return result

    def owners_of(self, matrikkelenhet_id: int) -> list[tuple[Person, str]]:
        """(person, share) of everyone owning the property."""
        key = ids.split_property_id(matrikkelenhet_id)
        if key is None or self._bundle(*key) is None:
            return []
        index, slot = key
        profile = self.profile(index)
        if slot == 0 and profile.shares_first_property and profile.co_owner is not None:
            return [(self.person(index), "1/2"), (self.person(profile.co_owner), "1/2")]
        return [(self.person(index), "1/1")]

    def property_by_id(self, matrikkelenhet_id: int) -> Property | None:
        """A property by its Matrikkel id."""
        bundle = self._bundle_by_id(matrikkelenhet_id)
        return None if bundle is None else bundle.property

    def property_by_number(self, matrikkelnummer: str) -> Property | None:
        """A property by its matrikkelnummer (``3030-12/45/0/0``)."""
        bundle = self._bundle_by_number(matrikkelnummer)
        return None if bundle is None else bundle.property

    def buildings_of(self, matrikkelenhet_id: int) -> list[Building]:
        """Buildings standing on the property."""
        bundle = self._bundle_by_id(matrikkelenhet_id)
        return [] if bundle is None else list(bundle.buildings)

    def addresses_of(self, matrikkelenhet_id: int) -> list[Address]:
        """Addresses of the property (bare land has none)."""
        bundle = self._bundle_by_id(matrikkelenhet_id)
        return [] if bundle is None else list(bundle.addresses)

    def building_by_id(self, bygg_id: int) -> Building | None:
        """A building by its Matrikkel id (ByggId)."""
        owner_id, position = ids.split_sub_id(bygg_id)
        found = [b for b in self.buildings_of(owner_id) if b.bygg_id == bygg_id]
        return found[0] if found and position < ids.MAX_OBJECTS_PER_PROPERTY else None

    def address_by_id(self, adresse_id: int) -> Address | None:
        """An address by its Matrikkel id (AdresseId)."""
        owner_id, _ = ids.split_sub_id(adresse_id)
        found = [a for a in self.addresses_of(owner_id) if a.adresse_id == adresse_id]
        return found[0] if found else None

    # --- fee, tax and meter service ----------------------------------------------------------

    def fee_basis(self, matrikkelnummer: str) -> list[FeeLine]:
        """Fee basis lines of a property in Min kommune (empty when none or unknown)."""
        bundle = self._bundle_by_number(matrikkelnummer)
        return [] if bundle is None else list(bundle.fees)

    def tax_basis(self, matrikkelnummer: str) -> TaxBasis | None:
        """Property-tax basis of a property in Min kommune, or None."""
        bundle = self._bundle_by_number(matrikkelnummer)
        return None if bundle is None else bundle.tax

    def meters(self, matrikkelnummer: str) -> list[Meter]:
        """Water meters of the property (replaced ones too), with readings added at run time."""
        bundle = self._bundle_by_number(matrikkelnummer)
        if bundle is None:
            return []
        return [self._with_new_readings(meter) for meter in bundle.meters]

    def meter_by_number(self, meter_number: str) -> Meter | None:
        """A water meter by its number."""
        key = ids.split_meter_number(meter_number)
        if key is None:
            return None
        bundle = self._bundle_by_id(key[0])
        if bundle is None:
            return None
        for meter in bundle.meters:
            if meter.meter_number == meter_number:
                return self._with_new_readings(meter)
        return None

    def _with_new_readings(self, meter: Meter) -> Meter:
        extra = self._new_readings.get(meter.meter_number)
        if not extra:
            return meter
        return dataclasses.replace(meter, readings=meter.readings + tuple(extra))

    def add_reading(self, meter_number: str, reading: Reading) -> None:
        """Register a reading on an active meter. Raises :class:`NotFoundError` for an unknown
        meter, :class:`InvalidInputError` for a replaced meter, a reading dated before the last
        one, a value below the last one, or a date in the future."""
        meter = self.meter_by_number(meter_number)
        if meter is None:
            raise NotFoundError("no such water meter")
        if not meter.is_active:
            raise InvalidInputError("the water meter has been replaced")
        if reading.value_m3 < 0:
            raise InvalidInputError("a reading cannot be negative")
        if reading.read_on > self.today:
            raise InvalidInputError("the reading date is in the future")
        if meter.readings:
            last = meter.readings[-1]
            if reading.read_on < last.read_on:
                raise InvalidInputError("the reading is older than the latest reading")
            if reading.value_m3 < last.value_m3:
                raise InvalidInputError("the reading is lower than the latest reading")
        self._new_readings.setdefault(meter_number, []).append(reading)

    # --- Public 360 ----------------------------------------------------------------------

    def _first_property_number(self, index: int) -> str | None:
        owned = self._ownerships(index)
        return owned[0].property.matrikkelnummer if owned else None

    def _generated_case(self, index: int, slot: int) -> Case | None:
        if not 0 <= index < self.size or not 0 <= slot < self.profile(index).cases:
            return None

        def make() -> Case:
            return case_gen.generate_case(
                self.seed,
                self.anchor,
                index,
                slot,
                self.person(index).pid,
                self._first_property_number(index),
            )

        generated = self._cases.get((index, slot), make)
        return self._case_overrides.get(generated.case_number, generated)

    def cases_of(self, pid: str) -> list[Case]:
        """Cases where the person is a party: generated ones (newest first) then created ones."""
        index = self._index_of(pid)
        generated: list[Case] = []
        if index is not None:
            for slot in range(self.profile(index).cases):
                case = self._generated_case(index, slot)
                assert case is not None
                generated.append(case)
        generated.sort(key=lambda case: (case.opened_on, case.recno), reverse=True)
        created = [self._case_overrides[n] for n in reversed(self._created_cases.get(pid, []))]
        return created + generated

    def case_by_number(self, case_number: str) -> Case | None:
        """A case by its number (``2024/01234``)."""
        if case_number in self._case_overrides:
            return self._case_overrides[case_number]
        parsed = ids.split_case_number(case_number)
        if parsed is None:
            return None
        index, slot = divmod(parsed[1], ids.MAX_CASE_SLOTS)
        case = self._generated_case(index, slot)
        return case if case is not None and case.case_number == case_number.strip() else None

    def case_by_recno(self, recno: int) -> Case | None:
        """A case by its recno."""
        for changed in self._case_overrides.values():
            if changed.recno == recno:
                return changed
        split = ids.split_recno(recno)
        if split is None or split[1] is not None:
            return None
        case = self._generated_case(*divmod(split[0], ids.MAX_CASE_SLOTS))
        return case if case is not None and case.recno == recno else None

    def _generated_document(self, recno: int) -> tuple[Case, Document] | None:
        split = ids.split_recno(recno)
        if split is None or split[1] is None:
            return None
        case = self._generated_case(*divmod(split[0], ids.MAX_CASE_SLOTS))
        if case is None:
            return None
        for document in case.documents:
            if document.recno == ids.document_recno(split[0], split[1]):
                return case, document
        return None

    def document_by_recno(self, recno: int) -> Document | None:
        """A document (journal entry) by its recno."""
        if recno in self._created_documents:
            return self._created_documents[recno]
        found = self._generated_document(recno)
        return None if found is None else found[1]

    def file_by_recno(self, recno: int) -> DocFile | None:
        """A file with its content (a small real PDF)."""
        if recno in self._created_files:
            return self._created_files[recno]
        found = self._generated_document(recno)
        if found is None:
            return None
        case, document = found
        for file in document.files:
            if file.recno == recno:
                data = self._pdfs.get(recno, lambda: self._render(case, document))
                return dataclasses.replace(file, data=data)
        return None

    def _render(self, case: Case, document: Document) -> bytes:
        person = self.person_by_pid(case.party_pid)
        recipient = person.name if person is not None else "Søker"
        return pdf.document_pdf(
            case, document, recipient, case_gen.letter_body(self.seed, case, document)
        )

    def _take_recno(self) -> int:
        recno = self._next_recno
        self._next_recno += 1
        return recno

    def create_case(
        self,
        pid: str,
        title: str,
        kind: CaseKind = CaseKind.APPLICATION,
        *,
        matrikkelnummer: str | None = None,
        responsible_unit: str = "Servicetorget",
        is_unofficial: bool = True,
    ) -> Case:
        """Open a new case with the person as party (numbering continues after the generated
        ones, deterministically from the seed's state)."""
        if not is_valid_pid(pid):
            raise InvalidInputError("the party's identity number is not valid")
        if not title.strip():
            raise InvalidInputError("a case needs a title")
        sequence = self._next_case_sequence
        self._next_case_sequence += 1
        case = Case(
            recno=self._take_recno(),
            case_number=ids.format_case_number(self.today.year, sequence),
            title=title.strip(),
            kind=kind,
            status=CASE_STATUS_OPEN,
            opened_on=self.today,
            closed_on=None,
            documents=(),
            party_pid=pid,
            responsible_unit=responsible_unit,
            matrikkelnummer=matrikkelnummer,
            is_unofficial=is_unofficial,
        )
        self._case_overrides[case.case_number] = case
        self._created_cases.setdefault(pid, []).append(case.case_number)
        return case

    def create_document(
        self,
        case_number: str,
        title: str,
        *,
        direction: DocumentDirection = DocumentDirection.INCOMING,
        files: Sequence[NewFile | tuple[str, str, bytes]] = (),
        document_date: date | None = None,
        is_decision: bool = False,
    ) -> Document:
        """Add a journal entry to a case; `files` are objects with ``title``, ``format`` and
        ``data`` (e.g. :class:`NewFile`) or (name, format, bytes) tuples."""
        case = self.case_by_number(case_number)
        if case is None:
            raise NotFoundError("no such case")
        if not title.strip():
            raise InvalidInputError("a document needs a title")
        recno = self._take_recno()
        doc_files = []
        for spec in files:
            name, file_format, data = (
                spec if isinstance(spec, tuple) else (spec.title, spec.format, spec.data)
            )
            if not name.lower().endswith(f".{file_format.lower()}"):
                name = f"{name}.{file_format.lower()}"
            file = DocFile(
                self._take_recno(),
                recno,
                name,
                file_format.lower(),
                _content_type(file_format),
                data,
            )
            self._created_files[file.recno] = file
            doc_files.append(dataclasses.replace(file, data=None))
        document = Document(
            recno=recno,
            document_number=f"{case.case_number}-{len(case.documents) + 1}",
            case_number=case.case_number,
            title=title.strip(),
            direction=direction,
            document_date=document_date or self.today,
            is_decision=is_decision,
            files=tuple(doc_files),
        )
        self._created_documents[recno] = document
        self._case_overrides[case.case_number] = dataclasses.replace(
            case, documents=(*case.documents, document)
        )
        return document

    def add_decision(
        self,
        case_number: str,
        title: str | None = None,
        *,
        outcome: str | None = None,
        text: str | None = None,
        close_case: bool = True,
    ) -> Document:
        """What a case officer does: journal an outgoing decision (vedtak) with a PDF letter
        and, by default, close the case. `outcome` (e.g. "innvilget", "avslått") goes into the
        letter; `text` replaces the letter's body entirely."""
        case = self.case_by_number(case_number)
        if case is None:
            raise NotFoundError("no such case")
        decision_title = title or f"Vedtak: {case.title}"
        draft = Document(
            0,
            f"{case.case_number}-{len(case.documents) + 1}",
            case.case_number,
            decision_title,
            DocumentDirection.OUTGOING,
            self.today,
            True,
            (),
        )
        person = self.person_by_pid(case.party_pid)
        body = (
            [text]
            if text
            else [
                f"Kommunen har behandlet saken '{case.title}'.",
                f"Søknaden er {outcome or 'innvilget'}.",
                "Vedtaket kan påklages innen tre uker, jf. forvaltningsloven § 29.",
            ]
        )
        letter = pdf.document_pdf(case, draft, person.name if person else "Søker", body)
        document = self.create_document(
            case.case_number,
            decision_title,
            direction=DocumentDirection.OUTGOING,
            files=[NewFile(decision_title.replace(":", " -"), "pdf", letter)],
            is_decision=True,
        )
        if close_case:
            changed = self._case_overrides[case.case_number]
            self._case_overrides[case.case_number] = dataclasses.replace(
                changed, status=CASE_STATUS_CLOSED, closed_on=self.today
            )
        return document

    # --- Visma ---------------------------------------------------------------------------

    def _fee_source(self, index: int) -> tuple[str, Sequence[FeeLine], TaxBasis | None] | None:
        for owned in self._ownerships(index):
            if owned.property.kommunenummer == HOME_KOMMUNE:
                number = owned.property.matrikkelnummer
                return number, self.fee_basis(number), self.tax_basis(number)
        return None

    def _generated_invoice(self, index: int, slot: int) -> Invoice | None:
        if not 0 <= index < self.size or not 0 <= slot < self.profile(index).invoices:
            return None

        def make() -> Invoice:
            person = self.person(index)
            return generate_invoice(
                self.seed,
                self.anchor,
                index,
                slot,
                person.pid,
                person.name,
                self._fee_source(index),
            )

        invoice = self._paid.get(ids.invoice_number(index, slot)) or self._invoices.get(
            (index, slot), make
        )
        return dataclasses.replace(invoice, overdue=is_overdue(invoice, self.today))

    def invoices_of(self, pid: str) -> list[Invoice]:
        """The person's invoices, newest first."""
        index = self._index_of(pid)
        if index is None:
            return []
        result = []
        for slot in range(self.profile(index).invoices):
            invoice = self._generated_invoice(index, slot)
            assert invoice is not None
            result.append(invoice)
        return sorted(result, key=lambda inv: (inv.issued_on, inv.invoice_number), reverse=True)

    def invoice_by_number(self, number: str) -> Invoice | None:
        """An invoice by its fakturanummer."""
        key = ids.split_invoice_number(number)
        return None if key is None else self._generated_invoice(*key)

    def mark_paid(self, number: str) -> Invoice:
        """What the ERP does when a payment arrives: pay the outstanding amount in full."""
        invoice = self.invoice_by_number(number)
        if invoice is None:
            raise NotFoundError("no such invoice")
        if invoice.status == InvoiceStatus.KREDITERT:
            raise InvalidInputError("a credited invoice cannot be paid")
        paid = dataclasses.replace(
            invoice,
            status=InvoiceStatus.BETALT,
            paid_amount=invoice.paid_amount + invoice.outstanding,
            outstanding=Decimal("0.00"),
            paid_on=self.today,
            sent_to_external=False,
            description=None,
            overdue=False,
        )
        self._paid[number] = paid
        return paid

    def invoice_pdf(self, number: str) -> bytes:
        """The invoice as a PDF."""
        invoice = self.invoice_by_number(number)
        if invoice is None:
            raise NotFoundError("no such invoice")
        return pdf.invoice_pdf(invoice)

    # --- documentation -------------------------------------------------------------------

    def documented_persons(self) -> list[dict[str, object]]:
        """The documented test persons with pid, name, role and what they have."""
        result: list[dict[str, object]] = []
        for entry in documented.DOCUMENTED:
            person = self.person(entry.index)
            owned = self.properties_of(person.pid)
            meters = sum(len(self.meters(o.property.matrikkelnummer)) for o in owned)
            result.append(
                {
                    "index": entry.index,
                    "key": entry.key,
                    "pid": person.pid,
                    "name": person.name,
                    "role": entry.role,
                    "counts": {
                        "properties": len(owned),
                        "cases": len(self.cases_of(person.pid)),
                        "invoices": len(self.invoices_of(person.pid)),
                        "meters": meters,
                    },
                }
            )
        return result


def _content_type(file_format: str) -> str:
    return {
        "pdf": "application/pdf",
        "png": "image/png",
        "jpg": "image/jpeg",
        "jpeg": "image/jpeg",
        "txt": "text/plain",
        "xml": "application/xml",
    }.get(file_format.lower(), "application/octet-stream")

"""``submitMeterReading``: check a citizen's water-meter reading, then accept it into the outbox.

Order (every problem of a step is reported together, and nothing is written before the end):

1. the input's form: idempotency key, meter id, number format and range (``≥ 0``, at most six
   integer digits and three decimals; ASCII digits only, ``,`` or ``.`` as the decimal sign),
   comment length,
   date not in the future (Europe/Oslo);
2. a replay: the same key with the same input answers the stored receipt (without checking
   again: the first reading is now the last one), with another input a ``CONFLICT``;
3. against the register (through the property domain's loaders): the meter is on one of the
   viewer's properties and in use, the date is not before its last reading (of two on one
   day, the later registered, as the register takes it), the value not below it (a replaced
   meter's successor starts from its own installation reading, so a lower counter after a
   replacement is fine), and the consumption since the last reading is
   plausible: at most ``meter_unusual_factor`` × the previous year's consumption, pro rata to
   the days since the last reading (at least one year), unless ``confirmUnusual``;
4. accept (durable), wake the worker, wait briefly for delivery.

Steps 2 and 4 are every submission's: :func:`resolvers.submission.submit.replay_or_accept`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final
from zoneinfo import ZoneInfo

from auth.viewer import Viewer
from connectors.fees.models import Meter
from delivery.payloads import MeterReadingPayload
from kernel.errors import SubmissionErrorCode
from resolvers.context import Context
from resolvers.errors import SourceError
from resolvers.property.consumption import last_reading, meter_chain, yearly_consumption
from resolvers.property.properties import OwnedMeter, own_meter
from resolvers.submission.invalidation import forget_meter_property
from resolvers.submission.numbers import number_format_hint, parse_decimal
from resolvers.submission.problems import Problems
from resolvers.submission.submit import (
    Outcome,
    check_key,
    has_lone_surrogate,
    replay_or_accept,
)
from stores.outbox import OutboxKind

__all__ = [
    "MeterReadingInput",
    "oslo_today",
    "parse_reading_value",
    "submit_meter_reading",
]

OSLO: Final = ZoneInfo("Europe/Oslo")
MAX_COMMENT_LENGTH: Final = 500  # what the register stores
MAX_INTEGER_DIGITS: Final = 6
MAX_DECIMALS: Final = 3
_DAYS_PER_YEAR: Final = Decimal(365)


@dataclass(frozen=True)
class MeterReadingInput:
    """The mutation's input, with the meter id already decoded (None: not a WaterMeter id)."""

    meter_number: str | None
    value: str
    read_on: date
    comment: str | None
    confirm_unusual: bool
    idempotency_key: str


def oslo_today() -> date:
    """Today in Norway (a reading "today" just after midnight must not be "in the future")."""
    return datetime.now(OSLO).date()


def parse_reading_value(text: str) -> tuple[Decimal | None, SubmissionErrorCode | None]:
    """A meter counter from the citizen's text: the value, or the reason it is refused.

    ASCII digits only (:func:`resolvers.submission.numbers.parse_decimal`): ``"２１５０"`` is
    an INVALID_FORMAT, not 2150."""
    parsed = parse_decimal(text.strip())
    if parsed is None:
        return None, SubmissionErrorCode.INVALID_FORMAT
    # Leading zeros of the integer part and trailing zeros of the decimals carry no digits.
    too_precise = (
        len(parsed.integer_digits.lstrip("0")) > MAX_INTEGER_DIGITS
        or len(parsed.decimal_digits.rstrip("0")) > MAX_DECIMALS
    )
    if parsed.value < 0 or too_precise:
        return None, SubmissionErrorCode.OUT_OF_RANGE
    return parsed.value, None


def _normalized(value: Decimal) -> str:
    # "12,50", "12.5" and "012.500" are the same reading (and the same fingerprint).
    return format(value.normalize(), "f")


async def submit_meter_reading(
    context: Context, viewer: Viewer, data: MeterReadingInput
) -> Outcome:
    """Validate, replay or accept a reading (see the module docstring)."""
    problems = Problems(context.language)
    check_key(data.idempotency_key, problems)
    if data.meter_number is None:
        problems.add("meterId", SubmissionErrorCode.NOT_FOUND)
    value, value_error = parse_reading_value(data.value)
    if value_error is SubmissionErrorCode.INVALID_FORMAT:
        problems.add("value", value_error, number_format_hint(problems.language))
    elif value_error is not None:
        problems.add("value", value_error, "0–999999.999, max 3 decimals")
    comment = (data.comment or "").strip() or None
    if comment is not None and has_lone_surrogate(comment):
        problems.add("comment", SubmissionErrorCode.INVALID_FORMAT)
    elif comment is not None and len(comment) > MAX_COMMENT_LENGTH:
        problems.add("comment", SubmissionErrorCode.TOO_LONG, f"max {MAX_COMMENT_LENGTH}")
    if data.read_on > oslo_today():
        problems.add("readOn", SubmissionErrorCode.DATE_IN_FUTURE)
    if problems or value is None or data.meter_number is None:
        return Outcome.refused(problems)

    meter_number = data.meter_number
    on_property: list[str] = []  # the meter's matrikkelnummer, once the register check found it

    async def prepare() -> dict[str, Any] | None:
        found = await _check_against_register(context, viewer, data, meter_number, value, problems)
        if found is not None:
            on_property.append(str(found.owned.property.matrikkelnummer))
        if problems:
            return None
        return MeterReadingPayload(meter_number, value, data.read_on, comment).to_json()

    normalized_input = {
        "meter_number": meter_number,
        "value": _normalized(value),
        "read_on": data.read_on.isoformat(),
        "comment": comment,
    }
    outcome = await replay_or_accept(
        context,
        viewer,
        OutboxKind.METER_READING,
        data.idempotency_key,
        normalized_input,
        problems,
        prepare,
    )
    if outcome.record is not None and on_property:
        await forget_meter_property(context, viewer, on_property[0])
    return outcome


async def _check_against_register(
    context: Context,
    viewer: Viewer,
    data: MeterReadingInput,
    meter_number: str,
    value: Decimal,
    problems: Problems,
) -> OwnedMeter | None:
    """The viewer's meter `meter_number` (None: not theirs, or not checkable), adding the
    problems the reading has against the register."""
    try:
        found = await own_meter(context, viewer, meter_number)
    except SourceError:
        # Ownership cannot be checked: refuse now (nothing accepted) rather than accept blind.
        problems.add("meterId", SubmissionErrorCode.SOURCE_UNAVAILABLE)
        return None
    if found is None:
        problems.add("meterId", SubmissionErrorCode.NOT_FOUND)
        return None
    meter = found.meter
    if not meter.is_active:
        replaced = meter.replaced_on.isoformat() if meter.replaced_on else None
        problems.add("meterId", SubmissionErrorCode.METER_REPLACED, replaced)
        return found
    # Of two readings on the last day, the one the register checks against: the later.
    last = last_reading(meter.readings)
    if data.read_on < meter.installed_on:
        problems.add(
            "readOn",
            SubmissionErrorCode.DATE_BEFORE_LAST_READING,
            f"installed {meter.installed_on.isoformat()}",
        )
    elif last is not None and data.read_on < last.read_on:
        problems.add(
            "readOn", SubmissionErrorCode.DATE_BEFORE_LAST_READING, last.read_on.isoformat()
        )
    if last is None:
        return found
    if value < last.value_m3:
        problems.add("value", SubmissionErrorCode.VALUE_BELOW_LAST_READING, f"{last.value_m3} m³")
        return found
    if data.confirm_unusual or problems.has("readOn"):
        return found
    allowed = _allowed_consumption(context, meter, found.siblings, last.read_on, data.read_on)
    if value - last.value_m3 > allowed:
        problems.add(
            "value", SubmissionErrorCode.UNUSUAL_CONSUMPTION, f"> {allowed.quantize(Decimal(1))} m³"
        )
    return found


def _allowed_consumption(
    context: Context,
    meter: Meter,
    siblings: tuple[Meter, ...],
    last_read_on: date,
    read_on: date,
) -> Decimal:
    """Most water plausibly used between the last reading and ``read_on`` (m³)."""
    figures = yearly_consumption(meter_chain(meter, siblings), 1)
    annual = figures[0].consumption_m3 if figures else Decimal(0)
    if annual <= 0:
        # No complete year (new meter) or a year without use (an empty cabin): a sane default.
        annual = Decimal(str(context.services.settings.meter_default_annual_m3))
    years = max(Decimal(1), Decimal((read_on - last_read_on).days) / _DAYS_PER_YEAR)
    return Decimal(str(context.services.settings.meter_unusual_factor)) * annual * years

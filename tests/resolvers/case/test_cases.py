"""The case list's pure parts: criteria, newest-first order, closing date, decision choice."""

from __future__ import annotations

from datetime import date

from connectors.p360.models import (
    Case,
    CaseKind,
    CaseStatus,
    Document,
    DocumentDirection,
)
from resolvers.case.cases import CaseCriteria, closed_on, decision_of, newest_first


def case(
    number: str,
    opened: date | None,
    status: str = "Under behandling",
    kind: CaseKind = CaseKind.OTHER,
) -> Case:
    return Case(
        recno=1,
        case_number=number,
        title="t",
        kind=kind,
        case_type_code=None,
        status=status,
        opened_on=opened,
        responsible_unit=None,
        external_id=None,
    )


def document(
    number: str, day: date | None, *, decision: bool = False, journal: date | None = None
) -> Document:
    return Document(
        recno=1,
        document_number=number,
        case_number=number.rpartition("-")[0],
        title="d",
        direction=DocumentDirection.OUTGOING,
        category_code="U",
        document_date=day,
        journal_date=journal,
        status_code="J",
        is_decision=decision,
        files=(),
    )


def test_newest_first_then_case_number_and_undated_last() -> None:
    cases = [
        case("2023/00002", date(2023, 5, 1)),
        case("2024/00001", None),
        case("2023/00010", date(2023, 5, 1)),
        case("2024/00003", date(2024, 1, 1)),
        case("2024/00002", None),
    ]
    assert [c.case_number for c in newest_first(cases)] == [
        "2024/00003",
        "2023/00010",
        "2023/00002",
        "2024/00002",
        "2024/00001",
    ]


def test_criteria() -> None:
    closed = case("2020/00001", date(2020, 3, 1), "Avsluttet", CaseKind.BUILDING)
    running = case("2021/00001", date(2021, 3, 1), "Under behandling", CaseKind.APPLICATION)
    undated = case("2022/00001", None, "Reservert")
    everything = [closed, running, undated]

    def matching(criteria: CaseCriteria) -> list[Case]:
        return [c for c in everything if criteria.matches(c)]

    assert matching(CaseCriteria()) == everything
    assert matching(CaseCriteria(open=True)) == [running, undated]
    assert matching(CaseCriteria(open=False)) == [closed]
    assert matching(CaseCriteria(kinds=frozenset({CaseKind.BUILDING}))) == [closed]
    assert matching(CaseCriteria(statuses=frozenset({CaseStatus.OPEN}))) == [undated]
    # Dates are inclusive, and an undated case never falls inside a range.
    assert matching(CaseCriteria(opened_from=date(2020, 3, 1))) == [closed, running]
    assert matching(CaseCriteria(opened_to=date(2020, 3, 1))) == [closed]
    assert matching(CaseCriteria(opened_from=date(2020, 3, 2), opened_to=date(2021, 3, 1))) == [
        running
    ]
    assert matching(CaseCriteria(kinds=frozenset(), open=None)) == []


def test_closed_on_is_the_last_entry_of_a_finished_case() -> None:
    docs = [
        document("2020/00001-1", date(2020, 3, 1)),
        document("2020/00001-2", None, journal=date(2020, 5, 2)),
        document("2020/00001-3", date(2020, 4, 1)),
    ]
    assert closed_on(case("2020/00001", date(2020, 3, 1), "Avsluttet"), docs) == date(2020, 5, 2)
    assert closed_on(case("2020/00001", date(2020, 3, 1), "Under behandling"), docs) is None
    assert closed_on(case("2020/00001", date(2020, 3, 1), "Avsluttet"), []) is None


def test_the_decision_is_the_latest_entry_marked_as_one() -> None:
    first = document("2020/00001-2", date(2020, 4, 1), decision=True)
    appeal = document("2020/00001-4", date(2020, 6, 1), decision=True)
    letter = document("2020/00001-5", date(2020, 6, 2))
    assert decision_of([first, appeal, letter]) is appeal
    assert decision_of([letter]) is None

"""viewer.invoices over the real stack: status, labels, money, filters, pagination, payment."""

from __future__ import annotations

import pytest

from simulators.population.models import InvoiceStatus as ErpStatus

OVERDUE_PERSON, HOMEOWNER, RENTER, NOTHING = 4, 1, 8, 0

INVOICES = """
query($filter: InvoiceFilter, $first: Int, $after: String) {
  viewer { invoices(filter: $filter, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node {
      id invoiceNumber title issuedOn dueOn status statusLabel paid kid accountNumber
      matrikkelnummer description
      amount { amount currency } total { amount currency }
      paidAmount { amount currency } outstanding { amount currency }
      lines { description quantity unit unitPrice { amount } amount { amount } vatRate }
    } }
  } }
}
"""


def money(value):
    return format(value, "f")


async def invoices_of(graph, index, variables=None, **kwargs):
    result = await graph.query(INVOICES, variables or {}, pid=graph.pid(index), **kwargs)
    assert "errors" not in result, result
    return result["data"]["viewer"]["invoices"]


async def test_overdue_invoice_with_outstanding_and_labels(graph):
    pid = graph.pid(OVERDUE_PERSON)
    expected = graph.stack.population.invoices_of(pid)
    labels = {}
    for language, header in (("nb", "nb-NO,nb;q=0.9"), ("nn", "nn-NO"), ("en", "en-GB,en")):
        connection = await invoices_of(graph, OVERDUE_PERSON, headers={"Accept-Language": header})
        nodes = [edge["node"] for edge in connection["edges"]]
        overdue = [node for node in nodes if node["status"] == "OVERDUE"]
        assert len(overdue) == 1, nodes
        labels[language] = overdue[0]["statusLabel"]
        notice = [n for n in nodes if n["status"] == "DEBT_COLLECTION_NOTICE"]
        assert len(notice) == 1
    assert labels == {"nb": "Forfalt", "nn": "Forfallen", "en": "Overdue"}

    (invoice,) = overdue
    (source,) = [i for i in expected if i.invoice_number == invoice["invoiceNumber"]]
    assert source.status == ErpStatus.IKKE_BETALT and source.overdue
    assert invoice["paid"] is False
    assert invoice["outstanding"] == {"amount": money(source.outstanding), "currency": "NOK"}
    assert source.outstanding > 0
    assert invoice["dueOn"] == source.due_on.isoformat()
    assert invoice["kid"] == source.kid
    assert invoice["accountNumber"] == source.account_number
    (notice_invoice,) = notice
    (notice_source,) = [i for i in expected if i.invoice_number == notice_invoice["invoiceNumber"]]
    # The reminder fee makes what is owed more than the invoiced amount.
    assert notice_invoice["total"]["amount"] == money(notice_source.total)
    assert notice_invoice["outstanding"]["amount"] == money(notice_source.outstanding)
    assert notice_source.outstanding > notice_source.amount


async def test_every_invoice_matches_the_population_exactly_newest_first(graph):
    for index in (HOMEOWNER, OVERDUE_PERSON, RENTER):
        pid = graph.pid(index)
        expected = graph.stack.population.invoices_of(pid)
        connection = await invoices_of(graph, index)
        assert connection["totalCount"] == len(expected)
        nodes = [edge["node"] for edge in connection["edges"]]
        assert [n["invoiceNumber"] for n in nodes] == [i.invoice_number for i in expected]
        issued = [n["issuedOn"] for n in nodes]
        assert issued == sorted(issued, reverse=True)
        for node, source in zip(nodes, expected, strict=True):
            assert node["amount"] == {"amount": money(source.amount), "currency": "NOK"}
            assert node["paidAmount"]["amount"] == money(source.paid_amount)
            assert node["outstanding"]["amount"] == money(source.outstanding)
            assert node["total"]["amount"] == money(source.total)
            assert node["title"] == source.title
            assert node["issuedOn"] == source.issued_on.isoformat()
            assert node["matrikkelnummer"] == source.matrikkelnummer
            assert node["paid"] is (source.status == ErpStatus.BETALT)
            assert [line["amount"]["amount"] for line in node["lines"]] == [
                money(line.amount) for line in source.lines
            ]
            assert [line["quantity"] for line in node["lines"]] == [
                money(line.quantity) for line in source.lines
            ]


async def test_person_without_invoices_gets_an_empty_connection(graph):
    connection = await invoices_of(graph, NOTHING)
    assert connection["totalCount"] == 0
    assert connection["edges"] == []
    assert connection["pageInfo"] == {
        "hasNextPage": False,
        "hasPreviousPage": False,
        "startCursor": None,
        "endCursor": None,
    }


async def test_status_filters(graph):
    pid = graph.pid(OVERDUE_PERSON)
    expected = graph.stack.population.invoices_of(pid)
    overdue = await invoices_of(graph, OVERDUE_PERSON, {"filter": {"statuses": ["OVERDUE"]}})
    assert [e["node"]["status"] for e in overdue["edges"]] == ["OVERDUE"]
    paid = await invoices_of(graph, OVERDUE_PERSON, {"filter": {"statuses": ["PAID"]}})
    want_paid = [i.invoice_number for i in expected if i.status == ErpStatus.BETALT]
    assert want_paid
    assert [e["node"]["invoiceNumber"] for e in paid["edges"]] == want_paid
    assert paid["totalCount"] == len(want_paid)
    both = await invoices_of(
        graph, OVERDUE_PERSON, {"filter": {"statuses": ["OVERDUE", "DEBT_COLLECTION_NOTICE"]}}
    )
    assert sorted(e["node"]["status"] for e in both["edges"]) == [
        "DEBT_COLLECTION_NOTICE",
        "OVERDUE",
    ]
    unpaid = await invoices_of(graph, OVERDUE_PERSON, {"filter": {"unpaidOnly": True}})
    want_unpaid = [i.invoice_number for i in expected if i.outstanding > 0]
    assert [e["node"]["invoiceNumber"] for e in unpaid["edges"]] == want_unpaid
    assert all(not e["node"]["paid"] for e in unpaid["edges"])
    # All parts of a filter must hold.
    none = await invoices_of(
        graph, OVERDUE_PERSON, {"filter": {"statuses": ["PAID"], "unpaidOnly": True}}
    )
    assert none["totalCount"] == 0


async def test_date_range_filter_is_inclusive(graph):
    pid = graph.pid(OVERDUE_PERSON)
    expected = graph.stack.population.invoices_of(pid)
    middle = expected[len(expected) // 2].issued_on
    newest = expected[0].issued_on
    window = await invoices_of(
        graph,
        OVERDUE_PERSON,
        {"filter": {"issuedFrom": middle.isoformat(), "issuedTo": newest.isoformat()}},
    )
    want = [i.invoice_number for i in expected if middle <= i.issued_on <= newest]
    assert [e["node"]["invoiceNumber"] for e in window["edges"]] == want
    assert 0 < len(want) < len(expected)
    day = await invoices_of(
        graph,
        OVERDUE_PERSON,
        {"filter": {"issuedFrom": middle.isoformat(), "issuedTo": middle.isoformat()}},
    )
    assert {e["node"]["issuedOn"] for e in day["edges"]} == {middle.isoformat()}
    before = await invoices_of(
        graph, OVERDUE_PERSON, {"filter": {"issuedTo": expected[-1].issued_on.isoformat()}}
    )
    assert [e["node"]["invoiceNumber"] for e in before["edges"]] == [
        i.invoice_number for i in expected if i.issued_on <= expected[-1].issued_on
    ]


async def test_reversed_date_range_is_bad_user_input(graph):
    result = await graph.query(
        INVOICES,
        {"filter": {"issuedFrom": "2025-06-01", "issuedTo": "2025-01-01"}},
        pid=graph.pid(OVERDUE_PERSON),
    )
    (error,) = result["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["path"] == ["viewer", "invoices"]
    assert result["data"]["viewer"]["invoices"] is None
    # Refused before anything was fetched.
    assert (await graph.calls("visma")).get("searchInvoices", 0) == 0


async def test_pagination_edges(graph):
    pid = graph.pid(OVERDUE_PERSON)
    numbers = [i.invoice_number for i in graph.stack.population.invoices_of(pid)]
    assert len(numbers) == 5
    seen = []
    after = None
    pages = 0
    while True:
        page = await invoices_of(graph, OVERDUE_PERSON, {"first": 2, "after": after})
        assert page["totalCount"] == 5
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        seen += [e["node"]["invoiceNumber"] for e in page["edges"]]
        pages += 1
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == numbers
    assert pages == 3
    # After the last item: an empty page, not an error.
    last = await invoices_of(graph, OVERDUE_PERSON, {"first": 100, "after": after})
    end = last["pageInfo"]["endCursor"]
    beyond = await invoices_of(graph, OVERDUE_PERSON, {"first": 1, "after": end})
    assert beyond["edges"] == []
    assert beyond["pageInfo"]["hasNextPage"] is False
    zero = await invoices_of(graph, OVERDUE_PERSON, {"first": 0})
    assert zero["edges"] == [] and zero["totalCount"] == 5


async def test_bad_page_arguments(graph):
    for variables in ({"first": 101}, {"first": -1}, {"after": "not-a-cursor"}):
        result = await graph.query(INVOICES, variables, pid=graph.pid(OVERDUE_PERSON))
        (error,) = result["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT", variables
        assert result["data"]["viewer"]["invoices"] is None


@pytest.mark.gateway(cache="off")  # changes a system behind the cache
async def test_marking_paid_in_the_erp_shows_paid_with_nothing_outstanding(graph):
    pid = graph.pid(OVERDUE_PERSON)
    before = await invoices_of(graph, OVERDUE_PERSON, {"filter": {"statuses": ["OVERDUE"]}})
    (node,) = [e["node"] for e in before["edges"]]
    number = node["invoiceNumber"]
    async with graph.http.post(
        f"{graph.stack.urls['visma']}/_admin/invoices/{number}/paid"
    ) as response:
        assert response.status == 200
    after = await invoices_of(graph, OVERDUE_PERSON)
    (paid,) = [e["node"] for e in after["edges"] if e["node"]["invoiceNumber"] == number]
    assert paid["status"] == "PAID"
    assert paid["statusLabel"] == "Betalt"
    assert paid["paid"] is True
    assert paid["outstanding"] == {"amount": "0.00", "currency": "NOK"}
    assert paid["paidAmount"]["amount"] == node["total"]["amount"]
    assert graph.stack.population.invoice_by_number(number).customer_pid == pid
    still_overdue = await invoices_of(graph, OVERDUE_PERSON, {"filter": {"statuses": ["OVERDUE"]}})
    assert still_overdue["totalCount"] == 0

"""A failed back-office batch is remembered for the request: a down system is asked once.

Mutations of one request run one after another, so the second submission's ownership check
starts only after the first one's Matrikkel lookup has failed. Without the loaders' failure
policy (resolvers.loaders) it would ask Matrikkel again.
"""

from __future__ import annotations

from simulators.population import documented
from tests.graph.submission.helpers import homeowner_meter, reading_input

TWO_READINGS = """
mutation($first: SubmitMeterReadingInput!, $second: SubmitMeterReadingInput!) {
  first: submitMeterReading(input: $first) {
    __typename ... on SubmitMeterReadingErrors { errors { field code } }
  }
  second: submitMeterReading(input: $second) {
    __typename ... on SubmitMeterReadingErrors { errors { field code } }
  }
}
"""


async def test_a_down_system_is_asked_once_per_request(graph):
    meter = homeowner_meter(graph)
    await graph.fault("matrikkel", operation="*", outage=True)
    variables = {"first": reading_input(meter, "10"), "second": reading_input(meter, "20")}
    result = await graph.query(TWO_READINGS, variables, pid=graph.pid(documented.HOMEOWNER))

    assert "errors" not in result, result
    for alias in ("first", "second"):
        answer = result["data"][alias]
        assert answer["__typename"] == "SubmitMeterReadingErrors", answer
        assert answer["errors"] == [{"field": "meterId", "code": "SOURCE_UNAVAILABLE"}]
    # Both ownership checks needed the viewer's properties; Matrikkel was asked once.
    assert sum((await graph.calls("matrikkel")).values()) == 1

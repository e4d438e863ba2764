"""``python -m bench.parsing``: CPU per SOAP reply, zeep against lxml, in both directions.

For each documented person asked for (default #1, the homeowner, and #3, 120 cases and 355
documents), every hot call of the dashboard is made in process (:mod:`bench.replies`) and
timed with ``time.process_time`` (CPU of this process only; the median of ``--repeat`` runs):

- **decode**: the reply bytes to the connector's models, by zeep's parser
  (``Parser.ZEEP``, the code before issue 10) and by the lxml readers (``Parser.LXML``,
  what the connectors use now); both include the envelope parse and fault checks;
- **render**: the simulator's handler result to reply bytes, by zeep's serializer (before)
  and by :class:`~simulators.soap_render.PlainRenderer` (now); the handler's own work
  (finding the records in the population) is timed apart;
- **request**: building the request envelope with zeep (before) and from the clients'
  templates (:mod:`connectors.soap_template`, now).

The two readings give equal models (tests/connectors/*/test_read_equivalence.py), so only
CPU is compared here. Run it on an otherwise idle machine; it uses one core.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import aiohttp
from lxml import etree

from bench.replies import MATRIKKEL_BASE, P360_BASE, Exchange, Replies, decoder_for, from_template
from connectors.matrikkel import MatrikkelClient
from connectors.p360 import P360Client
from connectors.resilience import Resilience, ResiliencePolicy
from connectors.soap import Parser
from simulators.population import Population, documented
from simulators.soap import SoapEndpoint


@dataclass(frozen=True)
class Row:
    """CPU milliseconds of one call's reply and request."""

    operation: str
    size: int
    decode_zeep: float
    decode_lxml: float
    handler: float
    render_zeep: float
    render_plain: float
    request: float
    template: float


def cpu_ms(work: Callable[[], object], repeat: int) -> float:
    """Median CPU milliseconds of ``work`` over ``repeat`` runs."""
    samples = []
    for _ in range(repeat):
        start = time.process_time()
        work()
        samples.append((time.process_time() - start) * 1000)
    return statistics.median(samples)


def _handler_call(endpoint: SoapEndpoint, exchange: Exchange) -> tuple[str, Callable[[], Any]]:
    envelope = etree.fromstring(exchange.request)
    body = envelope.find("{http://schemas.xmlsoap.org/soap/envelope/}Body")
    assert body is not None
    operation = endpoint._by_element[body[0].tag]
    parsed = operation.input.deserialize(envelope)
    arguments = {key: parsed[key] for key in parsed}
    handler = endpoint.handlers[operation.name]

    async def call() -> Any:
        return await handler(**arguments)

    return operation.name, lambda: asyncio.run(call())


@dataclass(frozen=True)
class Clients:
    """The connectors whose request templates are timed (they make no call here)."""

    p360: P360Client
    matrikkel: MatrikkelClient

    @classmethod
    def offline(cls) -> Clients:
        """Clients that only render requests: their session is never used."""
        session = cast(aiohttp.ClientSession, object())
        return cls(
            P360Client(session, P360_BASE, "u", "p", Resilience("p360", ResiliencePolicy())),
            MatrikkelClient(
                session, MATRIKKEL_BASE, "u", "p", Resilience("matrikkel", ResiliencePolicy())
            ),
        )


def measure_call(replies: Replies, clients: Clients, exchange: Exchange, repeat: int) -> Row:
    """The CPU of one call's reply (both directions, both ways) and request."""
    service, endpoint = replies.service(exchange), replies.endpoint(exchange)
    decoder = decoder_for(exchange)
    name, call_handler = _handler_call(endpoint, exchange)
    result = call_handler()
    content = endpoint.render_reply(name, result)
    return Row(
        operation=exchange.operation,
        size=len(content),
        decode_zeep=cpu_ms(
            lambda: service.decode(name, content, decoder, path=Parser.ZEEP), repeat
        ),
        decode_lxml=cpu_ms(
            lambda: service.decode(name, content, decoder, path=Parser.LXML), repeat
        ),
        handler=cpu_ms(call_handler, repeat),
        render_zeep=cpu_ms(lambda: endpoint.render_reply(name, result, plain=False), repeat),
        render_plain=cpu_ms(lambda: endpoint.render_reply(name, result, plain=True), repeat),
        request=cpu_ms(lambda: service.request(name, **exchange.body), repeat),
        template=cpu_ms(lambda: from_template(clients.p360, clients.matrikkel, exchange), repeat),
    )


def measure(replies: Replies, clients: Clients, index: int, repeat: int) -> list[Row]:
    """One row per hot call of person ``index``'s dashboard."""
    return [
        measure_call(replies, clients, exchange, repeat) for exchange in replies.exchanges(index)
    ]


def _ratio(before: float, after: float) -> str:
    return f"{before / after:5.1f}×" if after > 0 else "   ∞ "


def print_table(index: int, rows: list[Row]) -> None:
    """The rows of one person, with totals."""
    print(f"\nperson #{index} ({documented.DOCUMENTED[index].key}), CPU ms per call (median)")
    header = (
        f"{'operation':34} {'bytes':>8} | {'decode zeep':>11} {'lxml':>7} {'ratio':>6} | "
        f"{'render zeep':>11} {'plain':>7} {'ratio':>6} | {'handler':>7} | "
        f"{'request zeep':>12} {'template':>8} {'ratio':>6}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        print(
            f"{row.operation:34} {row.size:8d} | {row.decode_zeep:11.2f} {row.decode_lxml:7.2f} "
            f"{_ratio(row.decode_zeep, row.decode_lxml):>6} | {row.render_zeep:11.2f} "
            f"{row.render_plain:7.2f} {_ratio(row.render_zeep, row.render_plain):>6} | "
            f"{row.handler:7.2f} | {row.request:12.2f} {row.template:8.2f} "
            f"{_ratio(row.request, row.template):>6}"
        )
    total = Row(
        "total",
        sum(r.size for r in rows),
        *(
            sum(getattr(r, f) for r in rows)
            for f in Row.__dataclass_fields__
            if f not in ("operation", "size")
        ),
    )
    print("-" * len(header))
    print(
        f"{total.operation:34} {total.size:8d} | {total.decode_zeep:11.2f} "
        f"{total.decode_lxml:7.2f} {_ratio(total.decode_zeep, total.decode_lxml):>6} | "
        f"{total.render_zeep:11.2f} {total.render_plain:7.2f} "
        f"{_ratio(total.render_zeep, total.render_plain):>6} | {total.handler:7.2f} | "
        f"{total.request:12.2f} {total.template:8.2f} {_ratio(total.request, total.template):>6}"
    )


def main(argv: list[str] | None = None) -> None:
    """Print the table for each person asked for."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--persons", type=int, nargs="+", default=[documented.HOMEOWNER, documented.MANY_CASES]
    )
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--size", type=int, default=1000)
    args = parser.parse_args(argv)
    replies = Replies(Population(seed=args.seed, size=args.size))
    clients = Clients.offline()
    for index in args.persons:
        measure(replies, clients, index, 1)  # warm caches (types, records, templates) first
        print_table(index, measure(replies, clients, index, args.repeat))


if __name__ == "__main__":
    main()

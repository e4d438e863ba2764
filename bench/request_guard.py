"""``python -m bench.request_guard``: CPU of refusing hostile 1 MB request bodies.

The guard in front of ``json.loads`` (:func:`gateway.http_protocol.decode_json_object`) must
stay linear in the body's size: deep nesting, escaped quotes, unterminated strings and many
small arrays are each refused with a 400 without quadratic scanning or a RecursionError. The
test suite checks that each is refused; this prints how long each takes (CPU of this process,
the median of ``--repeat`` runs), for 1 MB and 4 MB, so a doubling that is not linear shows.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from gateway.http_protocol import RequestRefused, decode_json_object

BODIES: dict[str, Callable[[int], bytes]] = {
    "deep nesting [[[…": lambda n: b"[" * n,
    'escaped quotes ["\\"…': lambda n: b'["' + b'\\"' * (n // 2) + b"]",
    'unterminated quotes """…': lambda n: b'"' * n,
    "many arrays [[1],[1],…": lambda n: b"[" + b"[1]," * (n // 4) + b"[1]]",
}


def refuse_cpu_ms(body: bytes, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.process_time()
        try:
            decode_json_object(body)
        except RequestRefused:
            pass
        else:  # pragma: no cover - the guard let it through
            raise SystemExit("a hostile body was accepted")
        times.append(time.process_time() - started)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"{'body':<28} {'1 MB':>10} {'4 MB':>10} {'ratio':>7}")
    for name, make in BODIES.items():
        small = refuse_cpu_ms(make(1_000_000), args.repeat)
        large = refuse_cpu_ms(make(4_000_000), args.repeat)
        print(f"{name:<28} {small:>8.1f}ms {large:>8.1f}ms {large / small:>6.1f}x")


if __name__ == "__main__":
    main()

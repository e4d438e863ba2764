"""Synthetic fødselsnumre that encode the person's index, so a pid decodes without a scan.

Layout of a Tenor-style number ``DD MM+80 YY III K1 K2``: every index maps to a birth date in
1940-2005 (a seed-dependent permutation of the days, so neighbours are not born on consecutive
days) and a block of ten individual numbers (``III``); the first number of the block whose
check digits exist is used. Every (date, block) pair has at least one valid number (checked
exhaustively when this scheme was chosen), which gives 24,107 days × 50 blocks ≈ 1.2 million
distinct people.
"""

from __future__ import annotations

from datetime import date, timedelta

from simulators.population.checkdigits import pid_check_digits

FIRST_BIRTH_DATE = date(1940, 1, 1)
LAST_BIRTH_DATE = date(2005, 12, 31)
N_DAYS = (LAST_BIRTH_DATE - FIRST_BIRTH_DATE).days + 1
N_BLOCKS = 50
MAX_PEOPLE = N_DAYS * N_BLOCKS
TENOR_MONTH_OFFSET = 80
# A multiplier coprime to N_DAYS scatters consecutive indexes over the calendar.
_DAY_STRIDE = 7919
_SEED_STRIDE = 104_729


def _day_index(index: int, seed: int) -> int:
    return (index % N_DAYS * _DAY_STRIDE + seed * _SEED_STRIDE) % N_DAYS


def encode_pid(index: int, seed: int) -> tuple[str, date]:
    """The pid and birth date of person `index` in the population of `seed`."""
    if not 0 <= index < MAX_PEOPLE:
        raise ValueError(f"person index out of range 0..{MAX_PEOPLE - 1}")
    born = FIRST_BIRTH_DATE + timedelta(days=_day_index(index, seed))
    block = index // N_DAYS
    # Individual numbers 000-499 are for births 1900-1999, 500-999 for 2000-2039.
    base = (500 if born.year >= 2000 else 0) + block * 10
    prefix = f"{born.day:02d}{born.month + TENOR_MONTH_OFFSET:02d}{born.year % 100:02d}"
    for individual in range(base, base + 10):
        first9 = f"{prefix}{individual:03d}"
        checks = pid_check_digits(first9)
        if checks is not None:
            return first9 + checks, born
    raise AssertionError("unreachable: every block has a valid individual number")


def decode_pid(pid: str, seed: int) -> int | None:
    """The index `pid` was made from in the population of `seed`, or None if it is not one."""
    if len(pid) != 11 or not pid.isdigit():
        return None
    day, month, yy, individual = int(pid[0:2]), int(pid[2:4]), int(pid[4:6]), int(pid[6:9])
    month -= TENOR_MONTH_OFFSET
    year = (2000 if individual >= 500 else 1900) + yy
    try:
        born = date(year, month, day)
    except ValueError:
        return None
    if not FIRST_BIRTH_DATE <= born <= LAST_BIRTH_DATE:
        return None
    day_idx = (born - FIRST_BIRTH_DATE).days
    residue = (day_idx - seed * _SEED_STRIDE) * pow(_DAY_STRIDE, -1, N_DAYS) % N_DAYS
    index = (individual % 500) // 10 * N_DAYS + residue
    # Only the exact number generated for that index counts (other block members, wrong checks).
    return index if encode_pid(index, seed)[0] == pid else None


def gender_of(pid: str) -> str:
    """ "F" or "M": the individual number's last digit is even for women."""
    return "F" if int(pid[8]) % 2 == 0 else "M"

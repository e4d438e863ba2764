"""Norwegian check digits: fødselsnummer (mod 11), bank account (mod 11) and KID (mod 10)."""

from __future__ import annotations

_PID_WEIGHTS_1 = (3, 7, 6, 1, 8, 9, 4, 5, 2)
_PID_WEIGHTS_2 = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
_ACCOUNT_WEIGHTS = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


def mod11_digit(digits: str, weights: tuple[int, ...]) -> int | None:
    """The mod-11 check digit of `digits` with `weights`; None when the remainder makes it 10
    (such a number cannot be issued)."""
    total = sum(int(d) * w for d, w in zip(digits, weights, strict=True))
    check = 11 - total % 11
    if check == 11:
        return 0
    return None if check == 10 else check


def pid_check_digits(first9: str) -> str | None:
    """The two check digits (k1, k2) of a fødselsnummer's first nine digits, or None."""
    k1 = mod11_digit(first9, _PID_WEIGHTS_1)
    if k1 is None:
        return None
    k2 = mod11_digit(first9 + str(k1), _PID_WEIGHTS_2)
    return None if k2 is None else f"{k1}{k2}"


def is_valid_pid(pid: str) -> bool:
    """True for 11 digits whose two mod-11 check digits are right (no date check)."""
    return len(pid) == 11 and pid.isdigit() and pid_check_digits(pid[:9]) == pid[9:]


def account_check_digit(first10: str) -> int | None:
    """The mod-11 check digit of an 11-digit Norwegian bank account number, or None."""
    return mod11_digit(first10, _ACCOUNT_WEIGHTS)


def is_valid_account(account: str) -> bool:
    """True for an 11-digit account number with a right mod-11 check digit."""
    if len(account) != 11 or not account.isdigit():
        return False
    return account_check_digit(account[:10]) == int(account[10])


def luhn_digit(digits: str) -> int:
    """The mod-10 (Luhn) check digit to append to `digits` (KID MOD10)."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return (10 - total % 10) % 10


def is_valid_kid(kid: str) -> bool:
    """True for a KID whose last digit is the mod-10 check digit of the rest."""
    return len(kid) >= 2 and kid.isdigit() and luhn_digit(kid[:-1]) == int(kid[-1])

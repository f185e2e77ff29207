"""Registry IDs: short, unambiguous, with a check character.

Staff read IDs to pharmacies over the phone, so the alphabet is Crockford's base 32 (no I, L,
O or U, which are confused with 1, 0 and V), and the last character is a Luhn mod 32 check
character. Luhn mod N catches every single mistyped character and most swaps of two
neighbouring characters. Format: ``XXXX-XXXX-C`` (eight random characters, then the check).

Pure Python on purpose: no Django import, so it is cheap to test exhaustively.
"""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_N = len(ALPHABET)
_VALUE = {char: index for index, char in enumerate(ALPHABET)}
# Characters people write for ones that look alike in the alphabet.
_READ_AS = {"O": "0", "I": "1", "L": "1"}
BODY_LENGTH = 8


def check_character(body: str) -> str:
    """The Luhn mod 32 check character for a body of alphabet characters."""
    total = 0
    factor = 2
    for char in reversed(body):
        addend = factor * _VALUE[char]
        addend = addend // _N + addend % _N
        total += addend
        factor = 1 if factor == 2 else 2
    return ALPHABET[(_N - total % _N) % _N]


def normalize(text: str) -> str:
    """Upper-case, drop spaces and dashes, read O as 0 and I/L as 1."""
    cleaned = "".join(text.split()).replace("-", "").upper()
    return "".join(_READ_AS.get(char, char) for char in cleaned)


def format_id(compact: str) -> str:
    return f"{compact[:4]}-{compact[4:8]}-{compact[8:]}"


def is_valid(text: str) -> bool:
    compact = normalize(text)
    if len(compact) != BODY_LENGTH + 1 or any(char not in _VALUE for char in compact):
        return False
    return check_character(compact[:-1]) == compact[-1]


def new_registry_id() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(BODY_LENGTH))
    return format_id(body + check_character(body))

"""Parsing ``resource.Quantity`` strings so requests and limits can be compared."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "": Decimal(1),
    "k": Decimal("1e3"),
    "M": Decimal("1e6"),
    "G": Decimal("1e9"),
    "T": Decimal("1e12"),
    "P": Decimal("1e15"),
    "E": Decimal("1e18"),
}


def parse_quantity(text: str) -> Decimal | None:
    """The numeric value of a quantity (``500m`` -> 0.5, ``1Ki`` -> 1024), None if malformed."""
    text = text.strip()
    try:
        if text[-2:] in _BINARY:
            return Decimal(text[:-2]) * _BINARY[text[-2:]]
        if text and text[-1] in _DECIMAL and text[-1] not in "eE":
            return Decimal(text[:-1]) * _DECIMAL[text[-1]]
        return Decimal(text)
    except (InvalidOperation, IndexError):
        return None

"""Minor units of a currency: how many of them make one major unit (100 cents in a dollar,
1 yen in a yen, 1,000 fils in a dinar), by the ISO 4217 exponent. The ad platforms and our
budgets speak minor units; people type and read major units."""

from __future__ import annotations

from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

# ISO 4217 exponents other than 2, for the currencies ad platforms bill in.
_NO_DECIMALS = frozenset("BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF".split())
_THREE_DECIMALS = frozenset("BHD IQD JOD KWD LYD OMR TND".split())


def exponent(currency: str) -> int:
    code = (currency or "").upper()
    return 0 if code in _NO_DECIMALS else 3 if code in _THREE_DECIMALS else 2


def minor_factor(currency: str) -> int:
    """Minor units in one major unit of `currency`."""
    return 10 ** exponent(currency)


def to_minor(amount: Decimal, currency: str) -> int:
    """Whole minor units, rounded down (a budget is never rounded up past what was allowed)."""
    return int((Decimal(amount) * minor_factor(currency)).to_integral_value(ROUND_FLOOR))


def from_minor(amount: int, currency: str) -> Decimal:
    """Major units, to the currency's own decimals (1500 yen is 1500, not 1500.00)."""
    places = Decimal(1).scaleb(-exponent(currency))
    return (Decimal(amount) / minor_factor(currency)).quantize(places, ROUND_HALF_UP)

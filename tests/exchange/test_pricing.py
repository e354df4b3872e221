"""Exchange pricing and rounding: sell the base at the bid, buy it at the ask, truncate to 8 decimals."""

from __future__ import annotations

from decimal import Decimal

from services.common.pricing import Rate, price_exchange, quantize, value_in

RATES = {"BTC-USD": Rate("BTC", "USD", Decimal("50000.00"), Decimal("50010.00"), 1)}


def test_selling_the_base_yields_amount_times_bid() -> None:
    priced = price_exchange(Decimal("2"), "BTC", "USD", RATES)
    assert priced is not None
    assert priced.credit == Decimal("100000.00000000")
    assert (priced.side, priced.price) == ("BID", Decimal("50000.00"))


def test_buying_the_base_costs_amount_divided_by_ask() -> None:
    priced = price_exchange(Decimal("50010"), "USD", "BTC", RATES)
    assert priced is not None
    assert priced.credit == Decimal("1.00000000")
    assert priced.side == "ASK"


def test_not_inverted_like_the_reference() -> None:
    # the reference gave 8,000,000 BTC for 1000 USD; the right answer is about 0.02 BTC
    priced = price_exchange(Decimal("1000"), "USD", "BTC", RATES)
    assert priced is not None and priced.credit < 1


def test_division_truncates_in_the_house_favour() -> None:
    # 100 / 50010 = 0.0019996000799840...: truncated, not rounded up
    priced = price_exchange(Decimal("100"), "USD", "BTC", RATES)
    assert priced is not None and priced.credit == Decimal("0.00199960")
    rates = {"ETH-USD": Rate("ETH", "USD", Decimal("3"), Decimal("3"))}
    priced = price_exchange(Decimal("2"), "USD", "ETH", rates)  # 0.666666666...
    assert priced is not None and priced.credit == Decimal("0.66666666")


def test_multiplication_is_exact_before_the_single_final_rounding() -> None:
    rates = {"A-B": Rate("A", "B", Decimal("0.99999999"), Decimal("1"))}
    amount = Decimal("9999999999999999.99999999")  # 24 digits: beyond Decimal's default 28-digit product
    priced = price_exchange(amount, "A", "B", rates)
    assert priced is not None
    assert priced.credit == Decimal(
        "9999999899999999.99999999"
    )  # exact product 9999999899999999.9999999900000001


def test_no_rate_or_zero_price_gives_none() -> None:
    assert price_exchange(Decimal("1"), "USD", "EUR", RATES) is None
    zero = {"BTC-USD": Rate("BTC", "USD", Decimal("0"), Decimal("0"))}
    assert price_exchange(Decimal("1"), "BTC", "USD", zero) is None
    assert price_exchange(Decimal("1"), "USD", "BTC", zero) is None


def test_quantize_truncates_to_eight_decimals() -> None:
    assert quantize(Decimal("1.123456789")) == Decimal("1.12345678")
    assert quantize(Decimal("-1.123456789")) == Decimal("-1.12345678")
    assert str(quantize(Decimal("5"))) == "5.00000000"


def test_value_in_the_same_currency_needs_no_rate() -> None:
    assert value_in(Decimal("3"), "USD", "USD", {}) == (Decimal("3"), None)
    assert value_in(Decimal("1"), "BTC", "USD", RATES) == (Decimal("50000.00000000"), RATES["BTC-USD"])
    assert value_in(Decimal("1"), "EUR", "USD", RATES) is None

"""The transaction service's decision as a pure function: each rejection reason, balance arithmetic."""

from __future__ import annotations

from decimal import Decimal

import pytest

from services.common.eos import StagedState
from services.common.pricing import Rate
from services.transaction.rules import Applied, Rejected, Request, decide

RATES = {"BTC-USD": Rate("BTC", "USD", Decimal("50000"), Decimal("50010"), 7)}


def run(
    type_: str,
    amount: str,
    currency: str,
    target: str | None = None,
    *,
    status: str | None = "ACTIVE",
    balances: dict[str, str] | None = None,
):
    held = {k: Decimal(v) for k, v in (balances or {}).items()}
    request = Request("g-1", "acc", type_, Decimal(amount), currency, target)
    return decide(request, balance=lambda c: held.get(c, Decimal(0)), account_status=status, rates=RATES)


@pytest.mark.parametrize(
    ("args", "kwargs", "reason"),
    [
        (("UNKNOWN", "1", "USD"), {}, "INVALID_REQUEST"),
        (("DEPOSIT", "0", "USD"), {}, "INVALID_AMOUNT"),
        (("DEPOSIT", "-5", "USD"), {}, "INVALID_AMOUNT"),
        (("WITHDRAW", "0", "USD"), {}, "INVALID_AMOUNT"),
        (("DEPOSIT", "10000000000000000", "USD"), {}, "INVALID_AMOUNT"),
        (("DEPOSIT", "1", "USD"), {"status": None}, "UNKNOWN_ACCOUNT"),
        (("DEPOSIT", "1", "USD"), {"status": "CLOSED"}, "ACCOUNT_CLOSED"),
        (("DEPOSIT", "1", "XYZ"), {}, "UNSUPPORTED_CURRENCY"),
        (("EXCHANGE", "1", "USD", "XYZ"), {"balances": {"USD": "5"}}, "UNSUPPORTED_CURRENCY"),
        (("EXCHANGE", "1", "USD", None), {"balances": {"USD": "5"}}, "INVALID_REQUEST"),
        (("EXCHANGE", "1", "USD", "USD"), {"balances": {"USD": "5"}}, "SAME_CURRENCY"),
        (("EXCHANGE", "1", "USD", "EUR"), {"balances": {"USD": "5"}}, "RATE_UNAVAILABLE"),
        (("EXCHANGE", "0.00000001", "USD", "BTC"), {"balances": {"USD": "5"}}, "INVALID_AMOUNT"),
        (("WITHDRAW", "5.00000001", "USD"), {"balances": {"USD": "5"}}, "INSUFFICIENT_FUNDS"),
        (("WITHDRAW", "1", "USD"), {}, "INSUFFICIENT_FUNDS"),
        (("EXCHANGE", "2", "BTC", "USD"), {"balances": {"BTC": "1"}}, "INSUFFICIENT_FUNDS"),
        (("DEPOSIT", "1", "USD"), {"balances": {"USD": "9999999999999999"}}, "INVALID_AMOUNT"),
    ],
)
def test_rejections(args, kwargs, reason) -> None:
    outcome = run(*args, **kwargs)
    assert isinstance(outcome, Rejected), outcome
    assert outcome.reason == reason
    assert outcome.message


def test_deposit_adds() -> None:
    outcome = run("DEPOSIT", "10.5", "USD", balances={"USD": "1"})
    assert isinstance(outcome, Applied)
    assert outcome.balances == {"USD": Decimal("11.5")}
    assert (outcome.credit_amount, outcome.credit_currency, outcome.debit_amount) == (
        Decimal("10.5"),
        "USD",
        None,
    )


def test_withdrawing_everything_is_allowed_and_leaves_zero() -> None:
    outcome = run("WITHDRAW", "5", "USD", balances={"USD": "5"})
    assert isinstance(outcome, Applied) and outcome.balances == {"USD": Decimal("0")}


def test_exchange_debits_and_credits_in_one_change() -> None:
    outcome = run("EXCHANGE", "0.5", "BTC", "USD", balances={"BTC": "1", "USD": "3"})
    assert isinstance(outcome, Applied)
    assert outcome.balances == {"BTC": Decimal("0.5"), "USD": Decimal("25003.00000000")}
    assert outcome.priced is not None and outcome.priced.side == "BID" and outcome.priced.rate.timestamp == 7


def test_rejections_change_nothing_and_balances_never_go_negative() -> None:
    import random

    rng = random.Random(7)
    held = {"USD": Decimal(0), "BTC": Decimal(0)}
    for _ in range(2000):
        type_ = rng.choice(["DEPOSIT", "WITHDRAW", "EXCHANGE"])
        currency = rng.choice(["USD", "BTC"])
        amount = Decimal(rng.randint(1, 10**6)) / 100
        request = Request("g", "a", type_, amount, currency, "BTC" if currency == "USD" else "USD")
        outcome = decide(request, balance=lambda c: held[c], account_status="ACTIVE", rates=RATES)
        if isinstance(outcome, Applied):
            held.update(outcome.balances)
        assert all(v >= 0 for v in held.values())


def test_staged_state_commit_and_rollback() -> None:
    state: StagedState[str, int] = StagedState()
    state["a"] = 1
    assert state.get("a") == 1 and "a" in state
    state.rollback()
    assert state.get("a") is None and "a" not in state
    state["a"] = 2
    state.commit()
    state.delete("a")
    assert "a" not in state
    state.rollback()
    assert state.get("a") == 2
    state.delete("a")
    state.commit()
    assert state.committed == {}


def test_staged_state_layers_commit_oldest_first_and_roll_back_together() -> None:
    state: StagedState[str, int] = StagedState()
    state.stage()
    state["a"] = 1  # batch 1, committing
    state.stage()
    assert state.get("a") == 1  # batch 2 sees batch 1's staged write
    state["a"] = 2
    state["b"] = 3
    state.commit()  # batch 1 committed: only its layer
    assert state.committed == {"a": 1}
    assert state.get("a") == 2 and state.get("b") == 3
    state.stage()
    state.delete("b")  # batch 3
    assert "b" not in state
    state.rollback()  # batch 2 aborted: batch 3, processed behind it, goes too
    assert state.committed == {"a": 1} and state.get("a") == 1 and "b" not in state


def test_staged_state_fold_joins_the_batch_before_or_commits_alone() -> None:
    state: StagedState[str, int] = StagedState()
    state.stage()
    state["a"] = 1
    state.stage()
    state["b"] = 2  # a batch with nothing to commit in Kafka
    state.fold()
    state.commit()  # its writes went with the batch before it
    assert state.committed == {"a": 1, "b": 2}
    state.stage()
    state["c"] = 3
    state.fold()  # nothing still committing: committed at once
    assert state.committed == {"a": 1, "b": 2, "c": 3}
    state.stage()
    state["d"] = 4
    state.commit()
    assert state.committed["d"] == 4  # one layer per batch: no layer was left behind by fold

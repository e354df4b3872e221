"""The transaction service: deposits, withdrawals and exchanges, validated and applied exactly once."""

from services.transaction.rules import DEFAULT_CURRENCIES, Applied, Rejected, Request, decide
from services.transaction.service import TransactionService

__all__ = ["DEFAULT_CURRENCIES", "Applied", "Rejected", "Request", "TransactionService", "decide"]

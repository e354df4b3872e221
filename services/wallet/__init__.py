"""The wallet service: per-account balances from applied transactions, valued with the latest rates."""

from services.wallet.service import WalletService
from services.wallet.valuation import apply_transaction, wallet_record

__all__ = ["WalletService", "apply_transaction", "wallet_record"]

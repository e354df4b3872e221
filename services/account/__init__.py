"""The account service: the legacy SQL account store, its request sink and its change source."""

from services.account.service import AccountService
from services.account.store import AccountStore, account_value

__all__ = ["AccountService", "AccountStore", "account_value"]

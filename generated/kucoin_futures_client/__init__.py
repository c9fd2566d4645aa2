"""A client library for accessing KuCoin Futures - Margin Mode"""

from .client import AuthenticatedClient, Client

__all__ = (
    "AuthenticatedClient",
    "Client",
)

"""A client library for accessing KuCoin Futures - Batch Switch Margin Mode"""

from .client import AuthenticatedClient, Client

__all__ = (
    "AuthenticatedClient",
    "Client",
)

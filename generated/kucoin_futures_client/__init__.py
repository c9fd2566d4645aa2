"""A client library for accessing KuCoin Futures - Position Settings"""

from .client import AuthenticatedClient, Client

__all__ = (
    "AuthenticatedClient",
    "Client",
)

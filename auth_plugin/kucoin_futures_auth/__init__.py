"""KuCoin request signing, credentials, retries and typed errors for the generated client."""

from ._signing import Clock, Credentials, kucoin_headers, signing_path
from .auth import KucoinAuth
from .client import futures_client
from .errors import ConfigurationError, KucoinError

__all__ = [
    "Clock",
    "ConfigurationError",
    "Credentials",
    "KucoinAuth",
    "KucoinError",
    "futures_client",
    "kucoin_headers",
    "signing_path",
]

"""KuCoin request signing: the one signing function, credentials, the clock, the
`httpx.Auth` that signs the generated client's requests, and the verifier the mock uses.

Nothing here knows an operation: it signs whatever request it is given.
"""

from ._signing import REDACTED, SECRET_HEADERS, Clock, Credentials, kucoin_headers, signing_path
from .auth import KucoinAuth
from .errors import ConfigurationError, KucoinError
from .verify import VerificationFailure, Verified, Verifier, verify_request

__all__ = [
    "REDACTED",
    "SECRET_HEADERS",
    "Clock",
    "ConfigurationError",
    "Credentials",
    "KucoinAuth",
    "KucoinError",
    "VerificationFailure",
    "Verified",
    "Verifier",
    "kucoin_headers",
    "signing_path",
    "verify_request",
]

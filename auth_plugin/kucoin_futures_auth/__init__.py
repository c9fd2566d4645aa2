"""KuCoin request signing, credentials, retries and typed errors for the generated client."""

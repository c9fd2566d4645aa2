"""A local fake of KuCoin Futures."""

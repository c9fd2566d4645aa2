"""Test-only. Runs the pytest plugin from the source tree (installed as an entry point too)."""

"""Deterministic generators of realistic billing exports (the `gcp` package)."""

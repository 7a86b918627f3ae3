"""Deterministic generators of realistic billing exports (see `gcp.py`)."""

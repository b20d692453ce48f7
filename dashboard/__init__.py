"""Runboard: a results dashboard for ML runs."""

__version__ = "0.1.0"

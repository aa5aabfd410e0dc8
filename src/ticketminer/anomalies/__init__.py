"""Anomaly detection over per-issue ticket time series."""

"""Hisab hub: ingests the boxes' journals over MQTT into PostgreSQL, merges, alerts, shows the fleet."""

__version__ = "0.1.0"

"""Exposure rules (KG2xx): secrets, published ports, registries, TLS, health checks."""

"""Bytes to parsed documents with positions."""

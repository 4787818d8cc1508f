"""Fixes: edits as data, one patcher, verification and safe writes."""

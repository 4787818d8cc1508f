"""Hardening rules (KG1xx): what each container gets from `docker run` (CIS Docker Benchmark section 5)."""

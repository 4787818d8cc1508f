"""kamalguard: validate and harden Kamal deploy configs, and fix them with minimal, comment-preserving patches."""

__version__ = "0.1.0"

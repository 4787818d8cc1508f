"""GitHub: the sticky pull-request comment and review with suggestions."""

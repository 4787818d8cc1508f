import gc

# `python -m kamalguard` is a short-lived process: the cycle collector would only walk the objects the imports make,
# again and again, and free nothing (the CLI keeps it off for the rest of the run).
gc.disable()

from kamalguard.cli import main  # noqa: E402

main()

"""Fault scripts for issue 6: each one drives the real bot through a fault and prints what it
tried and what it found (counts of lost, duplicated, unhandled). ``python -m faults --help``."""

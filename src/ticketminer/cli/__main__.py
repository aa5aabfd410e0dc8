"""`python -m ticketminer.cli ...`: the same as the `ticketminer` script."""

from ticketminer.cli import main

if __name__ == "__main__":
    raise SystemExit(main())

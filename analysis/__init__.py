"""What the data shows: the coverage ledger (found, late, missing per agency and year)."""

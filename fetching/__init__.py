"""Fetch stage: the only code that talks to the network (polite, bounded, recorded)."""

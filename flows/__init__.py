"""Prefect flows: crawl (sources → … → load) and reparse (snapshots → … → load, no network)."""

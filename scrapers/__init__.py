"""Discover stage: find report links on agency sites. One module per CMS platform."""

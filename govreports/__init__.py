"""govreports: the complete, traceable record of government information disclosure annual reports.

This package is the top of the house (the CLI, the demo, the exports and the scaffold); the core it
stands on is ``core``.
"""
from core import PROJECT_URL, __version__

__all__ = ["PROJECT_URL", "__version__"]

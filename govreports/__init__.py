"""govreports: the complete, traceable record of government information disclosure annual reports."""

__version__ = "0.1.0"
PROJECT_URL = "https://github.com/govreports/govreports"

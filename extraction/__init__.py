"""Extract stage: the body text (and main-content HTML) of a fetched document."""
from extraction.html import Extracted, extract_html

__all__ = ["Extracted", "extract_html"]

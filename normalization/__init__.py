"""Script normalization: traditional (Taiwan) → simplified, keeping the original beside it."""
from normalization.script import to_simplified

__all__ = ["to_simplified"]

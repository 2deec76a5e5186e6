"""The core: types and pure helpers every stage may import, importing nothing of ours.

Everything above it (see the layers in ``pyproject.toml`` under ``[tool.importlinter]``) reads the
same contracts from here: the sources file and its validation (``core.sources``), the error tree
(``core.errors``), the parse stage's output and the loader's input (``core.document``), URL and host
helpers (``core.urls``), the statistics codebook (``core.codebook``), report years and titles
(``core.years``, ``core.titles``) and the one way decoded HTML becomes a tree (``core.html``).
"""

__version__ = "0.1.0"
PROJECT_URL = "https://github.com/govreports/govreports"

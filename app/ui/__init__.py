"""The window. Importing this package imports PySide6 and first makes PySide6's import
hook cheap (:mod:`app.ui.pyside_hook`), so every module the window imports after it
costs what it should."""

from app.ui.pyside_hook import check_sources_by_bytes

check_sources_by_bytes()

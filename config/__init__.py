"""Default configuration an administrator edits without touching code.

``indicators.yaml`` holds the monthly indicator sets (chỉ tiêu) per kind of reporting unit and
``reporting.yaml`` the reporting calendar (opening, due and lock days). This is a package only so
that the YAML files ship inside the wheel next to the code; it is imported as
``grassroots_config`` (see pyproject.toml); see ``docs/indicators.md``.
"""

from pathlib import Path

DEFAULT_CONFIG_DIR = Path(__file__).resolve().parent

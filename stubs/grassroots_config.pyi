# The package lives in config/ under another import name (see pyproject.toml); mypy resolves
# imports from folders, not from the install's mapping, so it reads this declaration instead.
from pathlib import Path

DEFAULT_CONFIG_DIR: Path

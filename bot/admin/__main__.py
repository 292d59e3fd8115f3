"""`python -m bot.admin`: the admin CLI (bot/admin/__init__.py)."""

import sys

from bot.admin import main

sys.exit(main())

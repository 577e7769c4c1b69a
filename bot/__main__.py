"""Entry point: `python -m bot` and the `triage-bot` console script (see bot.cli for the commands).

Both run `main`, which returns the exit code: 0 ok, 1 bad input or bad state, 2 a setting to change.
"""

import sys

from bot.cli import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())

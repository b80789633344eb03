"""The `xlcsr` program: the workbook a command reads starts being read before the rest of xlcsr loads.

Only the standard library and `files.head_start` are imported before the command line proper.
"""

from __future__ import annotations

import sys
from pathlib import Path

# the verbs whose first workbook argument is a register they read; the options whose value is another file
READING_VERBS = frozenset({"validate", "assign", "highlight", "columns", "remind", "signoff", "collect",
                           "record", "history", "diff", "track"})
FILE_OPTIONS = frozenset({"--out", "-o", "--config", "--outbox", "--pdf", "--xlam"})


def main() -> None:
    read_ahead(sys.argv[1:])
    from xlcsr.cli.app import main as run

    run()


def read_ahead(args: list[str]) -> Path | None:
    """Start reading the register `args` name (see READING_VERBS), if any; returns its path."""
    if not args or args[0] not in READING_VERBS or "--help" in args:
        return None
    sheet = None
    for option, value in zip(args, args[1:]):
        if option == "--sheet":
            sheet = value
    for before, arg in zip(args, args[1:]):
        if before in FILE_OPTIONS or before == "--sheet" or arg.startswith("-"):
            continue
        path = Path(arg)
        if path.suffix.lower() in (".xlsx", ".xlsm") and path.is_file():
            from xlcsr.files.head_start import start

            start(path, sheet)
            return path
    return None

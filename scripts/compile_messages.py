"""Compile locale/*/LC_MESSAGES/*.po into .mo files.

Uses Django's compilemessages (GNU gettext's msgfmt, which also checks format strings) where msgfmt
is installed, as in CI; on a fresh machine without gettext, polib writes the same .mo files.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    if shutil.which("msgfmt"):
        return subprocess.call(  # noqa: S603 — our own manage.py, no shell
            [sys.executable, str(ROOT / "manage.py"), "compilemessages", "--ignore", ".venv", "-v0"],
            cwd=ROOT,
            env={**os.environ},
        )
    import polib

    for po_path in sorted((ROOT / "locale").glob("*/LC_MESSAGES/*.po")):
        polib.pofile(str(po_path)).save_as_mofile(str(po_path.with_suffix(".mo")))
    return 0


if __name__ == "__main__":
    sys.exit(main())

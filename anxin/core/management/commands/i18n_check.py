"""Check that the committed catalogs hold every translatable string of the sources, all translated.

Re-extracts the strings with ``makemessages`` (GNU xgettext) into a scratch copy of the tree and
compares message ids with the committed ``locale/``; then requires every zh_Hans entry to be
translated and not fuzzy. Exit status 1 on any difference.
"""

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

DOMAINS = ("django", "djangojs")


def _ids(po: polib.POFile) -> set[tuple[str, str]]:
    return {(e.msgctxt or "", e.msgid) for e in po if not e.obsolete}


class Command(BaseCommand):
    help = "Fail if locale/ is out of date with the sources or zh_Hans has untranslated strings."

    def handle(self, *args, **options):
        base = Path(settings.BASE_DIR)
        problems: list[str] = []
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            shutil.copytree(base / "anxin", work / "anxin", ignore=shutil.ignore_patterns("__pycache__", "vendor"))
            (work / "locale").mkdir()
            shutil.copy(base / "manage.py", work / "manage.py")
            for domain in DOMAINS:
                cmd = [sys.executable, "manage.py", "makemessages", "-d", domain, "-l", "zh_Hans", "--no-location", "--no-obsolete"]
                result = subprocess.run(cmd, cwd=work, capture_output=True, text=True, check=False)
                if result.returncode != 0:
                    raise CommandError(result.stderr)
                fresh_path = work / "locale" / "zh_Hans" / "LC_MESSAGES" / f"{domain}.po"
                committed_path = base / "locale" / "zh_Hans" / "LC_MESSAGES" / f"{domain}.po"
                fresh = _ids(polib.pofile(str(fresh_path))) if fresh_path.exists() else set()
                committed_po = polib.pofile(str(committed_path)) if committed_path.exists() else polib.POFile()
                committed = _ids(committed_po)
                for ctx, msgid in sorted(fresh - committed):
                    problems.append(f"{domain}: not in catalog (run `make messages`): {ctx + '|' if ctx else ''}{msgid!r}")
                for ctx, msgid in sorted(committed - fresh):
                    problems.append(f"{domain}: stale entry (run `make messages`): {ctx + '|' if ctx else ''}{msgid!r}")
                for entry in committed_po:
                    if entry.obsolete:
                        continue
                    if "fuzzy" in entry.flags or not (entry.msgstr or any(entry.msgstr_plural.values())):
                        problems.append(f"{domain}: zh_Hans untranslated: {entry.msgid!r}")
        if problems:
            for p in problems:
                self.stderr.write(p)
            raise CommandError(f"{len(problems)} i18n problem(s)")
        self.stdout.write("i18n catalogs are complete and match the sources")

"""Every translated string reaches the catalogues: makemessages (xgettext) extracts the calls of ``_``,
``gettext``, ``gettext_lazy``, ``ngettext``, ``pgettext``… by name, so a string passed to another alias is
never extracted, and shows in English whatever the language. The back-office dashboard's strings went
through ``gettext as _gettext`` and were missing from the French catalogue."""

import re
from pathlib import Path

from django.conf import settings

EXTRACTED = {
    "_",
    "gettext",
    "gettext_lazy",
    "gettext_noop",
    "ngettext",
    "ngettext_lazy",
    "pgettext",
    "pgettext_lazy",
    "npgettext",
    "npgettext_lazy",
}
IMPORT = re.compile(r"from django\.utils\.translation import (\([^)]*\)|[^\n]+)")
ALIAS = re.compile(r"(\w+)\s+as\s+(\w+)")
SKIPPED = {".venv", "node_modules", "staticfiles", "tests", "migrations"}


def test_translation_functions_keep_names_that_makemessages_extracts():
    root = Path(settings.BASE_DIR)
    offenders = []
    for path in root.rglob("*.py"):
        if SKIPPED & set(path.relative_to(root).parts):
            continue
        for names in IMPORT.findall(path.read_text()):
            for function, alias in ALIAS.findall(names):
                if function in EXTRACTED and alias not in EXTRACTED:
                    offenders.append(f"{path.relative_to(root)}: {function} as {alias}")
    assert not offenders, "strings through these aliases are never extracted: " + ", ".join(offenders)

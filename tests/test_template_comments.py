"""Django's ``{# … #}`` comment ends on its own line: one that runs over two lines prints as text (a diploma
printed half a sentence of a note in its corner). Every template of the project keeps them on one line."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Every app of the project (a folder with an apps.py), and the project's own templates.
APPS = sorted(path.name for path in ROOT.iterdir() if (path / "apps.py").exists()) + ["templates"]


def templates() -> list[Path]:
    return sorted(
        path for app in APPS for path in (ROOT / app).rglob("*") if path.suffix in {".html", ".txt", ".css"}
    )


def test_no_template_comment_runs_over_a_line():
    assert len(templates()) > 50
    unclosed = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in templates()
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if re.search(r"\{#(?!.*#\})", line)
    ]
    assert not unclosed, f"a {{# comment #}} must close on its line (use {{% comment %}}): {unclosed}"

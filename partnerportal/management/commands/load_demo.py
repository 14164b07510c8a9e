"""``manage.py load_demo``: the demo tenants, programmes, partners and accounts (see partnerportal.demo)."""

import io
import shutil

from django.core.management.base import BaseCommand
from rich.console import Console
from rich.table import Table

from partnerportal.demo import DEMO_PASSWORD, demo_accounts, demo_load


class Command(BaseCommand):
    help = "Load the Dstny and OpenIP demo data. Idempotent: a second run changes nothing."

    def handle(self, *args, verbosity: int, **options):
        if verbosity == 0:
            demo_load()
            return
        result = demo_load(stdout=self.stdout)
        self._summary(result)

    def _summary(self, result: dict) -> None:
        # rich renders into a buffer written in one go: self.stdout adds a newline to every write().
        tty = self.stdout.isatty()
        buffer = io.StringIO()
        width = shutil.get_terminal_size((140, 24)).columns if tty else 140
        console = Console(file=buffer, force_terminal=tty, width=width, highlight=False)

        counts = Table()
        for column in ("rows", "created", "updated", "unchanged"):
            counts.add_column(column, justify="left" if column == "rows" else "right")
        for model in sorted(set().union(*result.values())):
            counts.add_row(
                model,
                *(str(result[outcome].get(model, 0)) for outcome in ("created", "updated", "unchanged")),
            )
        console.print("[bold]Demo data[/bold]")
        console.print(counts)
        if not any(result["created"].values()) and not any(result["updated"].values()):
            console.print("Nothing to do: the demo data was already loaded.")

        accounts = Table()
        accounts.add_column("e-mail", no_wrap=True)
        accounts.add_column("profile")
        accounts.add_column("sign in at", no_wrap=True)
        for row in demo_accounts():
            accounts.add_row(row["email"], row["profile"], "\n".join(row["urls"]))
        console.print("[bold]Demo accounts[/bold]")
        console.print(accounts)
        console.print(
            f"Every demo account's password is [bold]{DEMO_PASSWORD}[/bold]. Their e-mail addresses are verified "
            "and they have no two-factor authentication set up, so no code is asked."
        )
        self.stdout.write(buffer.getvalue(), ending="")

"""The scenarios of ``make drill``: each app registers its own from its ``drill`` module, found the way the
admin finds ``admin`` modules, so the core names no app and an app removed from INSTALLED_APPS takes its
scenarios along.

    @register(order=10)
    def worker_killed_mid_regrade(drill: Drill) -> tuple[str, int]:  # (the line it prints, work lost)

``environ(infra)`` gives what the web and worker processes need for a scenario (a planted fault), added to
their environment before they start.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.module_loading import autodiscover_modules


@dataclass(frozen=True)
class Scenario:
    run: Callable  # run(drill) -> (line, lost)
    order: int
    environ: Callable | None = None  # environ(infra) -> dict[str, str]

    @property
    def name(self) -> str:
        return self.run.__name__.replace("_", " ")


_scenarios: dict[str, Scenario] = {}


def register(*, order: int, environ: Callable | None = None):
    def decorator(run: Callable) -> Callable:
        _scenarios.setdefault(f"{run.__module__}.{run.__qualname__}", Scenario(run, order, environ))
        return run

    return decorator


def scenarios() -> list[Scenario]:
    """Every installed app's scenarios, in their order (Django must be set up)."""
    autodiscover_modules("drill")
    return sorted(_scenarios.values(), key=lambda scenario: scenario.order)

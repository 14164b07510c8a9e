"""What a partner is entitled to and owes, as ``manage.py entitlements`` prints it (a contract for scripts).

Each app adds its section from ``AppConfig.ready()``: ``register("benefits", benefits_for, order=20)``,
where ``benefits_for(partner=..., as_of=...)`` returns JSON-ready data (amounts as strings with two decimals,
None where a field does not apply). The core names no app: an app removed from ``INSTALLED_APPS`` takes
its section with it.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .models import Partner

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Section:
    key: str
    build: Callable[..., Any]  # build(*, partner, as_of) -> JSON-ready value
    order: int


_sections: dict[str, Section] = {}


def register(key: str, build: Callable[..., Any], *, order: int = 100) -> None:
    _sections[key] = Section(key, build, order)


def money(amount: Decimal | None) -> str | None:
    """An amount as the contract writes it: a string with two decimals (half up), or None."""
    return None if amount is None else str(Decimal(amount).quantize(CENT, ROUND_HALF_UP))


def entitlements_for(*, partner: Partner, as_of: dt.date) -> dict:
    """``{"partner", "type", <sections in order>}`` for ``partner`` on ``as_of``."""
    data: dict[str, Any] = {"partner": partner.external_ref, "type": partner.partner_type.code}
    for section in sorted(_sections.values(), key=lambda s: s.order):
        data[section.key] = section.build(partner=partner, as_of=as_of)
    return data

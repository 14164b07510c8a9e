"""The portal's navigation: each app adds its sections in its AppConfig.ready().

A section is shown to a signed-in partner's person when ``visible(request)`` is true; later issues add
"Mon statut", "Mes avantages", "Mes devoirs", "Mes prix" without touching the base template.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest


@dataclass(frozen=True)
class NavItem:
    url_name: str
    label: str  # a lazy translation
    order: int = 100
    summary: str = ""  # a lazy translation: one line on the home page's way to the section
    icon: str = ""  # a symbol of static/img/icons.svg
    # "main": the section bar; "account": beside the person's name, for the company's own settings (company,
    # team), so that the section bar keeps the programme's sections on one line.
    area: str = "main"
    visible: Callable[[HttpRequest], bool] = lambda request: request.partner is not None


_items: list[NavItem] = []


def register(item: NavItem) -> None:
    if all(existing.url_name != item.url_name for existing in _items):
        _items.append(item)
        _items.sort(key=lambda i: i.order)


def items_for(request: HttpRequest) -> list[NavItem]:
    return [item for item in _items if item.visible(request)]

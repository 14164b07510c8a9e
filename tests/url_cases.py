"""What each portal URL answers to whom: the table that ``tests/test_url_isolation.py`` checks.

Every app keeps its rows in ``tests/<app>/url_cases.py`` as ``CASES = {"namespace:url-name": UrlCase(...)}``;
the walker fails for any portal URL (every URL but the admin, allauth and i18n ones) that has no row, so a
new view is covered by the isolation check the day it ships.

A row says how to build the URL for an object of ``world.a.partner`` (``kwargs``), and what the owner, an
anonymous visitor, the administrator of A's other partner and B's partner administrator get for a GET.
Object URLs answer 404 to both intruders ("not yours" looks like "does not exist"); list pages answer 200,
since they show the intruder's own data, and then the owner's ``marker`` text must not be on their page.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

LOGIN = "login"  # a redirect to the sign-in page


@dataclass(frozen=True)
class UrlCase:
    kwargs: Callable[[Any], dict] = field(default=lambda world: {})  # world -> reverse() kwargs
    owner: int = 200
    anonymous: int | str = LOGIN
    other_partner: int = 404
    other_tenant: int = 404
    # Text of the owner's data (world -> str) that an intruder's 200 page must not show.
    marker: Callable[[Any], str] | None = None
    # POST-only actions are sent a POST (with ``data``); the per-view tests check what a POST writes.
    method: str = "get"
    data: dict = field(default_factory=dict)
    # Which membership of world.a is the owner (a manager-only URL names "manager_membership").
    owner_membership: str = "admin_membership"

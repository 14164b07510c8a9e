"""What each URL answers to whom: the table that ``tests/test_url_isolation.py`` checks.

Every app keeps its rows in ``tests/<app>/url_cases.py`` as ``CASES = {"namespace:url-name": UrlCase(...)}``
(the project's own URLs — allauth's ``accounts/``, ``i18n/``, /healthz — are in tests/partnerportal). The
walker takes every URL pattern from the URLconf, the back-office's ``admin/`` alone excepted (its own
isolation tests), and fails for any pattern without a row, so a new view is checked the day it ships.

A row says how to build the URL for an object of ``world.a.partner`` (``kwargs``), and what each role gets
(see ``ROLES``, in the order they are sent). Object URLs answer 404 to every intruder ("not yours" looks
like "does not exist"); list pages answer 200, since they show the intruder's own data, and then the
owner's ``marker`` text must not be on the intruder's page. Unset answers follow the role they resemble:
the partner's sales person answers as the owner, the operator partner's technical person as the other
partner, a session of another tenant as an anonymous visitor, the superuser and B's manager as A's manager
(portal pages send them to the back-office).

A key that starts with "/" is a path answered before URL resolution (a middleware's), sent as is.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse


@dataclass(frozen=True)
class Redirect:
    """A redirect (301/302) whose target's path is the URL named ``to``, or ``to(world)`` for a callable."""

    to: str | Callable[[Any], str]

    def path(self, world) -> str:
        return reverse(self.to) if isinstance(self.to, str) else self.to(world)

    def __str__(self) -> str:
        return f"a redirect to {self.to if isinstance(self.to, str) else 'the expected page'}"


LOGIN = Redirect("account_login")  # sign in first
BACK_OFFICE = Redirect("admin:index")  # managers and the superuser work in the back-office
HOME = Redirect("partnerportal:home")  # already signed in, or done

Answer = int | Redirect

# label: who sends the request, on which host, and what the row field means.
ROLES = {
    "other_tenant": "B's partner admin, on B's host, with A's object ids",
    "other_manager": "B's manager, on B's host, with A's object ids",
    "other_partner": "the admin of A's other partner",
    "operator_member": "the technical person of A's operator partner (another partner, not an admin)",
    "foreign_session": "B's partner admin's session (opened on B) sent to A's host",
    "anonymous": "no session, on A's host",
    "manager": "A's manager",
    "superuser": "the platform superuser, signed in on A's host",
    "member": "the sales person of A's partner (the owner's colleague, not an admin)",
    "owner": "the admin of A's partner, whose object the URL names",
}
# Roles that may legitimately see the owner's data: the marker is searched on everybody else's 200 pages.
ENTITLED = ("owner", "member", "manager", "superuser")


@dataclass(frozen=True)
class UrlCase:
    kwargs: Callable[[Any], dict] = field(default=lambda world: {})  # world -> reverse() kwargs
    owner: Answer = 200
    member: Answer | None = None  # None: as the owner
    anonymous: Answer = LOGIN
    foreign_session: Answer | None = None  # None: as anonymous
    other_partner: Answer = 404
    operator_member: Answer | None = None  # None: as other_partner
    other_tenant: Answer = 404
    manager: Answer = BACK_OFFICE
    other_manager: Answer | None = None  # None: as manager
    superuser: Answer | None = None  # None: as manager
    # Text of the owner's data (world -> str) that an intruder's 200 page must not show.
    marker: Callable[[Any], str] | None = None
    # POST-only actions are sent a POST (with ``data``); the per-view tests check what a POST writes.
    method: str = "get"
    data: dict = field(default_factory=dict)

    def expected(self, role: str) -> Answer:
        answer = getattr(self, role)
        if answer is not None:
            return answer
        like = {
            "member": "owner",
            "foreign_session": "anonymous",
            "operator_member": "other_partner",
            "other_manager": "manager",
            "superuser": "manager",
        }[role]
        return getattr(self, like)


def everyone(answer: Answer, **answers: Answer) -> UrlCase:
    """A row for a page that answers the same to every role (``answers`` overrides some, or sets kwargs)."""
    return signed_in(answer, anonymous=answers.pop("anonymous", answer), **answers)


def signed_in(answer: Answer, **answers) -> UrlCase:
    """A row for a page about the signed-in person (no object of anyone else): the same answer to all of them.

    Anonymous visitors, and a session opened on another tenant's host, are sent to sign in. The owner's
    e-mail address is on no one else's page (allauth's pages show the signed-in person's).
    """
    roles = {"owner": answer, "other_partner": answer, "other_tenant": answer, "manager": answer}
    return UrlCase(**{**roles, "marker": _owners_email, **answers})


def _owners_email(world) -> str:
    return world.a.admin.email

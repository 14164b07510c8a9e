"""Reading what the duties app wrote, across tenants on purpose."""

from django_scopes import scopes_disabled

from obligations.models import DutyFulfilment


def fulfilments_of(partner) -> dict[str, DutyFulfilment]:
    """The partner's fulfilments by duty code (a once-only catalogue in these tests)."""
    with scopes_disabled():
        return {f.duty.code: f for f in DutyFulfilment.objects.filter(partner=partner).select_related("duty")}


def reload(fulfilment: DutyFulfilment) -> DutyFulfilment:
    with scopes_disabled():
        return DutyFulfilment.objects.select_related("duty").get(pk=fulfilment.pk)


def evaluate_committed(tenant, evaluation_date):
    """The real evaluation, with the after-commit work run as a committed chunk would (signal, task)."""
    from django.test import TestCase

    from tests.tiers.helpers import evaluate

    with TestCase.captureOnCommitCallbacks(execute=True):
        return evaluate(tenant, evaluation_date)

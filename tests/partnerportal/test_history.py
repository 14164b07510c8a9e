"""The audit trail of partners (django-simple-history): who changed a partner's status in the back-office or
its details in the portal, and only for the partner's own tenant."""

from django.urls import reverse
from django_scopes import scopes_disabled

from partnerportal.models import Partner


def change_form_data(response) -> dict:
    """The admin change form as the browser would post it back, inlines included."""
    data = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        data.update({f"{formset.prefix}-{k}": v for k, v in formset.management_form.initial.items()})
        forms += formset.forms
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False:
                continue
            key = form.add_prefix(name)
            data[key] = [str(v) for v in value] if isinstance(value, list | tuple) else value
    return data


def statuses(partner) -> list[tuple]:
    with scopes_disabled():
        return list(
            Partner.history.filter(id=partner.pk)
            .order_by("history_date", "history_id")
            .values_list("history_type", "status", "history_user")
        )


def test_a_status_change_in_the_back_office_is_recorded_with_the_manager(world, client_for):
    manager = client_for(world.a.tenant, world.a.manager)
    url = reverse("admin:partnerportal_partner_change", args=[world.a.partner.pk])
    data = change_form_data(manager.get(url))
    data["status"] = Partner.Status.SUSPENDED

    response = manager.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert statuses(world.a.partner)[-1] == ("~", "suspended", world.a.manager.pk)
    page = manager.get(reverse("admin:partnerportal_partner_history", args=[world.a.partner.pk]))
    assert page.status_code == 200
    assert page.context["page_obj"].object_list[0].history_user == world.a.manager


def test_a_change_in_the_portal_is_recorded_with_the_partners_person(world, client_for):
    admin = client_for(world.a.tenant, world.a.admin)

    admin.post(
        reverse("partnerportal:company"), {"city": "Lyon", "country": "FR", "preferred_language": "fr"}
    )

    with scopes_disabled():
        record = Partner.history.filter(id=world.a.partner.pk).latest()
    assert (record.city, record.history_user) == ("Lyon", world.a.admin)


def test_a_manager_cannot_read_another_tenants_partner_history(world, client_for):
    with scopes_disabled():
        record = Partner.history.filter(id=world.b.partner.pk).latest()
    manager_a = client_for(world.a.tenant, world.a.manager)

    history = reverse("admin:partnerportal_partner_history", args=[world.b.partner.pk])
    one = reverse("admin:partnerportal_partner_simple_history", args=[world.b.partner.pk, record.history_id])
    assert manager_a.get(history).status_code == 404
    assert manager_a.get(one).status_code == 404
    assert client_for(world.b.tenant, world.b.manager).get(history).status_code == 200

"""Mes devoirs with htmx (obligations/views.py): evidence sent with htmx answers the duty's card, in its new
state with the message or with the form and its errors; the same URLs still serve the plain forms; the
size limit, the CSRF check and isolation hold on the htmx path."""

import datetime as dt
import os
import re
from html import escape
from unittest import mock

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.http.multipartparser import MultiPartParser
from django.test import Client
from django.urls import reverse

from obligations.models import FulfilmentState
from tests.conftest import login_on
from tests.obligations.conftest import PDF, upload
from tests.obligations.factories import DutyFulfilmentFactory, TrainingDutyFactory
from tests.obligations.helpers import reload

TODAY = dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC)
HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def fulfilment(world):
    return DutyFulfilmentFactory(partner=world.a.partner, duty__title="Charte partenaire")


@pytest.fixture
def client(world, client_for):
    return client_for(world.a.tenant, world.a.admin)


def upload_url(fulfilment) -> str:
    return reverse("obligations:fulfilment-upload", args=[fulfilment.pk])


def card(page: str, fulfilment) -> str:
    """The duty's card (``<div id="fulfilment-<pk>">`` up to the end of the fragment or page's card)."""
    start = page.find(f'id="fulfilment-{fulfilment.pk}"')
    return "" if start < 0 else page[start:]


def files_under(root) -> list[str]:
    return [os.path.join(d, f) for d, _dirs, names in os.walk(root) for f in names]


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_the_duty_page_sends_the_document_with_htmx_and_keeps_a_plain_form(fulfilment, client):
    page = client.get(reverse("obligations:fulfilment-detail", args=[fulfilment.pk])).content.decode()
    form = re.search(r"<form[^>]*evidence-form[^>]*>", page).group(0)

    assert f'action="{upload_url(fulfilment)}"' in form and 'enctype="multipart/form-data"' in form
    assert f'hx-post="{upload_url(fulfilment)}"' in form and 'hx-encoding="multipart/form-data"' in form
    assert f'hx-target="#fulfilment-{fulfilment.pk}"' in form
    assert 'class="evidence-form__progress"' in page and "obligations/upload.js" in page
    assert "hx-on" not in page and "<html" in page


def test_an_htmx_upload_answers_the_card_in_its_new_state(world, fulfilment, client, private_root):
    response = client.post(
        upload_url(fulfilment), {"document": upload(PDF, "Charte signée.pdf")}, headers=HTMX
    )
    page = response.content.decode()

    assert response.status_code == 200 and "<html" not in page
    assert "HX-Request" in response["Vary"]
    assert reload(fulfilment).state == FulfilmentState.SUBMITTED and len(files_under(private_root)) == 1
    found = card(page, fulfilment)
    assert "Merci : votre document a été envoyé pour vérification." in found and 'role="status"' in found
    assert "Envoyé" in found and "Télécharger Charte signée.pdf" in found
    assert "En cours de vérification" in found and "<form" not in found  # nothing more to send
    assert messages_of(response) == []


def test_a_plain_upload_on_the_same_url_still_redirects(world, fulfilment, client):
    response = client.post(upload_url(fulfilment), {"document": upload()})

    assert response.status_code == 302 and response["Location"] == reverse("obligations:duty-list")
    assert "HX-Request" in response["Vary"] and len(messages_of(response)) == 1


def test_a_refused_file_comes_back_in_the_card_with_its_error(world, fulfilment, client, private_root):
    response = client.post(
        upload_url(fulfilment), {"document": upload(b"MZ\x90\x00 not a pdf", "contrat.pdf")}, headers=HTMX
    )
    found = card(response.content.decode(), fulfilment)

    # 200: htmx swaps only successful answers; the plain form gets 400 (tests/obligations/test_uploads.py).
    assert response.status_code == 200 and "<html" not in response.content.decode()
    assert "ni un PDF, ni une image PNG ou JPEG" in found and "hx-post" in found  # the form, to try again
    assert reload(fulfilment).state == FulfilmentState.TO_DO and files_under(private_root) == []


def test_a_body_over_the_limit_is_refused_unread_on_the_htmx_path_too(
    world, fulfilment, client, private_root
):
    big = PDF + b"0" * (11 * 1024 * 1024)
    read = []
    with mock.patch.object(MultiPartParser, "parse", side_effect=lambda *a: read.append(1)):
        response = client.post(upload_url(fulfilment), {"document": upload(big)}, headers=HTMX)

    found = card(response.content.decode(), fulfilment)
    assert response.status_code == 200 and ("10,0" in found or "10.0" in found)
    assert read == [] and files_under(private_root) == []


def test_the_htmx_upload_still_needs_the_csrf_token_which_htmx_sends_as_a_header(world, fulfilment):
    client = login_on(Client(HTTP_HOST=world.a.host, enforce_csrf_checks=True), world.a.admin, world.a.tenant)
    page = client.get(reverse("obligations:fulfilment-detail", args=[fulfilment.pk])).content.decode()
    token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)  # <body hx-headers=…> (base.html)

    assert client.post(upload_url(fulfilment), {"document": upload()}, headers=HTMX).status_code == 403
    assert reload(fulfilment).state == FulfilmentState.TO_DO
    response = client.post(
        upload_url(fulfilment), {"document": upload()}, headers={**HTMX, "X-CSRFToken": token}
    )
    assert response.status_code == 200 and reload(fulfilment).state == FulfilmentState.SUBMITTED


def test_another_partners_duty_cannot_be_sent_to_with_htmx(world, fulfilment, client_for, private_root):
    training = DutyFulfilmentFactory(
        partner=world.a.partner, duty=TrainingDutyFactory(tenant=world.a.tenant, title="Webinar")
    )
    for tenant, user in ((world.a.tenant, world.a.other_admin), (world.b.tenant, world.b.admin)):
        intruder = client_for(tenant, user)
        assert intruder.post(upload_url(fulfilment), {"document": upload()}, headers=HTMX).status_code == 404
        declared = intruder.post(
            reverse("obligations:fulfilment-training", args=[training.pk]),
            {"trainee": user.pk, "course": "Webinar", "completed_on": "2026-11-02"},
            headers=HTMX,
        )
        assert declared.status_code == 404
    assert reload(fulfilment).state == reload(training).state == FulfilmentState.TO_DO
    assert files_under(private_root) == []


def test_a_training_declared_with_htmx_answers_the_card(world, client_for):
    f = DutyFulfilmentFactory(
        partner=world.a.partner, duty=TrainingDutyFactory(tenant=world.a.tenant, title="Webinar Trunk SIP")
    )
    url = reverse("obligations:fulfilment-training", args=[f.pk])
    client = client_for(world.a.tenant, world.a.sales)

    future = client.post(
        url, {"trainee": world.a.sales.pk, "course": "Trunk SIP", "completed_on": "2026-12-02"}, headers=HTMX
    )
    assert future.status_code == 200 and reload(f).state == FulfilmentState.TO_DO
    assert escape("Une formation se déclare une fois qu'elle a eu lieu.") in card(future.content.decode(), f)

    ok = client.post(
        url, {"trainee": world.a.sales.pk, "course": "Trunk SIP", "completed_on": "2026-11-02"}, headers=HTMX
    )
    found = card(ok.content.decode(), f)
    assert ok.status_code == 200 and "HX-Request" in ok["Vary"]
    assert "Merci : votre formation a été envoyée pour vérification." in found
    assert "Trunk SIP" in found and reload(f).state == FulfilmentState.SUBMITTED


def test_the_cards_query_count_is_bounded(world, client, django_assert_max_num_queries):
    for n in range(10):  # other duties of the partner: the card reads one
        DutyFulfilmentFactory(partner=world.a.partner, duty__title=f"Extra {n}")
    fulfilment = DutyFulfilmentFactory(partner=world.a.partner, duty__title="Charte partenaire")

    # Middleware (4); the duty; the service's update (and savepoints); the duty again, as it now stands.
    with django_assert_max_num_queries(12):
        response = client.post(upload_url(fulfilment), {"document": upload()}, headers=HTMX)
    assert response.status_code == 200

"""The registries through which apps plug into the core: demo steps, partners' list columns, entitlements."""

import io
import json
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.apps import apps as django_apps
from django.conf import settings
from django.contrib import admin
from django.core.management import CommandError, call_command
from django.utils.module_loading import import_string

from partnerportal import demo, entitlements
from partnerportal.admin import PartnerListExtension, _partner_list_extensions
from partnerportal.drill.scenarios import scenarios
from partnerportal.models import Partner


@pytest.fixture
def steps(monkeypatch):
    """An empty registry of demo steps (the apps' own are registered again by the autodiscovery)."""
    registry: dict = {}
    monkeypatch.setattr(demo, "_steps", registry)
    monkeypatch.setattr(demo, "autodiscover_modules", lambda *names: None)
    return registry


def test_demo_steps_run_after_the_steps_they_name(steps):
    demo.register("c", after=("b",))(lambda context: "c")
    demo.register("a")(lambda context: "a")
    demo.register("b", after=("a", "removed-app"))(lambda context: "b")  # a removed app is no dependency

    assert [step.name for step in demo.demo_steps()] == ["a", "b", "c"]


def test_demo_steps_in_a_circle_are_refused(steps):
    demo.register("a", after=("b",))(lambda context: "a")
    demo.register("b", after=("a",))(lambda context: "b")

    with pytest.raises(ValueError, match="circle"):
        demo.demo_steps()


def test_every_installed_app_contributes_its_demo_step():
    names = [step.name for step in demo.demo_steps()]

    assert names.index("tiers.programme") < names.index("tiers.evaluations")
    for name in ("benefits", "obligations"):
        if name in names:
            assert names.index(name) > names.index("tiers.evaluations")


def test_the_partners_list_shows_the_registered_columns_and_filters(world, client_for, monkeypatch):
    @admin.display(description="Colour of the test")
    def colour(partner):
        return f"colour-of-{partner.external_ref}"

    extra = PartnerListExtension(column=colour, before="status", list_filter="city")
    monkeypatch.setattr("partnerportal.admin._partner_list_extensions", [*_partner_list_extensions, extra])

    response = client_for(world.a.tenant, world.a.manager).get("/admin/partnerportal/partner/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "Colour of the test" in html and f"colour-of-{world.a.partner.external_ref}" in html
    assert world.b.partner.external_ref not in html
    assert "?city=" in html  # the filter


def entitlements_json(*args) -> dict:
    out = io.StringIO()
    call_command("entitlements", *args, stdout=out)
    return json.loads(out.getvalue())


def test_entitlements_prints_the_registered_sections_in_order(world, monkeypatch):
    monkeypatch.setattr(entitlements, "_sections", {})
    entitlements.register("later", lambda *, partner, as_of: as_of.isoformat(), order=50)
    entitlements.register("first", lambda *, partner, as_of: entitlements.money(partner.pk * 1), order=5)

    data = entitlements_json(
        "--tenant", "alpha", "--partner", world.a.partner.external_ref, "--as-of", "2026-03-31"
    )

    assert list(data) == ["partner", "type", "first", "later"]
    assert data["partner"] == world.a.partner.external_ref
    assert data["type"] == "ambassador"
    assert data["first"] == f"{world.a.partner.pk}.00" and data["later"] == "2026-03-31"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--tenant", "nowhere", "--partner", "X"), "No tenant 'nowhere'"),
        (("--tenant", "bravo", "--partner", "REF"), "No partner '.*' in tenant 'bravo'"),
        (("--tenant", "alpha", "--partner", "REF", "--as-of", "31/03/2026"), "is not a date"),
    ],
)
def test_entitlements_says_what_is_wrong(world, args, message):
    args = tuple(world.a.partner.external_ref if a == "REF" else a for a in args)

    with pytest.raises(CommandError, match=message):
        call_command("entitlements", *args, stdout=io.StringIO())


def test_a_partner_of_another_tenant_is_not_found_through_this_one(world):
    assert Partner.objects.with_scopes_disabled().filter(external_ref=world.b.partner.external_ref).exists()
    with pytest.raises(CommandError, match="No partner"):
        call_command("entitlements", "--tenant", "alpha", "--partner", world.b.partner.external_ref)


def test_the_drills_scenarios_come_from_their_apps():
    found = scenarios()

    assert [(scenario.run.__module__, scenario.name) for scenario in found] == [
        ("tiers.drill", "worker killed mid regrade"),
        ("tiers.drill", "postgres restarted mid import"),
        ("benefits.drill", "redis down while browsing"),
        ("documents.drill", "pdf task failing"),
    ]
    infra = SimpleNamespace(fault=Path("/tmp/fault"))
    assert found[-1].environ(infra)["DRILL_STORAGE_FAULT"] == "/tmp/fault"
    assert import_string(found[-1].environ(infra)["DOCUMENTS_STORAGE_BACKEND"])


def test_the_core_names_no_app():
    """Apps plug into the core's registries; the core imports none of them (its migrations aside)."""
    apps = {config.name for config in django_apps.get_app_configs()} - {"partnerportal"}
    local = {name for name in apps if (Path(settings.BASE_DIR) / name).is_dir()}
    pattern = re.compile(rf"^\s*(?:from|import)\s+({'|'.join(map(re.escape, sorted(local)))})\b", re.M)
    offenders = [
        f"{path.relative_to(settings.BASE_DIR)}: {match.group(0).strip()}"
        for path in (Path(settings.BASE_DIR) / "partnerportal").rglob("*.py")
        if "migrations" not in path.parts
        for match in pattern.finditer(path.read_text())
    ]
    assert local and not offenders

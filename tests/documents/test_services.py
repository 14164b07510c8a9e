"""Services of the documents app: issuing (read back with pypdf), revoking, tier changes, e-mails."""

import datetime as dt

import pytest
from django.core.files.storage import FileSystemStorage
from django.utils import translation
from django_scopes import scopes_disabled
from pypdf import PdfReader

from documents import services
from documents.models import Document
from partnerportal.formatting import date_format
from partnerportal.models import TenantDomain
from tests.documents.factories import documents_of, pdf_of, pdf_text, stored_files
from tests.partnerportal.factories import MembershipFactory, PartnerFactory
from tests.tiers.factories import add_revenue
from tests.tiers.helpers import JANUARY_2026, JULY_2026, evaluate

JULY = dt.date(2026, 7, 1)


def issue(partner, kind, **kwargs) -> Document:
    with scopes_disabled():  # the service reads the partner's apps through their selectors
        return services.document_issue(partner=partner, kind=kind, **kwargs)


def changes(tenant_id, rows, today=JULY, **kwargs) -> list[Document]:
    with scopes_disabled():
        return services.tier_changes_documents(tenant_id=tenant_id, changes=rows, today=today, **kwargs)


def pages(document: Document) -> int:
    with document.file.open("rb") as handle:
        return len(PdfReader(handle).pages)


def date_in(language: str, day: dt.date) -> str:
    with translation.override(language):
        return date_format(day, "DATE_FORMAT")  # "1er juillet 2026" in French


def squeezed(text: str) -> str:
    return "".join(text.split())


# --- the documents read back -------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_diploma_is_one_page_with_the_name_tier_dates_and_code(programme, language):
    partner = programme.partner(legal_name="Armor Télécom SAS", preferred_language=language)

    diploma = issue(partner, Document.Kind.DIPLOMA, tier=programme.tiers["business"], today=JULY)

    assert pages(diploma) == 1
    text = pdf_text(pdf_of(diploma))
    assert "Armor Télécom SAS" in text and "Business" in text
    assert (diploma.issued_on, diploma.valid_until) == (JULY, dt.date(2026, 12, 31))  # until 1 January
    assert date_in(language, JULY) in text and date_in(language, dt.date(2026, 12, 31)) in text
    assert diploma.code in squeezed(text) and len(diploma.code) >= 22  # 128 random bits
    assert (diploma.language, diploma.size) == (language, len(pdf_of(diploma)))
    assert PdfReader(diploma.file.open("rb")).attachments == {}


def test_a_phone_reads_the_diplomas_qr_code_as_its_verification_address(programme, settings):
    """The page rasterised at 150 dpi (a photo of a printed diploma is coarser) and decoded by ZXing."""
    pdfium = pytest.importorskip("pypdfium2")
    zxingcpp = pytest.importorskip("zxingcpp")
    settings.PORTAL_URL = "https://{host}"
    host = TenantDomain.objects.get(tenant=programme.tenant, is_primary=True).host
    diploma = issue(programme.partner(), Document.Kind.DIPLOMA, tier=programme.tiers["premium"], today=JULY)

    document = pdfium.PdfDocument(pdf_of(diploma))
    try:
        image = document[0].render(scale=150 / 72).to_pil()
    finally:
        document.close()
    codes = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)

    assert [code.text for code in codes] == [f"https://{host}/verify/{diploma.code}"]


def test_the_packs_run_to_several_pages_for_their_partner(programme):
    partner = programme.partner(legal_name="Provence Voix & Data SARL")

    welcome = issue(partner, Document.Kind.WELCOME_PACK, today=JULY)
    booster = issue(partner, Document.Kind.BOOSTER_PACK, tier=programme.tiers["access"], today=JULY)

    assert pages(welcome) > 1 and pages(booster) > 1
    assert welcome.tier == programme.tiers["starter"]  # no assessment yet: the entry tier
    assert welcome.valid_until is None and booster.valid_until is None
    for document, tier in ((welcome, "Starter"), (booster, "Access")):
        text = pdf_text(pdf_of(document))
        assert "Provence Voix & Data SARL" in text and tier in text


def test_a_document_is_stored_under_a_name_of_the_servers(programme):
    partner = programme.partner(legal_name="../../etc/passwd")

    document = issue(partner, Document.Kind.DIPLOMA, tier=programme.tiers["premium"], today=JULY)

    name = document.file.name
    assert name.startswith(f"tenants/{programme.tenant.pk}/documents/diploma/") and name.endswith(".pdf")
    assert "passwd" not in name and ".." not in name


# --- the previous document stays until the new one exists --------------------------------------------


def test_a_new_diploma_replaces_the_previous_once_it_exists(programme):
    partner = programme.partner()
    first = issue(partner, Document.Kind.DIPLOMA, tier=programme.tiers["business"], today=JULY)

    second = issue(partner, Document.Kind.DIPLOMA, tier=programme.tiers["business"], today=JULY)

    first, second = documents_of(partner)
    assert first.revocation == Document.Revocation.REPLACED and first.revoked_at is not None
    assert second.revoked_at is None
    assert first.file.storage.exists(first.file.name)  # the old file stays downloadable


def test_a_storage_failure_leaves_the_previous_diploma_valid_and_no_row(programme, monkeypatch):
    partner = programme.partner()
    first = issue(partner, Document.Kind.DIPLOMA, tier=programme.tiers["business"], today=JULY)

    def full_disk(self, name, content):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(FileSystemStorage, "_save", full_disk)
    with pytest.raises(OSError, match="No space left"):
        issue(partner, Document.Kind.DIPLOMA, tier=programme.tiers["business"], today=JULY)

    assert documents_of(partner) == [first]
    first.refresh_from_db()
    assert first.revoked_at is None and first.file.storage.exists(first.file.name)


def test_a_failure_to_record_removes_the_new_file(programme, monkeypatch):
    partner = programme.partner()
    first = issue(partner, Document.Kind.DIPLOMA, tier=programme.tiers["business"], today=JULY)
    files = stored_files()
    real_save = Document.save

    def failing_save(self, *args, **kwargs):
        real_save(self, *args, **kwargs)
        raise RuntimeError("the database went away")

    monkeypatch.setattr(Document, "save", failing_save)
    with pytest.raises(RuntimeError):
        issue(partner, Document.Kind.DIPLOMA, tier=programme.tiers["business"], today=JULY)

    monkeypatch.undo()
    assert stored_files() == files
    assert documents_of(partner) == [first] and documents_of(partner)[0].revoked_at is None


# --- welcome pack, revocation, renewal ---------------------------------------------------------------


def test_the_welcome_pack_is_issued_once(programme):
    partner = programme.partner()

    with scopes_disabled():
        first = services.welcome_pack_issue(partner=partner, today=JULY, notify=False)
        again = services.welcome_pack_issue(partner=partner, today=JULY, notify=False)

    assert first is not None and again is None
    assert documents_of(partner) == [first]


def test_no_welcome_pack_before_the_programme_has_a_tier(world):
    with scopes_disabled():
        assert services.welcome_pack_issue(partner=world.a.partner, notify=False) is None
    assert documents_of(world.a.partner) == []


def test_diplomas_revoke_keeps_the_diploma_of_the_tier_named(programme, django_assert_num_queries):
    kept, other = programme.partner(), programme.partner()
    business, premium = programme.tiers["business"], programme.tiers["premium"]
    kept_diploma = issue(kept, Document.Kind.DIPLOMA, tier=premium, today=JULY)
    other_diploma = issue(other, Document.Kind.DIPLOMA, tier=business, today=JULY)

    with scopes_disabled(), django_assert_num_queries(2):
        revoked = services.diplomas_revoke(
            partner_ids=[kept.pk, other.pk],
            reason=Document.Revocation.TIER_CHANGED,
            keep_tier_ids={kept.pk: premium.pk, other.pk: premium.pk},
        )

    kept_diploma.refresh_from_db()
    other_diploma.refresh_from_db()
    assert revoked == 1
    assert kept_diploma.revoked_at is None
    assert other_diploma.revocation == Document.Revocation.TIER_CHANGED


def test_diplomas_renew_gives_a_confirmed_partner_its_diploma_for_the_new_period(programme):
    """The July evaluation keeps a Business partner at Business: no tier_changed, and its January diploma
    runs out on 30 June. The renewal waits for the evaluation, then dates the new one from it."""
    business = programme.tiers["business"]
    confirmed, at_access, suspended = programme.partner(), programme.partner(), programme.partner()
    for partner, amount in ((confirmed, "1500"), (at_access, "600"), (suspended, "1500")):
        add_revenue(partner, amount, start=dt.date(2025, 7, 1), months=12)
    evaluate(programme.tenant, JANUARY_2026)  # its tier_changed waits for a commit that never comes
    expired = issue(confirmed, Document.Kind.DIPLOMA, tier=business, today=JANUARY_2026)
    suspended.status = "suspended"
    suspended.save()

    def renew(day):
        with scopes_disabled():
            return services.diplomas_renew(tenant=programme.tenant, today=day, notify=False)

    assert renew(dt.date(2026, 6, 30)) == []  # the January diploma is still valid
    assert renew(dt.date(2026, 7, 2)) == []  # the July evaluation has not run: tiers may still change
    evaluate(programme.tenant, JULY_2026)
    renewed, again = renew(dt.date(2026, 7, 2)), renew(dt.date(2026, 7, 2))

    assert [d.partner for d in renewed] == [confirmed] and again == []
    assert (renewed[0].tier, renewed[0].issued_on, renewed[0].valid_until) == (
        business,
        JULY,
        dt.date(2026, 12, 31),
    )
    expired.refresh_from_db()
    assert expired.revocation == Document.Revocation.REPLACED


def test_diplomas_revoke_inactive_catches_up_a_bulk_status_update(programme):
    partner, active = programme.partner(), programme.partner()
    diploma = issue(partner, Document.Kind.DIPLOMA, tier=programme.tiers["business"], today=JULY)
    kept = issue(active, Document.Kind.DIPLOMA, tier=programme.tiers["business"], today=JULY)
    with scopes_disabled():
        type(partner).objects.filter(pk=partner.pk).update(status="terminated")  # no signal
        assert services.diplomas_revoke_inactive(tenant=programme.tenant) == 1

    diploma.refresh_from_db()
    kept.refresh_from_db()
    assert diploma.revocation == Document.Revocation.SUSPENDED and kept.revoked_at is None


# --- tier changes ------------------------------------------------------------------------------------


def test_tier_changes_revoke_the_tier_left_and_issue_what_the_new_tier_awards(programme):
    t = {code: tier.pk for code, tier in programme.tiers.items()}
    down, up, jumped, sideways, first, fell = (programme.partner() for _ in range(6))
    old_diploma = issue(
        down, Document.Kind.DIPLOMA, tier=programme.tiers["business"], today=dt.date(2026, 1, 1)
    )

    issued = changes(
        programme.tenant.pk,
        [
            (down.pk, t["business"], t["access"]),  # down onto the booster tier: no booster pack
            (up.pk, t["starter"], t["access"]),  # reached Access from below: booster pack
            (jumped.pk, t["starter"], t["business"]),  # jumped past Access: booster pack and diploma
            (sideways.pk, t["business"], t["premium"]),  # Premium: diploma only
            (first.pk, None, t["access"]),  # first assessment, from the entry tier: booster pack
            (fell.pk, t["premium"], t["starter"]),  # nothing
        ],
    )

    got = sorted((d.partner_id, d.kind, d.tier.code) for d in issued)
    assert got == sorted(
        [
            (up.pk, "booster_pack", "access"),
            (jumped.pk, "booster_pack", "business"),
            (jumped.pk, "diploma", "business"),
            (sideways.pk, "diploma", "premium"),
            (first.pk, "booster_pack", "access"),
        ]
    )
    old_diploma.refresh_from_db()
    assert old_diploma.revocation == Document.Revocation.TIER_CHANGED
    assert all(d.issued_on == JULY for d in issued)


def test_tier_changes_run_twice_issue_nothing_twice(programme):
    t = {code: tier.pk for code, tier in programme.tiers.items()}
    partner = programme.partner()
    rows = [(partner.pk, t["starter"], t["business"])]

    first = changes(programme.tenant.pk, rows)
    second = changes(programme.tenant.pk, rows)

    assert len(first) == 2 and second == []
    assert all(d.revoked_at is None for d in documents_of(partner))


def test_a_suspended_partner_in_a_chunk_gets_nothing_and_loses_its_diploma(programme):
    t = {code: tier.pk for code, tier in programme.tiers.items()}
    partner = programme.partner()
    old = issue(partner, Document.Kind.DIPLOMA, tier=programme.tiers["business"], today=dt.date(2026, 1, 1))
    with scopes_disabled():
        type(partner).objects.filter(pk=partner.pk).update(status="suspended")

    assert changes(programme.tenant.pk, [(partner.pk, t["business"], t["premium"])]) == []
    old.refresh_from_db()
    assert old.revoked_at is not None


# --- e-mails -----------------------------------------------------------------------------------------


def test_each_new_document_is_one_email_to_the_partners_admins_in_its_language(
    programme, mailoutbox, django_capture_on_commit_callbacks
):
    t = {code: tier.pk for code, tier in programme.tiers.items()}
    french = programme.partner(legal_name="Armor Télécom", preferred_language="fr")
    english = programme.partner(legal_name="Channel Partners Ltd", preferred_language="en")
    admin = MembershipFactory(partner=french, user__email="yann@armor.test")
    other_admin = MembershipFactory(partner=french, user__email="gwen@armor.test")
    MembershipFactory(partner=french, role="sales", user__email="sales@armor.test")
    MembershipFactory(partner=french, user__email="gone@armor.test", user__is_active=False)
    MembershipFactory(partner=english, user__email="jo@channel.test")
    neighbour = PartnerFactory(tenant=programme.tenant, partner_type=programme.ambassador)
    MembershipFactory(partner=neighbour, user__email="neighbour@elsewhere.test")

    with django_capture_on_commit_callbacks(execute=True):
        issued = changes(
            programme.tenant.pk,
            [(french.pk, t["starter"], t["business"]), (english.pk, t["business"], t["premium"])],
        )

    assert len(issued) == 3 and len(mailoutbox) == 3  # French: booster pack and diploma; English: diploma
    to_french = [m for m in mailoutbox if "yann@armor.test" in m.to]
    assert len(to_french) == 2
    assert all(sorted(m.to) == sorted([admin.user.email, other_admin.user.email]) for m in to_french)
    [to_english] = [m for m in mailoutbox if m.to == ["jo@channel.test"]]
    assert date_in("en", dt.date(2026, 12, 31)) in to_english.body
    [french_diploma] = [m for m in to_french if "Business" in m.body and "31" in m.body]
    assert date_in("fr", dt.date(2026, 12, 31)) in french_diploma.body
    assert "http://dstny.localhost:8000/documents/" in to_english.body
    assert not any("neighbour@elsewhere.test" in m.to for m in mailoutbox)


def test_no_email_before_commit_nor_without_notify(programme, mailoutbox, django_capture_on_commit_callbacks):
    partner = programme.partner()
    MembershipFactory(partner=partner)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        issue(partner, Document.Kind.DIPLOMA, tier=programme.tiers["business"], today=JULY)
    assert mailoutbox == [] and len(callbacks) == 1

    with django_capture_on_commit_callbacks(execute=True):
        issue(partner, Document.Kind.DIPLOMA, tier=programme.tiers["business"], today=JULY, notify=False)
    assert mailoutbox == []


def test_a_mail_server_down_is_logged_and_the_document_kept(
    programme, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    partner = programme.partner()
    MembershipFactory(partner=partner)

    def down(self, messages):
        raise ConnectionRefusedError("SMTP server down")

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", down)
    with django_capture_on_commit_callbacks(execute=True):
        document = issue(partner, Document.Kind.DIPLOMA, tier=programme.tiers["business"], today=JULY)

    assert documents_of(partner) == [document]
    assert "SMTP server down" in caplog.text


def test_a_chunk_costs_a_fixed_number_of_queries_besides_the_documents_it_issues(
    programme, django_assert_num_queries
):
    t = {code: tier.pk for code, tier in programme.tiers.items()}
    partners = [programme.partner() for _ in range(12)]
    down = [(p.pk, t["premium"], t["starter"]) for p in partners]  # nothing to issue, diplomas to revoke
    for partner in partners[:4]:
        issue(partner, Document.Kind.DIPLOMA, tier=programme.tiers["premium"], today=dt.date(2026, 1, 1))

    # The valid diplomas, their revocation, the ladder, the partners, what a first run issued.
    with django_assert_num_queries(5):
        assert changes(programme.tenant.pk, down) == []

    assert all(d.revoked_at for p in partners[:4] for d in documents_of(p))

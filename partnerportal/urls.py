from django.apps import apps
from django.contrib import admin
from django.urls import include, path

from . import logos, views

portal_patterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("team/", views.TeamView.as_view(), name="team"),
    path("team/invite/", views.InvitationCreateView.as_view(), name="invitation-create"),
    path("team/invitations/<int:pk>/revoke/", views.InvitationRevokeView.as_view(), name="invitation-revoke"),
    path("team/<int:pk>/profile/", views.MembershipUpdateView.as_view(), name="membership-update"),
    path("team/<int:pk>/remove/", views.MembershipDeleteView.as_view(), name="membership-delete"),
    path("company/", views.CompanyView.as_view(), name="company"),
    path("invitations/<str:token>/", views.InvitationAcceptView.as_view(), name="invitation-accept"),
    path("branding.css", views.branding_css, name="branding-css"),
    # Public, on the tenant's host: the logo of the sign-in page too; any name but its file's is a 404.
    path("logo/<str:name>", logos.tenant_logo, name="tenant-logo"),
]

# The apps' portal sections, each under its own prefix; an app removed from INSTALLED_APPS takes its URLs along.
APP_URLS = (
    ("status/", "tiers"),
    ("benefits/", "benefits"),
    ("duties/", "obligations"),
    ("promos/", "promos"),
    ("", "documents"),  # /documents/ and the public /verify/<code>
    ("", "recruitment"),  # the public /programme/ and /apply/
    ("experts/", "experts"),
    ("leads/", "leads"),
)

urlpatterns = [
    path("", include((portal_patterns, "partnerportal"))),
    *(path(prefix, include(f"{app}.urls")) for prefix, app in APP_URLS if apps.is_installed(app)),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("partnerportal.bench.urls")),  # empty unless served by bench_pages (bench/settings.py)
    path("admin/", admin.site.urls),
]

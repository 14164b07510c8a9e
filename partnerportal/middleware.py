"""Request plumbing: health check, tenant from host, membership and language of the signed-in person."""

from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponseNotFound
from django.utils import translation
from django.utils.cache import add_never_cache_headers

from .health import healthz
from .models import Membership
from .tenancy import tenant_for_host, tenant_scope

SESSION_TENANT_KEY = "tenant_id"


class HealthCheckMiddleware:
    """Answer /healthz before tenant resolution: load balancers probe by IP, not by a tenant's host."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path in ("/healthz", "/healthz/"):
            return healthz(request)
        return self.get_response(request)


class TenantMiddleware:
    """Resolve ``request.tenant`` from the Host header once, and run the rest of the request in its scope.

    An unknown host gets a plain 404 that names no tenant.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        tenant = tenant_for_host(request.get_host())
        if tenant is None:
            return HttpResponseNotFound("Unknown portal.", content_type="text/plain; charset=utf-8")
        request.tenant = tenant
        with tenant_scope(tenant):
            response = self.get_response(request)
            # Render lazily-rendered responses inside the scope so that their queries are scoped too.
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()
            return response


class MembershipMiddleware:
    """Bind the signed-in person to this tenant.

    A session belongs to the tenant it was opened on (see ``signals.bind_session_to_tenant``); on any other
    tenant's host, or once the person's membership is gone, the request is anonymous. Sets
    ``request.membership`` and ``request.partner`` (None for managers and anonymous visitors) and the
    language: the language cookie, else the person's or partner's preference, else the tenant default.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = None
        request.partner = None
        user = request.user
        if user.is_authenticated:
            membership = (
                Membership.objects.filter(user=user)
                .select_related(
                    "partner", "partner__partner_type", "partner__operator_plan", "partner__channel_manager"
                )
                .first()
            )
            bound_here = request.session.get(SESSION_TENANT_KEY) == request.tenant.pk
            if not bound_here or not (membership or user.is_superuser):
                request.user = AnonymousUser()
            else:
                request.membership = membership
                request.partner = membership.partner if membership else None
                if request.partner is not None:
                    request.partner.tenant = request.tenant  # the same row: spare every page a query
        self._activate_language(request)
        return self.get_response(request)

    @staticmethod
    def _activate_language(request):
        from django.conf import settings

        if request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) in dict(settings.LANGUAGES):
            return  # LocaleMiddleware already activated the visitor's explicit choice
        language = request.tenant.default_language
        if request.user.is_authenticated:
            language = (
                request.user.preferred_language
                or (request.partner.preferred_language if request.partner else "")
                or language
            )
        translation.activate(language)
        request.LANGUAGE_CODE = language


class PrivateCacheMiddleware:
    """Keep pages out of shared caches (proxies, CDNs) and out of the browser's store.

    A response that says nothing about caching gets ``Cache-Control: max-age=0, no-cache, no-store,
    must-revalidate, private``: a partner's page, a sign-in form with its CSRF token, a back-office list.
    Responses that chose their own policy keep it: the public stylesheets of a tenant's colours, logos with a
    long lifetime, downloads that already say ``private, no-store``. Static files never get here (WhiteNoise
    answers them first, with its own headers).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
        return response

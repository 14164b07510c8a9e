"""The application form's limit per client address, kept the way allauth keeps its sign-in limits.

allauth's rate-limit machinery (``allauth.core.internal.ratelimit``) is reused rather than copied: the same
client address (its adapter's ``get_client_ip``, which trusts ``TRUSTED_PROXY_COUNT`` hops of
X-Forwarded-For), the same sliding window in the cache, the same rate syntax ("10/h/ip"). Its keys start
with "allauth:rl:", which ``partnerportal.tenancy.tenant_cache_key`` keeps out of the tenant partitions:
one address gets one allowance across every tenant's host, as for sign-in failures.

The module is allauth's internal one (its public ``allauth.core.ratelimit`` reads the account app's
settings only); ``tests/recruitment`` would fail on an upgrade that changed it.
"""

from allauth.core.internal import ratelimit
from django.conf import settings

APP = "recruitment"
ACTION = "apply"


def _config() -> dict[str, str]:
    return {ACTION: settings.RECRUITMENT_APPLY_RATE_LIMIT}


def apply_allowed(request) -> bool:
    """Count this POST against the client's address; False once it is over the limit (nothing counted)."""
    return ratelimit.consume(request, app=APP, action=ACTION, config=_config()) is not None


def retry_after_seconds() -> int:
    """The longest window of the configured rates: when the client may be sure to be let in again."""
    rates = ratelimit.get_rates(app=APP, action=ACTION, config=_config())
    return int(max((rate.duration for rate in rates), default=0))

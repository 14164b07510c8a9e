"""A Redis cache that an outage of Redis turns into a cache miss instead of an error page.

The cache here only saves work (tier catalogues, projections) or keeps counters; every page can be made
without it. Django's RedisCache raises ``redis.ConnectionError`` from every call while Redis is down, so
each page would answer 500. This one logs the failure, answers as an empty cache (``get`` gives the
default, ``set`` stores nothing, ``add`` says the key was not added — so that allauth's used-TOTP-code
check refuses a code rather than letting one be replayed), and, for ``RETRY_AFTER`` seconds after a failure,
does not even try, so that pages do not each wait for a connection that will not come. Short socket
timeouts (settings) keep a Redis that hangs from holding a request for long.
"""

import logging
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError, TimeoutError

logger = logging.getLogger("partnerportal.cache")

RETRY_AFTER = 5.0  # seconds without a try after a failure
DOWN = (ConnectionError, TimeoutError, OSError)


class ResilientRedisCache(RedisCache):
    _down_until = 0.0

    def _call(self, method: str, miss, *args, **kwargs):
        if time.monotonic() < self._down_until:
            return miss
        try:
            return getattr(super(), method)(*args, **kwargs)
        except DOWN as exc:
            self._down_until = time.monotonic() + RETRY_AFTER
            logger.warning(
                "cache unavailable (%s): %s answered as a miss for %.0f s", exc, method, RETRY_AFTER
            )
            return miss

    def get(self, key, default=None, version=None):
        return self._call("get", default, key, default=default, version=version)

    def get_many(self, keys, version=None):
        return self._call("get_many", {}, keys, version=version)

    def has_key(self, key, version=None):
        return self._call("has_key", False, key, version=version)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("add", False, key, value, timeout=timeout, version=version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set", None, key, value, timeout=timeout, version=version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set_many", list(data), data, timeout=timeout, version=version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("touch", False, key, timeout=timeout, version=version)

    def delete(self, key, version=None):
        return self._call("delete", False, key, version=version)

    def delete_many(self, keys, version=None):
        return self._call("delete_many", None, keys, version=version)

    def incr(self, key, delta=1, version=None):
        # A missing key raises ValueError in Django's caches: the caller handles it as a miss already.
        if time.monotonic() < self._down_until:
            raise ValueError(f"Key '{key}' not found (cache unavailable)")
        try:
            return super().incr(key, delta, version)
        except DOWN as exc:
            self._down_until = time.monotonic() + RETRY_AFTER
            raise ValueError(f"Key '{key}' not found (cache unavailable)") from exc

    def clear(self):
        return self._call("clear", False)

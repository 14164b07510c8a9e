"""Redis down is a cache miss, not a 500 (issue 11, the drill's "Redis down while partners browse")."""

from django.core.cache.backends.redis import RedisCache

from partnerportal.cache import ResilientRedisCache


def make_cache():
    # Port 1: nothing listens, every call is refused at once.
    return ResilientRedisCache("redis://127.0.0.1:1/0", {"OPTIONS": {"socket_connect_timeout": 1}})


def test_redis_down_answers_as_an_empty_cache():
    cache = make_cache()
    assert cache.get("catalogue", "default") == "default"
    assert cache.set("catalogue", [1, 2]) is None
    assert cache.add("totp-used", "y") is False  # a used TOTP code is refused rather than replayed
    assert cache.get_or_set("projection", 42) == 42
    assert cache.get_many(["a", "b"]) == {}
    assert cache.delete("catalogue") is False


def test_after_a_failure_redis_is_left_alone_for_a_while(monkeypatch):
    cache = make_cache()
    calls = []
    original = RedisCache.get

    def counting_get(self, *args, **kwargs):
        calls.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(RedisCache, "get", counting_get)
    cache.get("a")
    cache.get("b")
    assert len(calls) == 1


def test_settings_use_it_for_a_redis_cache_url():
    import os
    import subprocess
    import sys

    code = "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])"
    env = {
        **os.environ,
        "CACHE_URL": "redis://127.0.0.1:6379/1",
        "DJANGO_SETTINGS_MODULE": "partnerportal.settings",
    }
    out = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert out.stdout.strip() == "partnerportal.cache.ResilientRedisCache", out.stderr

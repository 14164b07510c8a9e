"""The test suite is a package (as is each tests/<app>/), so that every app can have its own
test_views.py, test_services.py… under pytest's default "prepend" import mode, which needs unique module
names otherwise. Shared helpers are imported from the rootdir: ``from tests.isolation import
assert_isolated``, ``from tests.partnerportal.factories import PartnerFactory``.
"""

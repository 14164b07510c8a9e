import pytest


@pytest.fixture(autouse=True)
def _documents_storage(settings, tmp_path):
    """Documents go to a folder of the test's own, never to the project's private folder."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.MEDIA_ROOT = tmp_path / "media"

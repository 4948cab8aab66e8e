"""The release tests share one wheel, built from the checkout and installed (not editable)
into one fresh venv per session: building and installing it is most of a minute."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.release.rehearsal import build_and_install


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fresh venv's bin/, with the wheel installed in it."""
    return build_and_install(tmp_path_factory.mktemp("wheel"))

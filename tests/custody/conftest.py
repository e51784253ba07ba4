from __future__ import annotations

import pytest

from tests.conftest import Api
from tests.custody.channel import Channel


@pytest.fixture
def channel(api: Api, demo_url: str) -> Channel:
    return Channel(api, demo_url)

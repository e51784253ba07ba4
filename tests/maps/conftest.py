from __future__ import annotations

import pytest

from tests.conftest import Api
from tests.violations.market import Market


@pytest.fixture
def market(api: Api) -> Market:
    return Market(api)

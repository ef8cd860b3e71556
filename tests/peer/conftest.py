import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from ggpeer import fsk_bin  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def _cli_built():
    b = fsk_bin()
    assert b.exists(), f"{b} missing: build it with `cargo build --release` (scripts/test.d/20-peer.sh does)"

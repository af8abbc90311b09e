import os

import pytest


@pytest.fixture(scope="session")
def suite_env():
    """Names ./suite test exports for the suite-wide tests."""
    missing = [
        name
        for name in ("SUITE_TEST_DB", "SUITE_TEST_CONFIG", "SUITE_LIFECYCLE_DB", "ODOO_SRC")
        if not os.environ.get(name)
    ]
    if missing:
        pytest.fail(
            "run the suite-wide tests through ./suite test (missing: " + ", ".join(missing) + ")"
        )
    return {
        "db": os.environ["SUITE_TEST_DB"],
        "config": os.environ["SUITE_TEST_CONFIG"],
        "lifecycle_db": os.environ["SUITE_LIFECYCLE_DB"],
        "odoo_src": os.environ["ODOO_SRC"],
    }

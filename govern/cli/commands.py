"""Imports every command module so that each registers its commands on the app."""
from govern.cli import catalog  # noqa: F401  (govern catalog)
from govern.cli import broker  # noqa: F401  (govern broker)
from govern.cli import release_plan  # noqa: F401  (govern release-plan)
from govern.cli import demo  # noqa: F401  (govern demo)
from govern.cli import registry  # noqa: F401  (govern registry)
from govern.cli import compat  # noqa: F401  (govern compat)
from govern.cli import check  # noqa: F401  (govern check)
from govern.cli import register  # noqa: F401  (govern register)

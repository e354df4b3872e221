"""Imports every command module so that each registers its commands on the app."""

from govern.cli import (  # noqa: F401
    broker,  # govern broker up|status|down|fetch
    catalog,  # govern catalog
    check,  # govern check
    compat,  # govern compat
    idl,  # govern idl
    import_,  # govern import
    record,  # govern record
    register,  # govern register
    registry,  # govern registry serve|add-user
    release_plan,  # govern release-plan
    replay,  # govern replay
)

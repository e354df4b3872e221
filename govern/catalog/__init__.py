"""The catalog: topics, schemas and services read from `contracts/` and `schemas/`, cross-checked.

from govern.catalog import load_catalog, topic_specs
catalog = load_catalog(Path("."))
"""

from govern.catalog.export import catalog_to_dict
from govern.catalog.loader import load_catalog
from govern.catalog.model import CLEANUP_POLICIES, COMPATIBILITY_LEVELS, Catalog, SchemaRef, Service, Topic
from govern.catalog.specs import TopicSpec, topic_specs

__all__ = [
    "CLEANUP_POLICIES",
    "COMPATIBILITY_LEVELS",
    "Catalog",
    "SchemaRef",
    "Service",
    "Topic",
    "TopicSpec",
    "catalog_to_dict",
    "load_catalog",
    "topic_specs",
]

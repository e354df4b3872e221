"""The catalog: topics, subjects, schemas and services read from the contracts and schemas folders.

from govern.catalog import load_catalog, topic_specs
catalog = load_catalog(Path("."))
"""

from govern.catalog.export import catalog_to_dict
from govern.catalog.loader import load_catalog
from govern.catalog.model import (
    CLEANUP_POLICIES,
    COMPATIBILITY_LEVELS,
    SUBJECT_STRATEGIES,
    Catalog,
    SchemaRef,
    Service,
    Subject,
    Topic,
    combined_level,
    subject_name,
)
from govern.catalog.specs import TopicSpec, topic_specs

__all__ = [
    "CLEANUP_POLICIES",
    "COMPATIBILITY_LEVELS",
    "SUBJECT_STRATEGIES",
    "Catalog",
    "SchemaRef",
    "Service",
    "Subject",
    "Topic",
    "TopicSpec",
    "catalog_to_dict",
    "combined_level",
    "load_catalog",
    "subject_name",
    "topic_specs",
]

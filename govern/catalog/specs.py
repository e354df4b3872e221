"""What a Kafka admin helper needs to create the catalog's topics."""

from __future__ import annotations

from dataclasses import dataclass, field

from govern.catalog.model import Catalog


@dataclass(frozen=True)
class TopicSpec:
    """A topic to create: name, partitions and topic-level config (e.g. cleanup.policy).

    `replication_factor` None means the broker's default; callers on a multi-broker cluster set it.
    """

    name: str
    partitions: int
    config: dict[str, str] = field(default_factory=dict)
    replication_factor: int | None = None


def topic_specs(
    catalog: Catalog, *, include_internal: bool = True, replication_factor: int | None = None
) -> list[TopicSpec]:
    """One TopicSpec per catalog topic, in catalog order.

    Internal topics (a service's changelog) are included by default: creating them up front with
    the declared cleanup policy beats auto-creation with broker defaults.
    """
    return [
        TopicSpec(
            name=topic.name,
            partitions=topic.partitions,
            config={"cleanup.policy": topic.cleanup_policy},
            replication_factor=replication_factor,
        )
        for topic in catalog.topics
        if include_internal or not topic.internal
    ]

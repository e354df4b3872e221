"""An existing estate read into govern: a registry's subjects and a cluster's topics as schemas/ and
contracts/ (`govern import`).

    from govern.estate import survey_registry, survey_cluster, plan_files, write_files
"""

from govern.estate.from_registry import plan_files
from govern.estate.plan import PLACEHOLDER_SERVICE, ImportPlan, write_files
from govern.estate.survey import Estate, KafkaTopic, RegisteredSubject, survey_cluster, survey_registry

__all__ = [
    "PLACEHOLDER_SERVICE",
    "Estate",
    "ImportPlan",
    "KafkaTopic",
    "RegisteredSubject",
    "plan_files",
    "survey_cluster",
    "survey_registry",
    "write_files",
]

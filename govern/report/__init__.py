"""One finding model, one rule registry, one set of printers for every command.

``Finding`` (with ``Place``, ``Side``, ``Acceptance``) and ``Report``/``SubjectReport`` are the data
(``model``); ``RULES`` the registry of rule ids, purposes and categories (``rules``); ``render``
prints a report in any of ``FORMATS`` (text, json, junit, sarif, github, gitlab, markdown).
The model and the registry are pure; only the text printer uses rich.
"""

from govern.report.model import FORMAT_VERSION, Acceptance, Finding, Place, Report, Side, SubjectReport
from govern.report.rules import RULES, RULES_BY_ID, Category, Rule, rule

__all__ = [
    "FORMAT_VERSION",
    "RULES",
    "RULES_BY_ID",
    "Acceptance",
    "Category",
    "Finding",
    "Place",
    "Report",
    "Rule",
    "Side",
    "SubjectReport",
    "rule",
]

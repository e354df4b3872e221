"""`govern check`: is the working tree's schema change safe for history and each consumer?

Public surface: `run_check` (select subjects, check against git or a registry, apply accepted
breaks), the report model and `render` (text, json, junit, sarif, github printers, kept apart
from the checks in `govern.check.report`).
"""

from govern.check.model import Acceptance, CheckFinding, Place, Report, SubjectReport
from govern.check.report import FORMATS, render
from govern.check.run import run_check

__all__ = [
    "FORMATS",
    "Acceptance",
    "CheckFinding",
    "Place",
    "Report",
    "SubjectReport",
    "render",
    "run_check",
]

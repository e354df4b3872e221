"""`govern check`: is the working tree's schema change safe for history and each consumer?

Public surface: `run_check` (select subjects, check against git or a registry, apply accepted
breaks), the report model and `render` (every format of govern.report.printers).
"""

from govern.check.model import Acceptance, Finding, Place, Report, SubjectReport
from govern.check.run import run_check
from govern.report.printers import FORMATS, render

__all__ = [
    "FORMATS",
    "Acceptance",
    "Finding",
    "Place",
    "Report",
    "SubjectReport",
    "render",
    "run_check",
]

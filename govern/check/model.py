"""What `govern check` answers: one `Report`, one entry per subject, findings with places and fixes.

The types are govern.report's (one finding model for every command), named here for the check's
modules: the checks (from_git, from_registry, consumers) build them, the accepted-breaks ledger
marks them, the printers in govern.report render them.
"""

from govern.report.model import Acceptance, Finding, Place, Report, SubjectReport

__all__ = ["Acceptance", "Finding", "Place", "Report", "SubjectReport"]

"""Release planning: in which order to deploy changed services so every state on the way is safe.

from govern.plan import load_change, make_plan, render
plan = make_plan(load_change(Path("."), "main"))
print(render(plan, "text"))
"""

from govern.plan.constraints import AvroPairs, Blocker, Constraint, ConstraintSource, Link, Violation
from govern.plan.inputs import load_change
from govern.plan.model import Change, Issue, SchemaRef, ServiceView, Snapshot
from govern.plan.pairs import PairChecker
from govern.plan.planner import Group, Plan, Stage, make_plan
from govern.plan.proof import Proof
from govern.plan.render import FORMATS, render

__all__ = [
    "FORMATS",
    "AvroPairs",
    "Blocker",
    "Change",
    "Constraint",
    "ConstraintSource",
    "Group",
    "Issue",
    "Link",
    "PairChecker",
    "Plan",
    "Proof",
    "SchemaRef",
    "ServiceView",
    "Snapshot",
    "Stage",
    "Violation",
    "load_change",
    "make_plan",
    "render",
]

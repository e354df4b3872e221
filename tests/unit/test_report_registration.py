"""`govern register`'s table wraps to the terminal: long subject names are never cut with `…`."""

from __future__ import annotations

from govern.check.register import Registration
from govern.report.registration import render_text

LONG = "com.example.payments.settlement.internal.CrossBorderSettlementInstructionAmended"


def test_the_table_fits_80_columns_and_keeps_every_character_of_a_subject() -> None:
    rows = [
        Registration(LONG, "topic", "schemas/x.avsc", "FULL_TRANSITIVE", status="new version", version=1),
        Registration("orders-value", "topic", "schemas/o.avsc", "BACKWARD", status="unchanged", version=3),
    ]
    text = render_text(rows, dry_run=True, width=80)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "…" not in text
    assert LONG in "".join(line.split("  ")[0].strip() for line in lines)  # folded, not cut
    assert "dry run: 1 subject(s) would change; nothing written" in text

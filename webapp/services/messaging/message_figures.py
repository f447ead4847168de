"""How each message of a sequence or workflow did: sent, opened, clicked and converted,
counted per message in one grouped query over its sends (test sends left out). A
conversion is a contact whose enrolment converted after the message went out."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from webapp.models.sequence import Enrollment, Send, SequenceStep

SENT = ("sent", "delivered")


@dataclass(frozen=True)
class MessageResult:
    step: SequenceStep
    sent: int
    opened: int
    clicked: int
    converted: int

    def rate(self, part: int) -> str:
        return f"{100 * part / self.sent:.0f} %" if self.sent else "—"


def message_results(session: Session, org_id: int, campaign_id: int) -> list[MessageResult]:
    """Every message of the campaign (a sequence, or a workflow's carrier), in order."""
    s, e = Send, Enrollment
    sent = s.status.in_(SENT)
    counts = {
        step_id: row
        for step_id, *row in session.execute(
            select(
                s.step_id,
                func.count(case((sent, 1))),
                func.count(case((and_(sent, s.opens > 0), 1))),
                func.count(case((and_(sent, s.clicks > 0), 1))),
                func.count(case((and_(sent, e.converted_at >= s.sent_at), 1))),
            )
            .join(e, e.id == s.enrollment_id)
            .where(s.org_id == org_id, s.campaign_id == campaign_id, s.test_mode.is_(False))
            .group_by(s.step_id)
        )
    }
    steps = session.scalars(
        select(SequenceStep)
        .where(SequenceStep.org_id == org_id, SequenceStep.campaign_id == campaign_id)
        .order_by(SequenceStep.position, SequenceStep.id)
    )
    return [MessageResult(step, *counts.get(step.id, (0, 0, 0, 0))) for step in steps]

"""PBX (CTI) integration: the PBX posts call events; the agent's screen pops from them."""

from __future__ import annotations

from datetime import datetime

from ninja import Router, Schema

from anxin.core.api import Moment, model_text, one_of
from anxin.telephony.choices import EVENT_ORDER
from anxin.telephony.models import Call
from anxin.telephony.services import call_event_record

router = Router(tags=["telephony"])


class CallEventIn(Schema):
    call_id: model_text(Call, "call_id")
    event: one_of(EVENT_ORDER)
    caller: model_text(Call, "caller_number") = ""
    called: model_text(Call, "called_line") = ""
    extension: model_text(Call, "extension") = ""
    at: Moment | None = None
    recording_url: model_text(Call, "recording_url") = ""


class CallOut(Schema):
    id: int
    call_id: str
    state: str
    caller_number: str
    extension: str
    agent_id: int | None
    customer_id: int | None
    started_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None


@router.post("/call-events", response=CallOut)
def call_event(request, payload: CallEventIn):
    """One PBX event: ``ringing`` creates the call and binds the agent on ``extension``; replays are harmless."""
    call = call_event_record(
        actor=request.user,
        call_id=payload.call_id,
        event=payload.event,
        caller=payload.caller,
        called=payload.called,
        extension=payload.extension,
        at=payload.at,
        recording_url=payload.recording_url,
        via_token=bool(getattr(request, "token_authenticated", False)),
    )
    return CallOut(
        id=call.pk,
        call_id=call.call_id,
        state=call.state,
        caller_number=call.caller_number,
        extension=call.extension,
        agent_id=call.agent_id,
        customer_id=call.customer_id,
        started_at=call.started_at,
        answered_at=call.answered_at,
        ended_at=call.ended_at,
    )

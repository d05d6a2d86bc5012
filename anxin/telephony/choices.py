from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class CallState(models.TextChoices):
    RINGING = "ringing", pgettext_lazy("call state", "Ringing")
    ANSWERED = "answered", pgettext_lazy("call state", "Answered")
    ENDED = "ended", pgettext_lazy("call state", "Ended")
    # Rang and was never answered (the PBX sent no further event within ANXIN_CALL_MISSED_AFTER_MINUTES).
    MISSED = "missed", pgettext_lazy("call state", "Missed")


class CallType(models.TextChoices):
    """The intake call types of the 400 hotline (DOMAIN.md "Intake")."""

    INFORMATION = "information", _("Information")
    BUYING_ADVICE = "buying_advice", _("Buying advice")
    PHONE_GUIDANCE = "phone_guidance", _("Phone guidance")
    SERVICE_REGISTRATION = "service_registration", _("Service registration")
    COMPLAINT = "complaint", _("Complaint")
    PHONE_ORDER = "phone_order", _("Phone order")
    OTHER = "other", pgettext_lazy("call type", "Other")


class Disposition(models.TextChoices):
    RESOLVED = "resolved", _("Resolved on the call")
    ORDER_CREATED = "order_created", _("Work order created")
    FOLLOW_UP = "follow_up", _("Follow-up needed")
    TRANSFERRED = "transferred", _("Transferred")
    NO_ANSWER = "no_answer", _("No answer / dropped")
    OTHER = "other", pgettext_lazy("disposition", "Other")


class FollowUpKind(models.TextChoices):
    CONFIRM_GUIDANCE = "confirm_guidance", _("Confirm phone guidance worked")
    COMPLAINT = "complaint", _("Complaint follow-up")


# PBX events in their natural order; a late-arriving earlier event never moves the state back.
EVENT_ORDER = {CallState.RINGING: 0, CallState.ANSWERED: 1, CallState.ENDED: 2}
# Each state's place in that order: a missed call is over, like an ended one (it is not a PBX event).
STATE_RANK = {**EVENT_ORDER, CallState.MISSED: 2}


class FollowUpOutcome(models.TextChoices):
    """What the confirmation call of a phone guidance found (decision 0026)."""

    SOLVED = "solved", pgettext_lazy("guidance outcome", "Solved")
    NOT_SOLVED = "not_solved", pgettext_lazy("guidance outcome", "Not solved: service order")

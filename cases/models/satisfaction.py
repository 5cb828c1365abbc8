"""满意度: how a reporter rated the result of a closed case, by the public portal or in a call-back (回访).

Ratings are no table of their own: each one is a case event (`RATE_EVENT` from the portal, `CALLBACK_EVENT` from
an operator's call-back) whose data carries `satisfaction`, so the assessment reads them with every other event and
the timeline shows them.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied (满意)")
    BASIC = "basic", _("Basically satisfied (基本满意)")
    DISSATISFIED = "dissatisfied", _("Dissatisfied (不满意)")


# The portal's rating of a closed case by its reporter (once), and the result of a call-back by an operator.
RATE_EVENT = "rate"
CALLBACK_EVENT = "callback"
SATISFACTION_EVENTS = (RATE_EVENT, CALLBACK_EVENT)

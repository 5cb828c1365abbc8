"""Canned phrases (常用语): the stock sentences an action's note may start from, kept by administrators."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class CannedPhrase(models.Model):
    """One stock sentence offered as a quick insert into the note of one workflow action, in `position` order."""

    # The action's name (cases.workflow.ACTIONS); a plain string, so a new action needs no migration here.
    action = models.CharField(_("action"), max_length=40)
    text = models.CharField(_("text"), max_length=300)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("canned phrase")
        verbose_name_plural = _("canned phrases")
        ordering = ["action", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["action", "text"], name="canned_phrase_unique_text")]
        indexes = [models.Index(fields=["action", "position"], name="canned_phrase_action")]

    def __str__(self):
        return self.text

    def clean(self):
        from cases.workflow import ACTIONS

        if self.action not in ACTIONS:
            raise ValidationError({"action": _("No workflow action of this name.")})

"""The indicators of DOMAIN §8, as numbers derived from the input counts (counts.py) of one unit.

Rates are percentages (0–100). A rate whose denominator is zero is None ("not applicable"): a scheme leaves
that component out and spreads its weight over the others (scoring.py). Denominators:

- 应处置数 `due` = handled (feedback in the period) + overdue_open (handling deadline passed in the period, not
  handled by its end). 应结案数 is the same figure: every handling that fell due should end closed.
- 处置率 = handled / due; 按期处置率 = handled_on_time / due; 超期处置率 = handled_late / due;
  超期待处置率 = overdue_open / due; 延期率 = extended / due; 返工率 = reworked / due;
  结案率 = closed / due; 按期结案率 = closed_on_time / due.
- 监督举报率 = public_verified / filed (lower is better).
- 按时立案率 = filed_on_time / filed; 准确立案率 = (filed − voided) / filed, where voided is voided_after_filing
  for regions and filed_voided (this shift lead's filings voided by the period end) for shift leads.
- 按时派遣率 = dispatched_on_time / dispatched; 准确派遣率 = (dispatched − wrong) / dispatched, wrong being the
  approved returns of the period for departments and regions, and this dispatcher's dispatches returned by the
  period end for dispatchers.
- Grid worker: 有效上报率 = effective_reports / reports; 漏报率 = missed / (missed + effective_reports), missed being
  the filed cases other channels reported where the worker's patrol track had just passed (missed.py);
  按时核实率 = verified_on_time / (verified + overdue_verify); 按时核查率 = checked_on_time / (checked + overdue_check).
- Operator: 受理数 = accepted; 核实按时派发率 = verification_sent_on_time / verification_sent;
  核查按时派发率 = check_sent_on_time / check_sent. Shift lead: 按时结案率 = close_steps_on_time / close_steps.
- 满意度 = (rated_satisfied + rated_basic) / rated: the share of ratings (portal and call-back) that were 满意 or
  基本满意.
- 督办回复率 = orders_replied / orders_due; 督办按时回复率 = orders_replied_on_time / orders_due (orders issued in the
  period and not withdrawn; replied before the period end, by the reply deadline).
- 移送及时率 = transfers_on_time / transfers; 违法确认及时率 = confirm_steps_on_time / confirm_steps;
  执法办结率 = chains_ended / chains_opened; 挂牌督办销号率 = listings_lifted / listings_due.
- 平均处置时长 (hours) = handling_seconds / handled / 3600 (natural time from the start of the round).
"""

from dataclasses import dataclass

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Indicator:
    name: str
    label: str
    numerator: tuple  # names of counts added up (a leading "-" subtracts)
    denominator: tuple = ()  # names of counts added up; empty: a plain count
    higher_is_better: bool = True
    unit: str = "%"  # "%", "count" or "h"
    note: str = ""  # what a reader must know to read the figure right (e.g. that it is an estimate)

    def value(self, counts):
        top = _sum(counts, self.numerator)
        if not self.denominator:
            return top if self.unit == "count" else None
        bottom = _sum(counts, self.denominator)
        if not bottom:
            return None
        if self.unit == "h":
            return round(top / bottom / 3600, 2)
        return round(100 * top / bottom, 2)

    def formula(self):
        """The formula in words: "(a + b − c) ÷ (d + e) × 100", each input named by its label."""
        top = _terms_text(self.numerator)
        if not self.denominator:
            return top
        bottom = _terms_text(self.denominator)
        if self.unit == "h":
            return gettext("(%(top)s) ÷ (%(bottom)s) ÷ 3600, in hours") % {"top": top, "bottom": bottom}
        return gettext("(%(top)s) ÷ (%(bottom)s) × 100") % {"top": top, "bottom": bottom}

    @property
    def case_counts(self):
        """The counts whose cases stand behind the figure (numerator and denominator, without repeats)."""
        names = [n.lstrip("-") for n in self.numerator + self.denominator]
        return [n for i, n in enumerate(names) if n not in names[:i] and n != "handling_seconds"]


def _terms_text(names):
    from .counts import COUNTS

    text = ""
    for i, name in enumerate(names):
        label = str(COUNTS[name.lstrip("-")].label)
        if i == 0:
            text = ("− " if name.startswith("-") else "") + label
        else:
            text += (" − " if name.startswith("-") else " + ") + label
    return text


def _sum(counts, names):
    total = 0
    for name in names:
        if name.startswith("-"):
            total -= counts.get(name[1:], 0)
        else:
            total += counts.get(name, 0)
    return total


DUE = ("handled", "overdue_open")
INDICATORS = {
    i.name: i
    for i in [
        Indicator("filed", _("cases filed (立案数)"), ("filed",), unit="count"),
        Indicator("dispatched", _("cases dispatched (派遣数)"), ("dispatched",), unit="count"),
        Indicator("accepted", _("reports accepted (受理数)"), ("accepted",), unit="count"),
        Indicator("due", _("due for handling (应处置数)"), DUE, unit="count"),
        Indicator("handled", _("handled (处置数)"), ("handled",), unit="count"),
        Indicator("closed", _("closed (结案数)"), ("closed",), unit="count"),
        Indicator("handling_rate", _("handling rate (处置率)"), ("handled",), DUE),
        Indicator("on_time_handling_rate", _("handled on time (按期处置率)"), ("handled_on_time",), DUE),
        Indicator("late_handling_rate", _("handled late (超期处置率)"), ("handled_late",), DUE, higher_is_better=False),
        Indicator("overdue_open_rate", _("overdue, not handled (超期待处置率)"), ("overdue_open",), DUE, False),
        Indicator("rework_rate", _("rework rate (返工率)"), ("reworked",), DUE, higher_is_better=False),
        Indicator("close_rate", _("closing rate (结案率)"), ("closed",), DUE),
        Indicator("on_time_close_rate", _("closed on time (按期结案率)"), ("closed_on_time",), DUE),
        Indicator("extension_rate", _("extension rate (延期率)"), ("extended",), DUE, higher_is_better=False),
        Indicator("returns", _("returns (回退数)"), ("wrong_dispatches",), unit="count", higher_is_better=False),
        Indicator(
            "avg_handling_hours",
            _("average handling time (平均处置时长)"),
            ("handling_seconds",),
            ("handled",),
            False,
            "h",
        ),
        Indicator(
            "satisfaction_rate",
            _("satisfaction (满意度)"),
            ("rated_satisfied", "rated_basic"),
            ("rated",),
            note=_(
                "Ratings of closed cases by their reporters: on the public portal and in the operators' call-backs "
                "(回访). Satisfied and basically satisfied count as satisfied."
            ),
        ),
        Indicator(
            "order_reply_rate",
            _("supervision orders replied (督办回复率)"),
            ("orders_replied",),
            ("orders_due",),
            note=_("Supervision orders (督办) issued in the period and not withdrawn; replied before the period end."),
        ),
        Indicator(
            "order_on_time_reply_rate",
            _("supervision orders replied on time (督办按时回复率)"),
            ("orders_replied_on_time",),
            ("orders_due",),
            note=_("Replied by the order's reply deadline (working time from its issue)."),
        ),
        Indicator(
            "transfer_timeliness_rate",
            _("transfers on time (移送及时率)"),
            ("transfers_on_time",),
            ("transfers",),
            note=_(
                "Transfers to enforcement made by the deadline of the stage the case was in, counted for the "
                "enforcement body the case went to and for its grid."
            ),
        ),
        Indicator(
            "confirmation_timeliness_rate",
            _("confirmations on time (违法确认及时率)"),
            ("confirm_steps_on_time",),
            ("confirm_steps",),
        ),
        Indicator(
            "enforcement_close_rate",
            _("enforcement cases ended (执法办结率)"),
            ("chains_ended",),
            ("chains_opened",),
            note=_("Enforcement cases opened in the period and filed away or declined before its end."),
        ),
        Indicator(
            "listing_clearance_rate",
            _("listings lifted on time (挂牌督办销号率)"),
            ("listings_lifted",),
            ("listings_due",),
            note=_("Listings whose deadline fell in the period, lifted (rectification verified) by that deadline."),
        ),
        Indicator("public_report_rate", _("public report rate (监督举报率)"), ("public_verified",), ("filed",), False),
        Indicator("on_time_filing_rate", _("filed on time (按时立案率)"), ("filed_on_time",), ("filed",)),
        Indicator(
            "filing_accuracy_rate", _("filing accuracy (准确立案率)"), ("filed", "-voided_after_filing"), ("filed",)
        ),
        Indicator(
            "on_time_dispatch_rate", _("dispatched on time (按时派遣率)"), ("dispatched_on_time",), ("dispatched",)
        ),
        Indicator(
            "dispatch_accuracy_rate",
            _("dispatch accuracy (准确派遣率)"),
            ("dispatched", "-wrong_dispatches"),
            ("dispatched",),
        ),
        # Posts
        Indicator("effective_report_rate", _("effective reports (有效上报率)"), ("effective_reports",), ("reports",)),
        Indicator("self_handled", _("fixed on the spot (自处置数)"), ("self_handled",), unit="count"),
        Indicator(
            "self_handled_reports",
            _("own reports fixed on the spot (自处置数)"),
            ("self_handled_reports",),
            unit="count",
        ),
        Indicator(
            "miss_rate",
            _("missed-report rate (漏报率)"),
            ("missed",),
            ("missed", "effective_reports"),
            False,
            note=_(
                "Missed: a case another channel (the public, a hotline, sensing, a leader, …) reported and that was "
                "filed, in a unit grid of the worker's patrol area, while the worker was on patrol and their track "
                "had passed through that grid in the hours before the report (window and tolerance are settings)."
            ),
        ),
        Indicator(
            "on_time_verify_rate",
            _("verified on time (按时核实率)"),
            ("verified_on_time",),
            ("verified", "overdue_verify"),
        ),
        Indicator(
            "on_time_check_rate", _("checked on time (按时核查率)"), ("checked_on_time",), ("checked", "overdue_check")
        ),
        Indicator(
            "verify_sent_on_time_rate",
            _("verification sent on time (核实按时派发率)"),
            ("verification_sent_on_time",),
            ("verification_sent",),
        ),
        Indicator(
            "check_sent_on_time_rate",
            _("check sent on time (核查按时派发率)"),
            ("check_sent_on_time",),
            ("check_sent",),
        ),
        Indicator(
            "post_filing_accuracy_rate",
            _("filing accuracy (准确立案率)"),
            ("filed", "-filed_voided"),
            ("filed",),
        ),
        Indicator("on_time_closing_rate", _("closed on time (按时结案率)"), ("close_steps_on_time",), ("close_steps",)),
        Indicator(
            "post_dispatch_accuracy_rate",
            _("dispatch accuracy (准确派遣率)"),
            ("dispatched", "-dispatches_returned"),
            ("dispatched",),
        ),
    ]
}

# What each kind of unit shows, in order.
DEPARTMENT_INDICATORS = [
    "dispatched", "due", "handled", "closed", "handling_rate", "on_time_handling_rate", "late_handling_rate",
    "overdue_open_rate", "rework_rate", "close_rate", "on_time_close_rate", "extension_rate", "returns",
    "avg_handling_hours", "satisfaction_rate", "order_reply_rate", "order_on_time_reply_rate",
    "transfer_timeliness_rate", "confirmation_timeliness_rate", "enforcement_close_rate", "listing_clearance_rate",
]  # fmt: skip
REGION_INDICATORS = [
    "accepted", "filed", "due", "handled", "closed", "public_report_rate", "handling_rate", "on_time_handling_rate",
    "rework_rate", "close_rate", "on_time_close_rate", "on_time_filing_rate", "filing_accuracy_rate",
    "on_time_dispatch_rate", "dispatch_accuracy_rate", "extension_rate", "returns", "avg_handling_hours",
    "self_handled", "satisfaction_rate", "order_reply_rate", "order_on_time_reply_rate", "transfer_timeliness_rate",
    "enforcement_close_rate", "listing_clearance_rate",
]  # fmt: skip
POST_INDICATORS = {
    "grid_worker": [
        "effective_report_rate",
        "miss_rate",
        "on_time_verify_rate",
        "on_time_check_rate",
        "self_handled_reports",
    ],
    "operator": ["accepted", "verify_sent_on_time_rate", "check_sent_on_time_rate"],
    "shift_lead": ["filed", "on_time_filing_rate", "post_filing_accuracy_rate", "on_time_closing_rate"],
    "dispatcher": ["dispatched", "on_time_dispatch_rate", "post_dispatch_accuracy_rate"],
}


def indicator_values(counts, names=None):
    """{indicator name: value} for a unit's counts."""
    return {name: INDICATORS[name].value(counts) for name in (names or INDICATORS)}

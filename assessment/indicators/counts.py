"""The input counts of the assessment: each one a SQL condition on a case event, defined once.

Every count is "events of the period [start, end) that satisfy a condition", attributed to a unit:

- a **department**: the event's `department` (the lead department when it happened; for `approve_return` the
  department that sent the case back; for `dispatch` the department it was sent to);
- a **region**: the event's `region_path` (the case's grid), rolled up community → street → district → city;
- a **post**: the event's actor in the event's role (grid worker, operator, shift lead, dispatcher).

The same condition filters the aggregate (`count(*) FILTER (WHERE …)`) and the list of cases behind a figure,
so a list always shows the cases a number counted. Conditions use the row of the `ev` CTE built in `sql.py`:
the event's own columns plus a few facts read from the same case's other events (`closed_after`,
`handling_seconds`, `effective`, `voided_later`, `returned_later`), each defined there, and `satisfaction` (the
rating a `rate` or `callback` event carries in its data, NULL elsewhere).

Stage facts come from the event row: `stage` is the stage the case was in before the event, `stage_deadline` its
deadline then, `stage_met` whether the stage the event *ended* was ended by its deadline (NULL when the event
did not end a stage or the stage had no limit). Statuses come from cases/workflow.py: `check` fails exactly
when it leads back to `handling` (its data says `passed: false`), `verify` confirms a report exactly when it
leads back to `reported` (`result: true`).

Stages that should have ended in the period but had not (超期未办) are extra rows of the `ev` CTE with the
pseudo-actions `overdue_handling`, `overdue_verify` and `overdue_check`; see `sql.py` for their rule. Missed
reports (漏报) are extra post rows with the pseudo-action `missed`, computed from the patrol tracks (`missed.py`).
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

DEPARTMENT, REGION, POST = "department", "region", "post"

# The stages a case may leave the handling stage by: feedback (handled), an approved return (not ours), a void.
HANDLING_END_ACTIONS = ("feedback", "approve_return", "approve_void", "redispatch")
# Reports the public made through the centre: the ones a grid worker is sent to verify.
REGISTERED_STAGES = ("dispatch", "handling", "check", "close")


@dataclass(frozen=True)
class CountDef:
    name: str
    label: str
    sql: str  # condition on a row of ev
    units: tuple  # unit kinds this count is meaningful for
    summed: str = ""  # when set: the figure is sum(<summed>) over the rows, not a count


C = CountDef
U = (DEPARTMENT, REGION)
COUNTS = {
    c.name: c
    for c in [
        # 受理数: reports accepted by an operator (accept events).
        C("accepted", _("accepted"), "action = 'accept'", (REGION, POST)),
        # 立案数: cases filed (register events).
        C("filed", _("filed"), "action = 'register'", (REGION, POST)),
        # 按时立案: filed within the registration step's limit (the register event ended its stage on time).
        C("filed_on_time", _("filed on time"), "action = 'register' AND stage_met", (REGION, POST)),
        # 作废(已立案): voids approved in the period of cases that had been filed (voided from a stage after 立案).
        C(
            "voided_after_filing",
            _("voided after filing"),
            "action = 'approve_void' AND stage IN ('dispatch', 'handling', 'check', 'close')",
            (REGION,),
        ),
        # 监督举报数: public or hotline reports a grid worker verified as real (verify → reported, result true).
        C("public_verified", _("verified public reports"), "action = 'verify' AND to_status = 'reported'", (REGION,)),
        # 派遣数: dispatches; for a department, cases sent to it (its 立案数 in the department scheme).
        C("dispatched", _("dispatched"), "action = 'dispatch'", U + (POST,)),
        C("dispatched_on_time", _("dispatched on time"), "action = 'dispatch' AND stage_met", U + (POST,)),
        # 错误派遣 / 回退数: approved returns (the department said "not ours"; data.wrong_dispatch is true) and
        # 改派 that took the case from the department handling it (data.wrong_dispatch is true; its department is
        # the one it was taken from). A 改派 after an approved return is not counted again.
        C(
            "wrong_dispatches",
            _("wrong dispatches (approved returns, re-dispatches from handling)"),
            "(action = 'approve_return' OR (action = 'redispatch' AND stage = 'handling'))",
            U,
        ),
        C("extension_requests", _("extension requests"), "action = 'request_extension'", U),
        # 延期数: approved extensions.
        C("extended", _("extensions approved"), "action = 'approve_extension'", U),
        # 处置数: feedback events (the department reported the work done: the handling stage ended handled).
        C("handled", _("handled"), "action = 'feedback'", U),
        # 按期处置: feedback that ended the handling stage by its deadline (stage_met true).
        C("handled_on_time", _("handled on time"), "action = 'feedback' AND stage_met", U),
        # 超期处置: feedback after the deadline (stage_met false).
        C("handled_late", _("handled late"), "action = 'feedback' AND stage_met = false", U),
        # 超期未处置: handling stages whose deadline passed in the period and that had not ended by its end.
        C("overdue_open", _("overdue, not handled"), "action = 'overdue_handling'", U),
        # 结案数: feedback of the period that closed the case before the period ended (the check passed and
        # the case was closed; no later feedback came first).
        C("closed", _("handled and closed"), "action = 'feedback' AND closed_after", U),
        # 按期结案数: of those, handled on time.
        C("closed_on_time", _("closed, handled on time"), "action = 'feedback' AND closed_after AND stage_met", U),
        # 核查数 and 返工数: on-site checks of the fix, and the failed ones (check → handling, passed false).
        C("checked", _("checks of the fix"), "action = 'check'", U + (POST,)),
        C("reworked", _("reworked (check failed)"), "action = 'check' AND to_status = 'handling'", U),
        C("checked_on_time", _("checks on time"), "action = 'check' AND stage_met", U + (POST,)),
        C("overdue_check", _("checks overdue, not done"), "action = 'overdue_check'", (POST,)),
        # 核实: verifications of public reports by the assigned grid worker.
        C("verified", _("verifications"), "action = 'verify'", (REGION, POST)),
        C("verified_on_time", _("verifications on time"), "action = 'verify' AND stage_met", (REGION, POST)),
        C("overdue_verify", _("verifications overdue, not done"), "action = 'overdue_verify'", (POST,)),
        # 结案 (the shift lead's closing step) and whether it was done within the closing step's limit.
        C("close_steps", _("closings"), "action = 'close'", (REGION, POST)),
        C("close_steps_on_time", _("closings on time"), "action = 'close' AND stage_met", (REGION, POST)),
        # Handling time: natural seconds from the start of the handling round (dispatch or failed check) to
        # its feedback, summed over the period's feedback events (平均处置时长 = this / handled).
        C("handling_seconds", _("handling time (s)"), "action = 'feedback'", U, summed="handling_seconds"),
        # Operator: verification tasks sent (the acceptance step ended by request_verification) and on time.
        C("verification_sent", _("verification tasks sent"), "action = 'request_verification'", (POST,)),
        C(
            "verification_sent_on_time",
            _("verification tasks sent on time"),
            "action = 'request_verification' AND stage_met",
            (POST,),
        ),
        # Operator: check tasks sent (request_check) and those sent before the check stage's deadline.
        C("check_sent", _("check tasks sent"), "action = 'request_check'", (POST,)),
        C(
            "check_sent_on_time",
            _("check tasks sent on time"),
            "action = 'request_check' AND at <= stage_deadline",
            (POST,),
        ),
        # Grid worker: own patrol reports, and those filed (or fixed on the spot) before the period ended.
        C("reports", _("own reports"), "action = 'report'", (POST,)),
        C("effective_reports", _("own reports filed"), "action = 'report' AND effective", (POST,)),
        # 自处置: minor problems a grid worker fixed on the spot, confirmed closed as such (self_close) in the period;
        # for the grid worker, their own reports of the period confirmed as fixed on the spot before it ended.
        C("self_handled", _("fixed on the spot (自处置)"), "action = 'self_close'", (REGION,)),
        C("self_handled_reports", _("own reports fixed on the spot"), "action = 'report' AND self_closed", (POST,)),
        # Grid worker: 漏报 — filed cases another channel reported in a unit grid of their patrol area while their
        # patrol track had just passed through it (missed.py defines the rule; one `missed` row per case and worker).
        C("missed", _("missed (another channel reported where the patrol had passed)"), "action = 'missed'", (POST,)),
        # 满意度: the reporters' ratings of closed cases in the period, from the public portal (rate) and the
        # operators' call-backs (回访, callback; only those that reached the reporter carry a satisfaction). The
        # department is the case's lead department, the grid the case's.
        C("rated", _("satisfaction ratings"), "action IN ('rate', 'callback') AND satisfaction IS NOT NULL", U),
        C(
            "rated_satisfied",
            _("rated satisfied (满意)"),
            "action IN ('rate', 'callback') AND satisfaction = 'satisfied'",
            U,
        ),
        C(
            "rated_basic",
            _("rated basically satisfied (基本满意)"),
            "action IN ('rate', 'callback') AND satisfaction = 'basic'",
            U,
        ),
        # 督办: supervision orders issued in the period to the department (the case's lead department then) and in the
        # grid, not withdrawn by the period end; of those, replied before the period end, and replied by the reply
        # deadline (`outcome`, sql.py).
        C(
            "orders_due",
            _("supervision orders (督办) to answer"),
            "action = 'order_issued' AND outcome IS DISTINCT FROM 'withdrawn'",
            U,
        ),
        C(
            "orders_replied",
            _("supervision orders replied"),
            "action = 'order_issued' AND outcome IN ('on_time', 'late')",
            U,
        ),
        C(
            "orders_replied_on_time",
            _("supervision orders replied by the deadline"),
            "action = 'order_issued' AND outcome = 'on_time'",
            U,
        ),
        # 移送: transfers to enforcement in the period (the body they went to; the grid), and those made by the
        # deadline of the stage the case was in.
        C("transfers", _("transfers to enforcement (移送)"), "action = 'transfer_to_enforcement'", U),
        C(
            "transfers_on_time",
            _("transfers made within the stage's limit"),
            "action = 'transfer_to_enforcement' AND stage_met",
            U,
        ),
        # Enforcement chains (cases_enforcementevent): opened in the period by a transfer to the body, and of those
        # ended (filed away or declined) before the period end; confirmation steps (违法确认) the body ended in the
        # period, and those ended by their deadline; 挂牌督办 listings of the responsible body due in the period, and
        # those lifted by their deadline.
        C("chains_opened", _("enforcement cases opened"), "action = 'enf_opened'", U),
        C("chains_ended", _("enforcement cases opened and ended"), "action = 'enf_opened' AND closed_after", U),
        C("confirm_steps", _("confirmations (违法确认)"), "action = 'enf_confirm'", U),
        C("confirm_steps_on_time", _("confirmations on time"), "action = 'enf_confirm' AND stage_met", U),
        C("listings_due", _("listings (挂牌督办) due"), "action = 'enf_listing_due'", U),
        C("listings_lifted", _("listings lifted by their deadline"), "action = 'enf_listing_due' AND stage_met", U),
        # Shift lead: filings of the period voided before it ended. Dispatcher: dispatches returned before it ended.
        C("filed_voided", _("filed, later voided"), "action = 'register' AND voided_later", (POST,)),
        C("dispatches_returned", _("dispatched, later returned"), "action = 'dispatch' AND returned_later", (POST,)),
    ]
}

UNIT_COUNTS = [c for c in COUNTS.values() if DEPARTMENT in c.units or REGION in c.units]
POST_COUNTS = [c for c in COUNTS.values() if POST in c.units]

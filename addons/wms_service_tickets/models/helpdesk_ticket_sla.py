# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import logging

from odoo import api, fields, models
from odoo.exceptions import AccessError

_logger = logging.getLogger(__name__)


# Figures of the SLA clock: OCA lets helpdesk users write the lines, which
# would let them mark their own SLA met. The server writes them (sudo).
SERVER_FIELDS = frozenset(
    {
        "ticket_id",
        "sla_id",
        "state",
        "deadline",
        "hours",
        "consumed_time",
        "last_state_date",
        "expected_stage_id",
        "wms_warn_date",
        "wms_warned_date",
        "wms_activity_id",
    }
)


class HelpdeskTicketSla(models.Model):
    _inherit = "helpdesk.ticket.sla"

    # OCA does not index it: reading a ticket's lines scanned them all
    ticket_id = fields.Many2one(index=True)
    wms_kind = fields.Selection(related="sla_id.wms_kind", store=True)
    wms_warn_date = fields.Datetime(
        string="Warn On",
        compute="_compute_wms_warn_date",
        store=True,
        help="The deadline minus the policy's warning, in working hours.",
    )
    wms_warned_date = fields.Datetime(
        string="Warned For",
        readonly=True,
        help="The warning date the last 'at risk' activity was for.",
    )
    wms_at_risk = fields.Boolean(
        string="At Risk",
        compute="_compute_wms_at_risk",
        store=True,
        help="Warned for its current deadline: a pause or a reopening moves "
        "the deadline, and the line is warned again when it nears.",
    )
    wms_activity_id = fields.Many2one(
        "mail.activity",
        string="SLA Activity",
        readonly=True,
        ondelete="set null",
        help="The 'at risk' or 'breached' activity scheduled for this line.",
    )

    # the watch cron reads only in-progress lines by date
    _wms_deadline_idx = models.Index("(deadline) WHERE state = 'in_progress'")
    _wms_warn_idx = models.Index(
        "(wms_warn_date) WHERE state = 'in_progress' AND wms_at_risk IS NOT TRUE"
    )

    @api.depends("deadline", "sla_id.wms_warn_hours")
    def _compute_wms_warn_date(self):
        for line in self:
            warn = line.sla_id.wms_warn_hours
            calendar = line.ticket_id.team_id.resource_calendar_id
            if not line.deadline or not warn or not calendar:
                line.wms_warn_date = line.deadline
                continue
            line.wms_warn_date = calendar.plan_hours(
                -warn, line.deadline, compute_leaves=True
            )

    @api.depends("wms_warned_date", "wms_warn_date", "state")
    def _compute_wms_at_risk(self):
        for line in self:
            line.wms_at_risk = bool(
                line.state == "in_progress"
                and line.wms_warned_date
                and line.wms_warned_date == line.wms_warn_date
            )

    @api.depends("sla_id")
    def _compute_sla_data(self):
        res = super()._compute_sla_data()
        # A response line is met by the first response, never by a stage
        # (OCA would accomplish it at once: its policy has no target stage).
        for line in self.filtered(lambda r: r.sla_id.wms_kind == "response"):
            if line.ticket_id.wms_first_response_date:
                line.state = "accomplished"
            elif line.ticket_id.stage_id in line.sla_id.ignore_stage_ids:
                line.state = "on_hold"
            else:
                line.state = "in_progress"
        return res

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            for vals in vals_list:
                self._wms_check_server_fields(set(vals) - {"ticket_id", "sla_id"})
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su:
            self._wms_check_server_fields(vals)
        res = super().write(vals)
        if vals.get("state") == "accomplished":
            self._wms_close_activities()
        elif vals.get("state") == "expired":
            self._wms_on_breach()
        return res

    def _wms_check_server_fields(self, fnames):
        forbidden = SERVER_FIELDS.intersection(fnames)
        if forbidden:
            raise AccessError(
                self.env._(
                    "The SLA clock is kept by the system: %(fields)s cannot be "
                    "written.",
                    fields=", ".join(sorted(forbidden)),
                )
            )

    def _stage_recompute(self):
        # sudo: the clock moves with the stage whoever moves it; its fields
        # are the server's (see SERVER_FIELDS)
        if self.sla_id.wms_kind != "response":
            return super(HelpdeskTicketSla, self.sudo())._stage_recompute()
        return self.sudo()._wms_response_stage_recompute()

    def _wms_response_stage_recompute(self):
        # Same clock as OCA's (consumed time, pause in the ignored stages,
        # expiry once past the deadline), but the stage never meets the line,
        # and a met line stays met when the ticket goes back.
        self.ensure_one()
        if self.state in ("accomplished", "expired"):
            return
        now = fields.Datetime.now()
        deadline = self.deadline
        if self.state == "in_progress":
            calendar = self.ticket_id.team_id.resource_calendar_id
            self.consumed_time += calendar.get_work_hours_count(
                self.last_state_date, now, compute_leaves=True
            )
        stage = self.ticket_id.stage_id
        if self.state == "in_progress" and deadline and deadline <= now:
            self.state = "expired"
        elif stage in self.sla_id.ignore_stage_ids or stage.closed:
            # a closed ticket waits for nobody's answer: the clock stops
            # until it reopens
            self.state = "on_hold"
        else:
            self.state = "in_progress"
        self.last_state_date = now

    def _wms_close_activities(self, feedback=None):
        """Mark the SLA activities of these lines done."""
        activities = self.wms_activity_id.exists().filtered("active")
        if activities:
            # sudo: the activity belongs to whoever was warned; the line is
            # met by someone else's action (a reply, a stage change)
            activities.sudo().action_feedback(
                feedback=feedback or self.env._("SLA met.")
            )

    # ------------------------------------------------------------------
    # Watch
    # ------------------------------------------------------------------
    @api.model
    def _cron_wms_sla_watch(self):
        """The scheduled action (every 5 minutes)."""
        return self._wms_sla_watch(in_cron=True)

    @api.model
    def _wms_sla_watch(self, in_cron=False):
        """Warn before, and mark breaches when they happen.

        - in-progress lines past their deadline become expired now, not at
          the next stage change; the team leader gets one activity;
        - in-progress lines past their warning date get one "SLA at risk"
          activity for the ticket's user, else the team leader.

        Lines of closed or archived tickets are left alone. Each line is
        handled once for its deadline: the state and the warned date change
        with the activity, so a re-run schedules nothing.

        :param in_cron: commit after each step (``_commit_progress``); only
            the scheduled action passes it, never a caller
        :return: (number of lines breached, number of lines at risk)
        """
        now = fields.Datetime.now()
        # sudo: the watch keeps the SLA clock of every ticket (server fields)
        lines = self.sudo()
        open_tickets = [
            ("ticket_id.active", "=", True),
            ("ticket_id.stage_id.closed", "=", False),
        ]
        breached = lines.search(
            [("state", "=", "in_progress"), ("deadline", "<=", now), *open_tickets],
            order="id",
        )
        at_risk = lines.search(
            [
                ("state", "=", "in_progress"),
                ("wms_at_risk", "=", False),
                ("wms_warn_date", "<=", now),
                ("deadline", ">", now),
                *open_tickets,
            ],
            order="id",
        )
        if in_cron:
            self.env["ir.cron"]._commit_progress(remaining=len(breached) + len(at_risk))
        if breached:
            breached.write({"state": "expired", "last_state_date": now})
            if in_cron:
                self.env["ir.cron"]._commit_progress(
                    len(breached), remaining=len(at_risk)
                )
        if at_risk:
            at_risk._wms_warn()
            if in_cron:
                self.env["ir.cron"]._commit_progress(len(at_risk), remaining=0)
        if breached or at_risk:
            _logger.info(
                "SLA watch: %s lines breached, %s at risk", len(breached), len(at_risk)
            )
        return len(breached), len(at_risk)

    def _wms_on_breach(self):
        """A line expired (by the watch, a stage change or a late answer):
        its warning is over, the team leader gets one activity."""
        self._wms_close_activities(feedback=self.env._("SLA breached."))
        activity_type = self.env.ref(
            "wms_service_tickets.mail_activity_type_sla_breached"
        )
        self._wms_schedule(
            activity_type,
            lambda line: line.ticket_id.team_id.user_id or line.ticket_id.user_id,
            self.env._("SLA breached: %(sla)s"),
        )

    def _wms_warn(self):
        # a warning for an earlier deadline (before a pause) is over
        self._wms_close_activities(feedback=self.env._("Deadline moved."))
        for line in self:
            line.wms_warned_date = line.wms_warn_date
        activity_type = self.env.ref(
            "wms_service_tickets.mail_activity_type_sla_at_risk"
        )
        self._wms_schedule(
            activity_type,
            lambda line: line.ticket_id.user_id or line.ticket_id.team_id.user_id,
            self.env._("SLA at risk: %(sla)s"),
        )

    def _wms_schedule(self, activity_type, responsible, summary):
        """One activity per line, linked to it, due on the line's deadline."""
        ticket_model = self.env["ir.model"]._get_id("helpdesk.ticket")
        vals_list, lines = [], self.browse()
        for line in self:
            user = responsible(line)
            if not user:
                continue
            vals_list.append(
                {
                    "res_model_id": ticket_model,
                    "res_id": line.ticket_id.id,
                    "activity_type_id": activity_type.id,
                    "summary": summary % {"sla": line.sla_id.name},
                    "user_id": user.id,
                    "date_deadline": self.env["res.partner"]._wms_local_date(
                        line.deadline,
                        self.env["res.partner"]._wms_user_tz(
                            user,
                            line.ticket_id.company_id.partner_id._wms_tz(
                                company=line.ticket_id.company_id
                            ),
                        ),
                    ),
                }
            )
            lines |= line
        # sudo: the cron (or the user whose action ran it) schedules for
        # others; the lines were selected above
        activities = self.env["mail.activity"].sudo().create(vals_list)
        for line, activity in zip(lines, activities, strict=True):
            line.sudo().wms_activity_id = activity

# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import psycopg2

from odoo import api, fields, models
from odoo.exceptions import AccessError, ConcurrencyError, UserError
from odoo.fields import Domain
from odoo.tools import plaintext2html

from .res_config_settings import DEFAULT_FOLLOW_UP_DAYS, FOLLOW_UP_DAYS_PARAM

# Written by the server only (sudo): the dedupe key, where the ticket came
# from, when the customer first got an answer, and the SLA figures the KPIs
# are made of (stored computes: a recompute does not go through write).
SERVER_FIELDS = frozenset(
    {
        "wms_dedupe_key",
        "wms_source_model",
        "wms_source_id",
        "wms_first_response_date",
        "wms_sla_state",
        "wms_response_deadline",
        "wms_resolution_deadline",
        "wms_tier_id",
    }
)

SLA_STATES = [
    ("none", "No SLA"),
    ("on_track", "On Track"),
    ("at_risk", "At Risk"),
    ("breached", "Breached"),
    ("met", "Met"),
]


class HelpdeskTicket(models.Model):
    _inherit = "helpdesk.ticket"

    wms_picking_id = fields.Many2one(
        "stock.picking",
        string="Delivery",
        index="btree_not_null",
        tracking=True,
        help="The delivery this ticket is about.",
    )
    wms_return_picking_id = fields.Many2one(
        "stock.picking",
        string="Return",
        index="btree_not_null",
        help="The customer return that raised this ticket.",
    )
    wms_exception_type_id = fields.Many2one(
        "wms.exception.type",
        string="Exception Type",
        index="btree_not_null",
        tracking=True,
    )
    wms_tier_id = fields.Many2one(
        "wms.customer.tier",
        string="Customer Tier",
        compute="_compute_wms_tier_id",
        store=True,
        index="btree_not_null",
        help="Tier of the customer in the ticket's company.",
    )
    wms_source_model = fields.Char(
        string="Source Model",
        readonly=True,
        copy=False,
        help="Model of the record that raised it.",
    )
    wms_source_id = fields.Many2oneReference(
        string="Source Record",
        model_field="wms_source_model",
        readonly=True,
        copy=False,
    )
    wms_dedupe_key = fields.Char(
        string="Open Ticket Key",
        readonly=True,
        copy=False,
        help="Source record and exception type of an open ticket: a second "
        "trigger posts on this ticket instead of opening another. Cleared "
        "when the ticket closes.",
    )
    wms_first_response_date = fields.Datetime(
        string="First Response",
        readonly=True,
        copy=False,
        help="When a user first wrote to the customer (internal notes do not count).",
    )
    wms_sla_state = fields.Selection(
        SLA_STATES,
        string="SLA Status",
        compute="_compute_wms_sla_state",
        store=True,
        index=True,
    )
    wms_response_deadline = fields.Datetime(
        string="Respond By", compute="_compute_wms_deadlines", store=True
    )
    wms_resolution_deadline = fields.Datetime(
        string="Resolve By", compute="_compute_wms_deadlines", store=True
    )

    _wms_dedupe_key_uniq = models.UniqueIndex(
        "(wms_dedupe_key) WHERE wms_dedupe_key IS NOT NULL",
        "There is already an open ticket for this record and exception type.",
    )

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------
    @api.depends(
        "commercial_partner_id", "company_id", "commercial_partner_id.wms_tier_id"
    )
    def _compute_wms_tier_id(self):
        for ticket in self:
            ticket.wms_tier_id = ticket.commercial_partner_id.with_company(
                ticket.company_id
            ).wms_tier_id

    @api.depends("ticket_sla_ids.state", "ticket_sla_ids.wms_at_risk", "stage_id")
    def _compute_wms_sla_state(self):
        for ticket in self:
            lines = ticket.ticket_sla_ids
            states = set(lines.mapped("state"))
            if not lines:
                ticket.wms_sla_state = "none"
            elif "expired" in states:
                ticket.wms_sla_state = "breached"
            elif states == {"accomplished"} or ticket.stage_id.closed:
                ticket.wms_sla_state = "met"
            elif any(
                line.wms_at_risk and line.state != "accomplished" for line in lines
            ):
                ticket.wms_sla_state = "at_risk"
            else:
                ticket.wms_sla_state = "on_track"

    @api.depends("ticket_sla_ids.deadline", "ticket_sla_ids.wms_kind")
    def _compute_wms_deadlines(self):
        for ticket in self:
            lines = ticket.ticket_sla_ids
            ticket.wms_response_deadline = min(
                lines.filtered(lambda r: r.wms_kind == "response").mapped("deadline"),
                default=False,
            )
            ticket.wms_resolution_deadline = min(
                lines.filtered(lambda r: r.wms_kind == "resolution").mapped("deadline"),
                default=False,
            )

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._wms_check_server_fields(vals)
        return super().create(vals_list)

    def write(self, vals):
        self._wms_check_server_fields(vals)
        was_closed = {}
        if vals.get("stage_id"):
            was_closed = {ticket.id: ticket.closed for ticket in self}
            stage = self.env["helpdesk.ticket.stage"].browse(vals["stage_id"])
            if stage.closed:
                # the next trigger of the same exception opens a new ticket
                vals = dict(vals, wms_dedupe_key=False)
        if "active" in vals and not vals["active"]:
            # an archived ticket is no open ticket either
            vals = dict(vals, wms_dedupe_key=False)
        res = super().write(vals)
        if was_closed:
            self.filtered(lambda t: t.closed and not was_closed[t.id])._wms_on_close()
            self.filtered(lambda t: not t.closed and was_closed[t.id])._wms_on_reopen()
        if vals.get("team_id"):
            # helpdesk_mgmt_sla plans lines at creation only
            self.filtered(lambda t: not t.ticket_sla_ids).set_sla()
        return res

    def _wms_check_server_fields(self, vals):
        # empty values are what copy() and forms send: nothing is forged
        forbidden = {fname for fname in SERVER_FIELDS.intersection(vals) if vals[fname]}
        if forbidden and not self.env.su:
            raise AccessError(
                self.env._(
                    "These ticket fields are set by the system only: %(fields)s",
                    fields=", ".join(sorted(forbidden)),
                )
            )

    # ------------------------------------------------------------------
    # SLA
    # ------------------------------------------------------------------
    def _get_sla_ticket_domain(self):
        domain = super()._get_sla_ticket_domain()
        for fname, value in (
            ("wms_tier_ids", self.wms_tier_id),
            ("wms_exception_type_ids", self.wms_exception_type_id),
        ):
            if value:
                domain &= Domain(fname, "=", False) | Domain(fname, "in", value.ids)
            else:
                domain &= Domain(fname, "=", False)
        # OCA applies policies under sudo: keep another company's out
        return domain & Domain("company_id", "in", [False, self.company_id.id])

    def _get_sla(self):
        """One policy per measure (first response, resolution): OCA applies
        every matching policy, so keep the most specific of each (exception
        types, then tiers, then teams, then categories and tags; ties: the
        oldest)."""
        slas = super()._get_sla()
        best = {}
        for sla in slas.sorted("id"):
            rank = (
                bool(sla.wms_exception_type_ids),
                bool(sla.wms_tier_ids),
                bool(sla.team_ids),
                bool(sla.category_ids) + bool(sla.tag_ids),
            )
            if sla.wms_kind not in best or rank > best[sla.wms_kind][0]:
                best[sla.wms_kind] = (rank, sla)
        return slas.browse([sla.id for _rank, sla in best.values()])

    def set_sla(self):
        for ticket in self:
            team = ticket.team_id
            if team.use_sla and not team.resource_calendar_id:
                raise UserError(
                    self.env._(
                        "The team %(team)s uses SLA but has no working hours: "
                        "set its Working Hours first.",
                        team=team.display_name,
                    )
                )
        # OCA's set_sla, with the lines of every ticket made in one create
        # (OCA makes one per line: a batch of automatic tickets would pay
        # for each)
        self.ticket_sla_ids.unlink()
        self.env["helpdesk.ticket.sla"].create(
            [
                {"ticket_id": ticket.id, "sla_id": sla.id}
                for ticket in self.filtered("team_id.use_sla")
                for sla in ticket._get_sla()
            ]
        )
        # a ticket created closed (or given its team once closed) waits for
        # nothing: its clocks stop as if it had just closed
        for line in self.filtered(lambda t: t.stage_id.closed).ticket_sla_ids:
            line._stage_recompute()

    # ------------------------------------------------------------------
    # First response, closing, rating
    # ------------------------------------------------------------------
    def _message_post_after_hook(self, message, msg_vals):
        res = super()._message_post_after_hook(message, msg_vals)
        if (
            not self.wms_first_response_date
            and message.message_type in ("comment", "email")
            and not message.subtype_id.internal
            and message.author_id
            and message.author_id != self.partner_id
            and any(
                user.has_group("helpdesk_mgmt.group_helpdesk_user_own")
                for user in message.author_id.sudo().user_ids
            )
        ):
            # sudo: the first response date and the SLA lines are the
            # server's to write; a helpdesk user's answer sets them
            self.sudo()._wms_record_first_response(message.date)
        return res

    def message_post(self, **kwargs):
        # Stock users read the tickets of their transfers (record rule) and
        # may not write them: since helpdesk_mgmt lets readers post, they
        # could answer the customer in Customer Care's name. Users who read
        # the ticket for another reason (its contact, a follower, helpdesk
        # users) post as helpdesk_mgmt allows.
        user = self.env.user
        if (
            not self.env.su
            and user._is_internal()
            and not user.has_group("helpdesk_mgmt.group_helpdesk_user_own")
        ):
            for ticket in self:
                if ticket.partner_id != user.partner_id and (
                    user.partner_id not in ticket.sudo().message_partner_ids
                ):
                    ticket.check_access("write")
        return super().message_post(**kwargs)

    def _wms_record_first_response(self, when):
        self.ensure_one()
        self.wms_first_response_date = when
        lines = self.ticket_sla_ids.filtered(
            lambda r: r.wms_kind == "response" and r.state in ("in_progress", "on_hold")
        )
        # a paused line is met if its consumed time fits: its deadline is
        # where the clock stopped, not where it would run out
        met = lines.filtered(
            lambda r: (
                (r.consumed_time <= r.hours)
                if r.state == "on_hold"
                else (not r.deadline or r.deadline >= when)
            )
        )
        met.write({"state": "accomplished", "last_state_date": when})
        (lines - met).write({"state": "expired", "last_state_date": when})
        # a late answer still ends the "breached" reminder of its line
        (lines - met)._wms_close_activities(
            feedback=self.env._("Answered after the deadline.")
        )
        self._wms_refresh_kpi()

    def _wms_on_close(self):
        self._wms_follow_up_activities().unlink()
        self.ticket_sla_ids._wms_close_activities(feedback=self.env._("Ticket closed."))
        days = self._wms_follow_up_days()
        today = fields.Date.context_today(self)
        for ticket in self:
            user = ticket.user_id or ticket.team_id.user_id
            if not user:
                continue
            tz = self.env["res.partner"]._wms_user_tz(
                user, ticket.company_id.partner_id._wms_tz(company=ticket.company_id)
            )
            start = self.env["res.partner"]._wms_local_date(fields.Datetime.now(), tz)
            ticket.activity_schedule(
                "wms_service_tickets.mail_activity_type_follow_up",
                date_deadline=fields.Date.add(start or today, days=days),
                summary=self.env._("Follow up with the customer"),
                user_id=user.id,
            )
        self._wms_refresh_kpi()

    def _wms_on_reopen(self):
        self._wms_follow_up_activities().unlink()
        # helpdesk_mgmt keeps the closing date of a reopened ticket; and the
        # ticket is again the open ticket of its source, unless another is
        # sudo: server fields, written for the user who reopens
        tickets = self.sudo()
        tickets.write({"closed_date": False})
        for ticket in tickets.filtered("wms_source_model"):
            key = self._wms_dedupe_key(
                {
                    "source": self.env[ticket.wms_source_model].browse(
                        ticket.wms_source_id
                    ),
                    "exception_type": ticket.wms_exception_type_id,
                }
            )
            if not tickets.with_context(active_test=False).search_count(
                [("wms_dedupe_key", "=", key)], limit=1
            ):
                ticket.wms_dedupe_key = key
        self._wms_refresh_kpi()

    def _wms_follow_up_activities(self):
        activity_type = self.env.ref("wms_service_tickets.mail_activity_type_follow_up")
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "helpdesk.ticket"),
                ("res_id", "in", self.ids),
                ("activity_type_id", "=", activity_type.id),
            ]
        )

    @api.model
    def _wms_follow_up_days(self):
        value = self.env["ir.config_parameter"].sudo().get_param(FOLLOW_UP_DAYS_PARAM)
        try:
            days = int(value) if value else DEFAULT_FOLLOW_UP_DAYS
        except ValueError:
            days = DEFAULT_FOLLOW_UP_DAYS
        return max(days, 0)

    def rating_apply(
        self,
        rate,
        token=None,
        rating=None,
        feedback=None,
        subtype_xmlid=None,
        notify_delay_send=False,
    ):
        res = super().rating_apply(
            rate,
            token=token,
            rating=rating,
            feedback=feedback,
            subtype_xmlid=subtype_xmlid,
            notify_delay_send=notify_delay_send,
        )
        self._wms_refresh_kpi()
        return res

    def _wms_refresh_kpi(self):
        """Refresh the KPI rows of these tickets' customers (tickets closed,
        rated or answered count in them)."""
        partners = self.commercial_partner_id
        if partners:
            # sudo: KPI rows are derived figures nobody writes by hand; the
            # refresh is limited to these customers and companies
            self.env["wms.customer.kpi"].sudo()._refresh(
                partners.ids, self.company_id.ids
            )

    # ------------------------------------------------------------------
    # Exception tickets
    # ------------------------------------------------------------------
    @api.model
    def wms_report_exception(
        self,
        exception_code,
        partner_id=False,
        picking_id=False,
        description="",
        source_model=False,
        source_id=False,
    ):
        """Report a delivery exception; return the id of its ticket.

        Opens a ticket routed by the customer's tier, or, when a ticket for
        the same source record and exception type is still open, posts the
        description on it and returns that one.

        :param exception_code: code of a ``wms.exception.type`` (``damaged``,
            ``late_delivery``...)
        :param partner_id: the customer; default: the picking's
        :param picking_id: the delivery concerned
        :param description: plain text
        :param source_model: model of the record that raised it, with
            ``source_id``; default: the picking
        Allowed to internal users who can read the picking, the source
        record and the partner given.
        """
        if not self.env.user._is_internal():
            raise AccessError(self.env._("Only internal users can report exceptions."))
        picking = self._wms_readable(
            "stock.picking",
            picking_id,
            self.env._("Transfer %(id)s does not exist.", id=picking_id),
        )
        source = picking
        if source_model or source_id:
            source = self._wms_readable(
                source_model if source_model in self.env else None,
                source_id,
                self.env._(
                    "Unknown source record %(model)s,%(id)s.",
                    model=source_model,
                    id=source_id,
                ),
                required=True,
            )
        partner = self._wms_readable(
            "res.partner",
            partner_id,
            self.env._("Contact %(id)s does not exist.", id=partner_id),
        )
        partner = partner or picking.partner_id
        return_picking = picking.browse()
        if picking.picking_type_code == "incoming" and picking.return_id:
            # a customer return: the ticket is about the delivery it returns
            return_picking, picking = picking, picking.return_id
        if not (picking or source or partner):
            raise UserError(
                self.env._("Give the delivery, the source record or the customer.")
            )
        company = (
            picking.company_id
            or ("company_id" in source._fields and source.company_id)
            or self.env.company
        )
        exception_type = self.env["wms.exception.type"].search(
            [("code", "=", exception_code), ("company_id", "in", [False, company.id])],
            limit=1,
        )
        if not exception_type:
            raise UserError(
                self.env._(
                    "Unknown exception type %(code)s.", code=exception_code or ""
                )
            )
        ticket = self._wms_open_exception_tickets(
            [
                {
                    "exception_type": exception_type,
                    "partner": partner,
                    "picking": picking,
                    "return_picking": return_picking,
                    "source": source,
                    "company": company,
                    "description": description or "",
                }
            ]
        )
        return ticket.id

    @api.model
    def _wms_readable(self, model, record_id, missing, required=False):
        """The record ``record_id`` of ``model``, checked readable by the
        user; empty for no id unless ``required``; a ``UserError`` saying
        ``missing`` for an unknown model or record."""
        if not record_id and model and not required:
            return self.env[model]
        try:
            record = self.env[model].browse(int(record_id)).exists() if model else None
        except (TypeError, ValueError):
            record = None
        if not record:
            raise UserError(missing)
        record.check_access("read")
        return record

    @api.model
    def _wms_open_exception_tickets(self, requests):
        """Open the tickets of ``requests`` in one create, or post on the
        open ticket of the same source and exception type.

        Each request is a dict: ``exception_type``, ``company``, and
        optionally ``partner``, ``picking``, ``return_picking``, ``source``
        (a record; default the picking), ``description`` (plain text).
        The caller has checked that its user may report them.

        :return: the tickets, one per request, in order (a repeated request
            gives the same ticket)
        """
        # sudo: plain internal and stock users may only read tickets; the
        # caller checked the user may read what the tickets are about
        # no subscription of the reporting user, and no "you have been
        # assigned" mail per automatic ticket: the assignee finds it under
        # My Tickets, and the SLA watch schedules activities when it matters
        tickets = self.sudo().with_context(
            mail_create_nosubscribe=True, mail_auto_subscribe_no_notify=True
        )
        keys = [self._wms_dedupe_key(request) for request in requests]
        open_tickets = {
            ticket.wms_dedupe_key: ticket
            for ticket in tickets.with_context(active_test=False).search(
                [("wms_dedupe_key", "in", [k for k in keys if k])]
            )
        }
        vals_list, new_index, load = [], {}, {}
        for index, (key, request) in enumerate(zip(keys, requests, strict=True)):
            if key and key in open_tickets:
                open_tickets[key].message_post(
                    body=self._wms_repeat_body(request),
                    message_type="comment",
                    subtype_xmlid="mail.mt_note",
                )
            elif not key or key not in new_index:
                vals_list.append(self._wms_ticket_vals(request, key, load))
                new_index[key or ("request", index)] = len(vals_list) - 1
        created = tickets.browse()
        if vals_list:
            try:
                with self.env.cr.savepoint():
                    created = tickets.create(vals_list)
            except psycopg2.errors.UniqueViolation as error:
                # another transaction opened the same ticket meanwhile: let
                # Odoo retry the request, which then finds and posts on it
                raise ConcurrencyError(
                    "An exception ticket was opened concurrently"
                ) from error
        ids = []
        for index, key in enumerate(keys):
            if key and key in open_tickets:
                ids.append(open_tickets[key].id)
            else:
                ids.append(created[new_index[key or ("request", index)]].id)
        return self.browse(ids)

    @api.model
    def _wms_dedupe_key(self, request):
        source = request.get("source") or request.get("picking")
        if not source:
            return False
        return f"{source._name},{source.id},{request['exception_type'].id}"

    @api.model
    def _wms_repeat_body(self, request):
        text = request.get("description") or self.env._(
            "The exception was reported again."
        )
        return plaintext2html(text)

    @api.model
    def _wms_ticket_vals(self, request, key, load):
        exception_type = request["exception_type"]
        company = request["company"]
        partner = request.get("partner") or self.env["res.partner"]
        picking = request.get("picking") or self.env["stock.picking"]
        source = request.get("source") or picking
        team, user, priority = self._wms_route(exception_type, partner, company, load)
        subject = picking.name or source.display_name or partner.display_name
        vals = {
            "name": f"{exception_type.name}: {subject}"
            if subject
            else exception_type.name,
            "description": plaintext2html(
                request.get("description") or exception_type.name
            ),
            "company_id": company.id,
            "partner_id": partner.id,
            "partner_name": partner.name,
            "partner_email": partner.email,
            "category_id": exception_type.category_id.id,
            "priority": priority,
            # always both: helpdesk_mgmt would assign whoever runs this
            "team_id": team.id,
            "user_id": user.id,
            "wms_exception_type_id": exception_type.id,
            "wms_picking_id": picking.id,
            "wms_return_picking_id": (
                request.get("return_picking") or picking.browse()
            ).id,
            "wms_dedupe_key": key,
        }
        if source:
            vals.update(wms_source_model=source._name, wms_source_id=source.id)
        return vals

    @api.model
    def _wms_route(self, exception_type, partner, company, load=None):
        """(team, user, priority) of a new ticket.

        Team: the exception type's, else the Customer Care team. Priority:
        the higher of the type's and the customer tier's. User: the account
        manager for tiers routed to them, if a member of the team; else the
        member with the fewest open tickets (ties: lowest id); else nobody.

        :param load: {user id: open tickets}, shared by the requests of one
            batch so that each assignment counts for the next
        """
        load = {} if load is None else load
        team = exception_type.team_id
        if not team or team.company_id not in (company, company.browse()):
            team = company._wms_default_ticket_team()
        # sudo: routing reads team members and their open tickets, which the
        # reporting user may not see
        team = team.sudo()
        customer = partner.commercial_partner_id.with_company(company)
        tier = customer.wms_tier_id
        priority = max(exception_type.priority or "0", tier.ticket_priority or "0")
        members = team.user_ids.filtered(
            lambda u: u.active and not u.share and company in u.company_ids
        )
        manager = customer.sudo().wms_account_manager_id
        if tier.route_to_account_manager and manager in members:
            user = manager
        elif members:
            missing = members.filtered(lambda u: u.id not in load)
            if missing:
                counts = dict(
                    self.sudo()._read_group(
                        [("user_id", "in", missing.ids), ("closed", "=", False)],
                        ["user_id"],
                        ["__count"],
                    )
                )
                load.update({u.id: counts.get(u, 0) for u in missing})
            user = min(members, key=lambda u: (load[u.id], u.id))
        else:
            return team, self.env["res.users"], priority
        load[user.id] = load.get(user.id, 0) + 1
        return team, user, priority

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_wms_view_picking(self):
        self.ensure_one()
        return self.wms_picking_id._get_formview_action()

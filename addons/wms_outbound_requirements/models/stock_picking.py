# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).

from odoo import api, fields, models
from odoo.tools.misc import format_datetime

OPEN_STATES = ("draft", "done", "cancel")  # states a snapshot is NOT made in


class StockPicking(models.Model):
    _inherit = "stock.picking"

    wms_requirement_line_ids = fields.One2many(
        "wms.picking.requirement",
        "picking_id",
        string="Special Requirements",
        copy=False,
    )
    wms_requirement_type_ids = fields.Many2many(
        "wms.handling.requirement.type",
        string="Requirement Types",
        compute="_compute_wms_requirement_summary",
    )
    wms_requirement_count = fields.Integer(
        string="Requirement Count", compute="_compute_wms_requirement_summary"
    )
    wms_requirement_blocking_count = fields.Integer(
        string="Requirements to Acknowledge",
        compute="_compute_wms_requirement_summary",
    )
    wms_requirement_pending = fields.Boolean(
        string="Pending Requirements",
        compute="_compute_wms_requirement_pending",
        store=True,
        help="Some special requirements are neither acknowledged nor waived.",
    )
    wms_window_ok = fields.Boolean(
        string="In Delivery Window",
        compute="_compute_wms_window",
        store=True,
        help="The scheduled date falls inside one of the customer's delivery "
        "windows (or the customer accepts deliveries any time).",
    )
    wms_next_window_start = fields.Datetime(
        string="Next Delivery Window",
        compute="_compute_wms_window",
        store=True,
        help="The scheduled date when it is inside a delivery window; "
        "otherwise the start of the customer's next window after it.",
    )
    wms_late_risk = fields.Boolean(
        string="Late Risk",
        readonly=True,
        copy=False,
        index=True,
        help="Set by the delivery watch: the deadline (or scheduled date) "
        "has passed or falls within the watch horizon.",
    )

    @api.depends(
        "wms_requirement_line_ids.type_id",
        "wms_requirement_line_ids.blocking",
        "wms_requirement_line_ids.state",
    )
    def _compute_wms_requirement_summary(self):
        for picking in self:
            lines = picking.wms_requirement_line_ids
            picking.wms_requirement_type_ids = lines.type_id
            picking.wms_requirement_count = len(lines)
            picking.wms_requirement_blocking_count = len(
                lines.filtered(lambda line: line.blocking and line.state == "pending")
            )

    @api.depends("wms_requirement_line_ids.state")
    def _compute_wms_requirement_pending(self):
        for picking in self:
            picking.wms_requirement_pending = any(
                line.state == "pending" for line in picking.wms_requirement_line_ids
            )

    # Partners' windows and time zones are not dependencies: a change there
    # would recompute every transfer of the customer, done ones included;
    # res.partner and partner.delivery.time.window recompute the open ones.
    @api.depends("state", "scheduled_date", "picking_type_code", "partner_id")
    def _compute_wms_window(self):
        for picking in self:
            picking.wms_window_ok = True
            picking.wms_next_window_start = False
            if (
                picking.picking_type_code != "outgoing"
                or picking.state in ("done", "cancel")
                or not picking.partner_id
                or not picking.scheduled_date
            ):
                continue
            partner = picking._wms_window_partner()
            inside, slot = partner._wms_window_slot(picking.scheduled_date)
            picking.wms_window_ok = inside
            picking.wms_next_window_start = slot

    def _compute_partner_delivery_window_warning(self):
        # stock_partner_delivery_window reads windows in the partner's
        # delivery_window_tz, whose last fallback is the current company's
        # time zone: make it the transfer's company
        res = None
        for company, pickings in self.grouped("company_id").items():
            res = super(
                StockPicking, pickings.with_company(company)
            )._compute_partner_delivery_window_warning()
        # it reads the address's windows only; a delivery to an address
        # without a preference of its own follows its company's windows
        for picking in self:
            if (
                picking.partner_delivery_window_warning
                or picking.picking_type_code != "outgoing"
                or not picking.partner_id
                or not picking.scheduled_date
            ):
                continue
            partner = picking._wms_window_partner()
            if partner == picking.partner_id:
                continue
            inside, slot = partner._wms_window_slot(picking.scheduled_date)
            if not inside:
                picking.partner_delivery_window_warning = picking._wms_window_message(
                    partner, slot
                )
        return res

    def _wms_window_partner(self):
        """The partner whose delivery windows apply to this transfer, in the
        transfer's company (the last fallback of its time zone)."""
        self.ensure_one()
        return self.partner_id._wms_window_partner().with_company(self.company_id)

    def _wms_window_message(self, partner, slot):
        self.ensure_one()
        tz = partner.with_company(self.company_id).delivery_window_tz
        if slot:
            return self.env._(
                "The scheduled date %(date)s (%(tz)s) is outside the delivery "
                "windows of %(partner)s; the next window starts %(next)s.",
                date=format_datetime(self.env, self.scheduled_date, tz=tz),
                tz=tz,
                partner=partner.display_name,
                next=format_datetime(self.env, slot, tz=tz),
            )
        return self.env._(
            "The scheduled date %(date)s (%(tz)s) cannot be checked: "
            "%(partner)s asks for deliveries in fixed time windows but has "
            "none defined.",
            date=format_datetime(self.env, self.scheduled_date, tz=tz),
            tz=tz,
            partner=partner.display_name,
        )

    # ------------------------------------------------------------------
    # Snapshot of the customer's requirements
    # ------------------------------------------------------------------
    def write(self, vals):
        res = super().write(vals)
        if "partner_id" in vals:
            self._wms_sync_requirements()
        return res

    def _create_backorder(self, backorder_moves=None):
        # a backorder is a shipment of its own: the customer's requirements
        # are copied onto it and acknowledged again before it goes
        backorders = super()._create_backorder(backorder_moves=backorder_moves)
        backorders._wms_sync_requirements()
        return backorders

    def _wms_sync_requirements(self):
        """Make the requirement lines of these open outgoing transfers match
        the requirements of their customer that apply to them.

        Lines still applying are kept as they are (with their
        acknowledgement); new ones are added, those no longer applying are
        removed. Works on any number of transfers in a constant number of
        queries. Called when transfers are confirmed and when their customer
        or products change; later edits of the customer's requirements don't
        touch transfers already confirmed.

        Acknowledged and waived lines are the audit trail of what was done
        for the customer: a resync never deletes nor rewrites them, even when
        their requirement no longer applies (archived, another customer).
        Only customer deliveries get requirements, not returns to a vendor.
        """
        pickings = self._wms_deliveries().filtered(lambda p: p.state not in OPEN_STATES)
        if not pickings:
            return
        # The user confirming a delivery (a salesperson through a sale order,
        # a warehouse user) may not read requirements: the snapshot is data
        # derived from the customer's requirements, made for these pickings.
        pickings = pickings.sudo()
        partners = pickings.partner_id | pickings.partner_id.commercial_partner_id
        requirements = (
            self.env["wms.handling.requirement"]
            .sudo()
            .search(
                [
                    ("partner_id", "in", partners.ids),
                    ("company_id", "in", [False, *pickings.company_id.ids]),
                ]
            )
        )
        by_partner = requirements.grouped("partner_id")
        Requirement = requirements.browse()
        to_create = []
        to_unlink = self.env["wms.picking.requirement"].sudo()
        for picking in pickings:
            address = picking.partner_id
            candidates = by_partner.get(address, Requirement) | by_partner.get(
                address.commercial_partner_id, Requirement
            )
            applicable = Requirement
            if candidates:
                applicable = candidates.filtered(
                    lambda r, p=picking: r._wms_applies_to(p)
                )
            lines = picking.wms_requirement_line_ids
            to_unlink |= lines.filtered(
                lambda line, a=applicable: (
                    not line.acknowledged
                    and not line.waived
                    and line.requirement_id
                    and line.requirement_id not in a
                )
            )
            to_create += [
                requirement._wms_snapshot_values(picking)
                for requirement in applicable - lines.requirement_id
            ]
        to_unlink.unlink()
        if to_create:
            self.env["wms.picking.requirement"].sudo().create(to_create)

    # ------------------------------------------------------------------
    # Validation
    # ------------------------------------------------------------------
    def _wms_blocking_lines(self):
        return self.wms_requirement_line_ids.filtered(
            lambda line: line.blocking and line.state == "pending"
        )

    def _pre_action_done_hook(self):
        # blocking requirements come first: a checklist, as Odoo asks about
        # backorders. Nothing skips it (no context key): the checklist
        # acknowledges the lines, then validates again the usual way.
        # As superuser: a line the caller may not read (a record rule, no
        # access right) must block all the same.
        pending = self.sudo()._wms_blocking_lines()
        if pending:
            return self.browse(pending.picking_id.ids)._wms_action_requirement_check()
        return super()._pre_action_done_hook()

    def _wms_action_requirement_check(self):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Special Requirements to Acknowledge"),
            "res_model": "wms.requirement.check",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": dict(
                self.env.context,
                default_picking_ids=self.ids,
            ),
        }

    def action_wms_acknowledge_requirements(self):
        """Acknowledge every open requirement line of these transfers (for
        scanners and integrators; users tick them in the checklist)."""
        self.wms_requirement_line_ids.action_acknowledge()
        return True

    def action_wms_reschedule_to_window(self):
        """Move the scheduled date of these deliveries to the start of their
        customer's next delivery window (those already inside one stay)."""
        self.check_access("write")
        moved = self.browse()
        for picking in self.filtered(
            lambda p: not p.wms_window_ok and p.wms_next_window_start
        ):
            old = picking.scheduled_date
            picking.scheduled_date = picking.wms_next_window_start
            moved |= picking
            tz = picking._wms_window_partner().delivery_window_tz
            picking.message_post(
                body=self.env._(
                    "Rescheduled into the customer's delivery window: from "
                    "%(old)s to %(new)s (%(tz)s).",
                    old=format_datetime(self.env, old, tz=tz),
                    new=format_datetime(self.env, picking.scheduled_date, tz=tz),
                    tz=tz,
                ),
                subtype_xmlid="mail.mt_note",
            )
        moved._wms_close_watch_activities(kinds=["window"])
        return True

    def _action_done(self):
        res = super()._action_done()
        self._wms_close_watch_activities()
        return res

    def action_cancel(self):
        res = super().action_cancel()
        self._wms_close_watch_activities()
        return res

    def action_wms_view_customer_requirements(self):
        self.ensure_one()
        return self.partner_id.commercial_partner_id.action_wms_view_requirements()

    def _get_wms_report_requirements(self):
        """Requirement lines to print on the delivery slip and picking list."""
        return self.wms_requirement_line_ids.filtered(lambda line: not line.waived)

    # ------------------------------------------------------------------
    # Watch: late risk, stock shortage, delivery window
    # ------------------------------------------------------------------
    @api.model
    def _cron_wms_watch_deliveries(self):
        # the scheduled action's entry point (private, not callable over
        # RPC) is what says "this is the cron", never the context
        self.env["wms.delivery.watch"]._run(in_cron=True)

    def _wms_close_watch_activities(self, kinds=None):
        self.env["wms.delivery.watch"]._close(self, kinds=kinds)

    def _wms_delivery_tz(self):
        """The time zone of this transfer's local dates: the one chain of
        res.partner._wms_tz (the address's, its commercial partner's, the
        transfer's company's, UTC)."""
        self.ensure_one()
        return self.partner_id._wms_tz(self.company_id)

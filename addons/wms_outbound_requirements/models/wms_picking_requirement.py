# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

WAIVE_GROUPS = (
    "stock.group_stock_manager",
    "wms_customer_profile.wms_customer_profile_group_manager",
)
# what a warehouse user may write on a line: its acknowledgement
ACK_FIELDS = {"acknowledged", "acknowledged_by_id", "acknowledged_date"}


class WmsPickingRequirement(models.Model):
    """A customer requirement as it applied to one transfer when the
    transfer was confirmed (a snapshot: later edits of the customer's
    requirements don't change it)."""

    _name = "wms.picking.requirement"
    _description = "Transfer Handling Requirement"
    _order = "picking_id, sequence, id"
    _rec_name = "name"

    picking_id = fields.Many2one(
        "stock.picking",
        string="Transfer",
        required=True,
        index=True,
        ondelete="cascade",
        readonly=True,
    )
    company_id = fields.Many2one(
        related="picking_id.company_id", store=True, index=True, string="Company"
    )
    partner_id = fields.Many2one(related="picking_id.partner_id", string="Customer")
    requirement_id = fields.Many2one(
        "wms.handling.requirement",
        string="Customer Requirement",
        index=True,
        ondelete="set null",
        readonly=True,
    )
    sequence = fields.Integer(default=10, readonly=True)
    name = fields.Char(required=True, readonly=True)
    type_id = fields.Many2one(
        "wms.handling.requirement.type",
        string="Type",
        required=True,
        ondelete="restrict",
        readonly=True,
    )
    category = fields.Selection(related="type_id.category")
    icon = fields.Char(related="type_id.icon")
    color = fields.Integer(related="type_id.color", string="Color")
    instructions = fields.Text(readonly=True)
    temperature_text = fields.Char(string="Temperature", readonly=True)
    blocking = fields.Boolean(readonly=True)
    acknowledged = fields.Boolean(copy=False)
    acknowledged_by_id = fields.Many2one(
        "res.users", string="Acknowledged By", copy=False, readonly=True
    )
    acknowledged_date = fields.Datetime(
        string="Acknowledged On", copy=False, readonly=True
    )
    waived = fields.Boolean(copy=False, readonly=True)
    waive_reason = fields.Text(string="Waiver Reason", copy=False, readonly=True)
    waived_by_id = fields.Many2one(
        "res.users", string="Waived By", copy=False, readonly=True
    )
    state = fields.Selection(
        [
            ("pending", "To Acknowledge"),
            ("acknowledged", "Acknowledged"),
            ("waived", "Waived"),
        ],
        compute="_compute_state",
        store=True,
    )

    @api.depends("acknowledged", "waived")
    def _compute_state(self):
        for line in self:
            if line.waived:
                line.state = "waived"
            elif line.acknowledged:
                line.state = "acknowledged"
            else:
                line.state = "pending"

    def write(self, vals):
        if not self.env.su and set(vals) - ACK_FIELDS and not self._wms_can_waive():
            raise AccessError(
                self.env._(
                    "Only inventory managers and Customer Care managers can "
                    "change a transfer's requirements; warehouse users "
                    "acknowledge them."
                )
            )
        if vals.get("acknowledged"):
            # who and when are recorded, never taken from the caller
            vals = dict(
                vals,
                acknowledged_by_id=self.env.uid,
                acknowledged_date=fields.Datetime.now(),
            )
        elif "acknowledged" in vals:
            vals = dict(vals, acknowledged_by_id=False, acknowledged_date=False)
        return super().write(vals)

    @api.model
    def _wms_can_waive(self):
        return any(self.env.user.has_group(group) for group in WAIVE_GROUPS)

    def _wms_open(self):
        return self.filtered(lambda line: not line.acknowledged and not line.waived)

    def action_acknowledge(self):
        """Acknowledge these lines (the requirement is fulfilled)."""
        self.picking_id.check_access("write")
        lines = self._wms_open()
        if not lines:
            return True
        if lines.picking_id.filtered(lambda p: p.state in ("done", "cancel")):
            raise UserError(
                self.env._("Requirements of a done or cancelled transfer are closed.")
            )
        lines.write({"acknowledged": True})
        for picking, picking_lines in lines.grouped("picking_id").items():
            picking.message_post(
                body=Markup("%s<ul>%s</ul>")
                % (
                    self.env._("Special requirements acknowledged:"),
                    Markup().join(
                        Markup("<li>%s</li>") % line.name for line in picking_lines
                    ),
                ),
                subtype_xmlid="mail.mt_note",
            )
        return True

    def action_waive(self, reason):
        """Waive these lines: the delivery may be validated without them.

        Inventory and Customer Care managers only; the reason is required
        and logged in the transfer's chatter.
        """
        if not self._wms_can_waive():
            raise AccessError(
                self.env._(
                    "Only inventory managers and Customer Care managers can "
                    "waive a special requirement."
                )
            )
        reason = (reason or "").strip()
        if not reason:
            raise UserError(self.env._("Give a reason to waive a requirement."))
        lines = self._wms_open()
        if lines.picking_id.filtered(lambda p: p.state in ("done", "cancel")):
            raise UserError(
                self.env._("Requirements of a done or cancelled transfer are closed.")
            )
        lines.write(
            {"waived": True, "waive_reason": reason, "waived_by_id": self.env.uid}
        )
        for picking, picking_lines in lines.grouped("picking_id").items():
            picking.message_post(
                body=Markup("%s<ul>%s</ul>%s")
                % (
                    self.env._("Special requirements waived:"),
                    Markup().join(
                        Markup("<li>%s</li>") % line.name for line in picking_lines
                    ),
                    Markup("<p>%s</p>")
                    % self.env._("Reason: %(reason)s", reason=reason),
                ),
                subtype_xmlid="mail.mt_note",
            )
        return True

    def action_open_waive_wizard(self):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Waive Requirements"),
            "res_model": "wms.requirement.waive",
            "view_mode": "form",
            "target": "new",
            "context": {"default_line_ids": self._wms_open().ids},
        }

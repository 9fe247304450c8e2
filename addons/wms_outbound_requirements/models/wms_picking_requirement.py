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
ACK_FIELDS = {"acknowledged"}
# a waiver, given by a manager with a reason (action_waive)
WAIVE_FIELDS = {"waived", "waive_reason"}
# who and when: recorded by the server, never taken from a caller
SERVER_FIELDS = {"acknowledged_by_id", "acknowledged_date", "waived_by_id"}
CLOSED_STATES = ("done", "cancel")


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

    @api.model_create_multi
    def create(self, vals_list):
        # lines are snapshots made by the server (see
        # stock.picking._wms_sync_requirements); acknowledging and waiving
        # are changes of an existing line, logged on its transfer
        if not self.env.su and any(
            (SERVER_FIELDS | ACK_FIELDS | WAIVE_FIELDS).intersection(vals)
            for vals in vals_list
        ):
            raise AccessError(self._wms_server_fields_message())
        return super().create(vals_list)

    def write(self, vals):
        """Every change of an acknowledgement or a waiver, whatever the way
        in (checklist, buttons, the editable list, RPC), goes through here:
        rights and closed transfers are checked, who and when are recorded,
        and the change is logged in the transfer's chatter."""
        self._wms_check_write(vals)
        changes = self._wms_changes(vals)
        res = super().write(vals)
        for key, lines in changes.items():
            # the superuser (an import) may bring its own who and when
            stamp = {
                fname: value
                for fname, value in self._wms_stamp(key).items()
                if fname not in vals
            }
            if stamp:
                super(WmsPickingRequirement, lines).write(stamp)
        self._wms_log_changes(vals, changes)
        return res

    @api.ondelete(at_uninstall=False)
    def _unlink_except_closed_transfer(self):
        self._wms_check_open_transfers()

    @api.model
    def _wms_can_waive(self):
        return any(self.env.user.has_group(group) for group in WAIVE_GROUPS)

    @api.model
    def _wms_server_fields_message(self):
        return self.env._(
            "Who acknowledged or waived a special requirement, and when, are "
            "recorded by the server: acknowledge or waive the requirement "
            "instead."
        )

    def _wms_check_open_transfers(self):
        # the caller may not read every transfer of these lines (a record
        # rule): only their state is read, to refuse the change
        if self.sudo().picking_id.filtered(lambda p: p.state in CLOSED_STATES):
            raise UserError(
                self.env._("Requirements of a done or cancelled transfer are closed.")
            )

    def _wms_check_write(self, vals):
        if not self.env.su:
            if SERVER_FIELDS.intersection(vals):
                raise AccessError(self._wms_server_fields_message())
            if set(vals) - ACK_FIELDS and not self._wms_can_waive():
                raise AccessError(
                    self.env._(
                        "Only inventory managers and Customer Care managers can "
                        "change a transfer's requirements; warehouse users "
                        "acknowledge them."
                    )
                )
        self._wms_check_open_transfers()
        if "waive_reason" in vals and not vals.get("waived"):
            raise UserError(
                self.env._("A waiver's reason is given when the requirement is waived.")
            )
        if vals.get("waived"):
            if not (vals.get("waive_reason") or "").strip():
                raise UserError(self.env._("Give a reason to waive a requirement."))
            if waived := self.filtered("waived"):
                # a waiver is logged once: its reason is not rewritten
                raise UserError(
                    self.env._(
                        "Already waived: %(names)s",
                        names=", ".join(waived.mapped("name")),
                    )
                )

    def _wms_changes(self, vals):
        """The lines whose acknowledgement or waiver ``vals`` changes:
        {"acknowledged"|"unacknowledged"|"waived"|"unwaived": lines}."""
        changes = {}
        if "acknowledged" in vals:
            key = "acknowledged" if vals["acknowledged"] else "unacknowledged"
            changes[key] = self.filtered(
                lambda line: line.acknowledged != bool(vals["acknowledged"])
            )
        if "waived" in vals:
            key = "waived" if vals["waived"] else "unwaived"
            changes[key] = self.filtered(
                lambda line: line.waived != bool(vals["waived"])
            )
        return {key: lines for key, lines in changes.items() if lines}

    def _wms_stamp(self, key):
        """Who and when, for lines whose acknowledgement or waiver changes
        (``key`` as in ``_wms_changes``)."""
        return {
            "acknowledged": {
                "acknowledged_by_id": self.env.uid,
                "acknowledged_date": fields.Datetime.now(),
            },
            "unacknowledged": {"acknowledged_by_id": False, "acknowledged_date": False},
            "waived": {"waived_by_id": self.env.uid},
            "unwaived": {"waived_by_id": False, "waive_reason": False},
        }[key]

    def _wms_log_changes(self, vals, changes):
        """Log each change in the chatter of the lines' transfers: the same
        message whatever the way in."""
        titles = {
            "acknowledged": self.env._("Special requirements acknowledged:"),
            "unacknowledged": self.env._("Acknowledgement withdrawn:"),
            "waived": self.env._("Special requirements waived:"),
            "unwaived": self.env._("Waiver withdrawn:"),
        }
        for key, lines in changes.items():
            reason = Markup()
            if key == "waived":
                reason = Markup("<p>%s</p>") % self.env._(
                    "Reason: %(reason)s", reason=vals["waive_reason"].strip()
                )
            for picking, picking_lines in lines.grouped("picking_id").items():
                picking.message_post(
                    body=Markup("%s<ul>%s</ul>%s")
                    % (
                        titles[key],
                        Markup().join(
                            Markup("<li>%s</li>") % line.name for line in picking_lines
                        ),
                        reason,
                    ),
                    subtype_xmlid="mail.mt_note",
                )

    def _wms_open(self):
        return self.filtered(lambda line: not line.acknowledged and not line.waived)

    def action_acknowledge(self):
        """Acknowledge these lines (the requirement is fulfilled)."""
        self.picking_id.check_access("write")
        self._wms_open().write({"acknowledged": True})
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
        self._wms_open().write({"waived": True, "waive_reason": reason})
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

# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import Command, api, fields, models
from odoo.exceptions import UserError


class WmsRequirementCheck(models.TransientModel):
    """Checklist of the blocking requirements of the transfers being
    validated: tick each one, confirm, and the validation goes on."""

    _name = "wms.requirement.check"
    _description = "Special Requirements Checklist"

    picking_ids = fields.Many2many("stock.picking", string="Transfers")
    line_ids = fields.One2many(
        "wms.requirement.check.line", "wizard_id", string="Requirements"
    )
    show_transfers = fields.Boolean(compute="_compute_show_transfers")

    @api.depends("picking_ids")
    def _compute_show_transfers(self):
        for wizard in self:
            wizard.show_transfers = len(wizard.picking_ids) > 1

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        picking_ids = self.env.context.get("default_picking_ids")
        if "line_ids" in fields_list and picking_ids:
            pickings = self.env["stock.picking"].browse(picking_ids)
            # the transfers come from the caller's context: list only the
            # requirements of transfers it may validate
            pickings.check_access("write")
            values["line_ids"] = [
                Command.create({"requirement_line_id": line.id})
                for line in pickings._wms_blocking_lines()
            ]
        return values

    def action_check_all(self):
        self.line_ids.done = True
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "name": self.env._("Special Requirements to Acknowledge"),
            "context": self.env.context,
        }

    def action_confirm(self):
        """Acknowledge the ticked requirements, then validate the transfers
        again, the usual way: Odoo's checks (backorders...) follow, and so
        would ours if a requirement were still pending."""
        self.ensure_one()
        lines = self.line_ids.requirement_line_id
        pickings = self.picking_ids | lines.picking_id
        # Odoo's own key: every transfer of the validation that opened the
        # checklist (some without requirements), validated together
        picking_ids = self.env.context.get("button_validate_picking_ids")
        if picking_ids:
            pickings |= self.env["stock.picking"].browse(picking_ids)
        # the wizard's transfers and that key are the caller's input: it
        # acknowledges and validates only transfers it may change
        pickings.check_access("write")
        unchecked = self.line_ids.filtered(lambda line: not line.done)
        if unchecked:
            raise UserError(
                self.env._(
                    "Tick every special requirement once it is fulfilled, or "
                    "ask a manager to waive it. Still open: %(names)s",
                    names=", ".join(unchecked.mapped("name")),
                )
            )
        lines.action_acknowledge()
        return pickings.button_validate()


class WmsRequirementCheckLine(models.TransientModel):
    _name = "wms.requirement.check.line"
    _description = "Special Requirements Checklist Line"

    wizard_id = fields.Many2one(
        "wms.requirement.check", required=True, ondelete="cascade"
    )
    requirement_line_id = fields.Many2one(
        "wms.picking.requirement", required=True, ondelete="cascade"
    )
    # read as the user: a line made up over RPC shows nothing of a
    # requirement the user may not read
    picking_id = fields.Many2one(
        related="requirement_line_id.picking_id", compute_sudo=False
    )
    name = fields.Char(related="requirement_line_id.name", compute_sudo=False)
    type_id = fields.Many2one(related="requirement_line_id.type_id", compute_sudo=False)
    instructions = fields.Text(
        related="requirement_line_id.instructions", compute_sudo=False
    )
    temperature_text = fields.Char(
        related="requirement_line_id.temperature_text", compute_sudo=False
    )
    done = fields.Boolean(string="Fulfilled")

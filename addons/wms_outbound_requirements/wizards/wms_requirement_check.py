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
        """Acknowledge the ticked requirements, then validate again."""
        self.ensure_one()
        unchecked = self.line_ids.filtered(lambda line: not line.done)
        if unchecked:
            raise UserError(
                self.env._(
                    "Tick every special requirement once it is fulfilled, or "
                    "ask a manager to waive it. Still open: %(names)s",
                    names=", ".join(unchecked.mapped("name")),
                )
            )
        self.line_ids.requirement_line_id.action_acknowledge()
        picking_ids = self.env.context.get("button_validate_picking_ids")
        pickings = (
            self.env["stock.picking"].browse(picking_ids)
            if picking_ids
            else self.picking_ids
        )
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
    picking_id = fields.Many2one(related="requirement_line_id.picking_id")
    name = fields.Char(related="requirement_line_id.name")
    type_id = fields.Many2one(related="requirement_line_id.type_id")
    instructions = fields.Text(related="requirement_line_id.instructions")
    temperature_text = fields.Char(related="requirement_line_id.temperature_text")
    done = fields.Boolean(string="Fulfilled")

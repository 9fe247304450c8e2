# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models


class WmsExceptionReport(models.TransientModel):
    """Report Exception, from a transfer: any stock user opens a ticket (or
    adds to the open one of the same transfer and type) with a description
    and files."""

    _name = "wms.exception.report"
    _description = "Report a Delivery Exception"

    picking_id = fields.Many2one("stock.picking", string="Transfer", required=True)
    company_id = fields.Many2one(related="picking_id.company_id")
    partner_id = fields.Many2one(related="picking_id.partner_id", string="Customer")
    exception_type_id = fields.Many2one(
        "wms.exception.type",
        string="Exception",
        required=True,
        compute="_compute_exception_type_id",
        store=True,
        readonly=False,
        domain="[('company_id', 'in', [company_id, False])]",
    )
    description = fields.Text(
        help="What happened: it becomes the ticket's description, or a note "
        "on the open ticket of this transfer and exception."
    )
    attachment_ids = fields.Many2many(
        "ir.attachment",
        "wms_exception_report_attachment_rel",
        "wizard_id",
        "attachment_id",
        string="Attachments",
        help="Photos, delivery notes...: they are attached to the ticket.",
    )

    @api.depends("picking_id")
    def _compute_exception_type_id(self):
        """A customer return is reported as a return by default."""
        types = self.env["wms.exception.type"]
        for wizard in self:
            picking = wizard.picking_id
            if wizard.exception_type_id or not (
                picking.picking_type_code == "incoming" and picking.return_id
            ):
                continue
            wizard.exception_type_id = types.search(
                [
                    ("code", "=", "return"),
                    ("company_id", "in", [False, picking.company_id.id]),
                ],
                limit=1,
            )

    def action_report(self):
        self.ensure_one()
        picking = self.picking_id
        # the public method checks that the user may read the transfer
        ticket_id = self.env["helpdesk.ticket"].wms_report_exception(
            self.exception_type_id.code,
            partner_id=picking.partner_id.id,
            picking_id=picking.id,
            description=self.description or "",
        )
        ticket = self.env["helpdesk.ticket"].browse(ticket_id)
        self._wms_attach_to(ticket)
        if ticket.has_access("read"):
            return {
                "type": "ir.actions.act_window",
                "res_model": "helpdesk.ticket",
                "res_id": ticket.id,
                "view_mode": "form",
                "views": [(False, "form")],
                "target": "current",
            }
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "title": self.env._("Exception reported"),
                "message": self.env._(
                    "Customer Care received the exception on %(picking)s.",
                    picking=picking.display_name,
                ),
                "sticky": False,
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def _wms_attach_to(self, ticket):
        """Move the files uploaded in this wizard by its user to the ticket.

        Only attachments still pending on this wizard (uploaded here, not yet
        bound to a record, by this user) move: an id of another document's
        attachment given in ``attachment_ids`` is left where it is.
        """
        # sudo: the reporting stock user may only read the ticket, and
        # ir.attachment checks write access on the record it is bound to;
        # the filter keeps only this user's own pending uploads
        attachments = self.sudo().attachment_ids.filtered(
            lambda a: (
                a.res_model == self._name
                and a.res_id in (0, self.id)
                and not a.res_field
                and a.create_uid == self.env.user
            )
        )
        if attachments:
            attachments.write({"res_model": ticket._name, "res_id": ticket.id})
        return attachments

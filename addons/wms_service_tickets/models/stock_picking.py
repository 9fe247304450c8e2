# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models
from odoo.tools import format_datetime


class StockPicking(models.Model):
    _inherit = "stock.picking"

    wms_ticket_ids = fields.One2many(
        "helpdesk.ticket", "wms_picking_id", string="Exception Tickets"
    )
    wms_ticket_count = fields.Integer(
        compute="_compute_wms_ticket_count", string="Tickets"
    )

    @api.depends("wms_ticket_ids")
    def _compute_wms_ticket_count(self):
        Ticket = self.env["helpdesk.ticket"]
        counts = {}
        for fname in ("wms_picking_id", "wms_return_picking_id"):
            for picking, count in Ticket._read_group(
                [(fname, "in", self.ids)], [fname], ["__count"]
            ):
                counts[picking] = counts.get(picking, 0) + count
        for picking in self:
            picking.wms_ticket_count = counts.get(picking, 0)

    def _action_done(self):
        # shipped less than asked: read before validation, where a move
        # cancelled earlier (a line removed from the order) is no shortage
        short = self.filtered(
            lambda p: any(
                move.state not in ("done", "cancel")
                and move.product_uom.compare(move.quantity, move.product_uom_qty) < 0
                for move in p.move_ids
            )
        )
        res = super()._action_done()
        self._wms_raise_exception_tickets(short)
        return res

    def _wms_raise_exception_tickets(self, short=None):
        """Open the automatic tickets of these validated transfers:

        - a customer return (incoming, returning a delivery): ``return``;
        - a delivery validated late (after its deadline, else after the
          local day it was scheduled, as the on-time KPI counts it):
          ``late_delivery``;
        - a delivery validated short with no backorder: ``missing_item``.

        Late and short tickets only for customers whose tier asks for them
        (Settings). Only exception types with "Automatic Tickets".

        :param short: the transfers that were validated with less than
            their demand (read before validation)
        """
        short = short if short is not None else self.browse()
        done = self.filtered(lambda p: p.state == "done")
        if not done:
            return
        types = self.env["wms.exception.type"].search(
            [
                ("code", "in", ["return", "late_delivery", "missing_item"]),
                ("auto_create", "=", True),
            ],
            order="company_id, sequence, id",
        )
        if not types:
            return
        requests = []
        for picking in done:
            company = picking.company_id
            picking_types = {
                t.code: t for t in types if t.company_id in (company, company.browse())
            }
            for code, partner, delivery in picking._wms_exceptions(picking in short):
                if code in picking_types:
                    requests.append(
                        {
                            "exception_type": picking_types[code],
                            "company": company,
                            "partner": partner,
                            "picking": delivery,
                            "return_picking": picking if code == "return" else None,
                            "source": picking,
                            "description": picking._wms_exception_description(code),
                        }
                    )
        if requests:
            self.env["helpdesk.ticket"]._wms_open_exception_tickets(requests)

    def _wms_exceptions(self, shipped_short=False):
        """[(code, customer, delivery)] this done transfer shows.

        :param shipped_short: it was validated with less than its demand
        """
        self.ensure_one()
        if self.picking_type_code == "incoming":
            delivery = self.return_id._wms_deliveries()
            if delivery:
                return [("return", delivery.partner_id or self.partner_id, delivery)]
            return []
        if not self._wms_deliveries() or not self.partner_id:
            return []
        customer = self.partner_id.commercial_partner_id.with_company(self.company_id)
        if not customer.wms_tier_id.auto_exception_ticket:
            return []
        found = []
        if self._wms_is_late():
            found.append(("late_delivery", self.partner_id, self))
        if shipped_short and not self.backorder_ids:
            found.append(("missing_item", self.partner_id, self))
        return found

    def _wms_is_late(self):
        """Validated after the deadline, else after the local day it was
        scheduled: the on-time definition of the delivery KPIs."""
        self.ensure_one()
        if not self.date_done:
            return False
        if self.date_deadline:
            return self.date_done > self.date_deadline
        partner = self.env["res.partner"]
        tz = self.partner_id._wms_tz(company=self.company_id)
        return partner._wms_local_date(self.date_done, tz) > partner._wms_local_date(
            self.scheduled_date, tz
        )

    def _wms_exception_description(self, code):
        self.ensure_one()
        if code == "return":
            return self.env._(
                "Customer return %(return)s of delivery %(delivery)s was validated.",
                **{"return": self.name, "delivery": self.return_id.name},
            )
        if code == "late_delivery":
            tz = self.partner_id._wms_tz(company=self.company_id)
            return self.env._(
                "Delivery %(delivery)s was validated on %(done)s, after its "
                "deadline %(deadline)s.",
                delivery=self.name,
                done=format_datetime(self.env, self.date_done, tz=tz),
                deadline=format_datetime(
                    self.env, self.date_deadline or self.scheduled_date, tz=tz
                ),
            )
        return self.env._(
            "Delivery %(delivery)s was validated with less than ordered and no "
            "backorder.",
            delivery=self.name,
        )

    def action_wms_view_tickets(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "helpdesk_mgmt.helpdesk_ticket_action"
        )
        action["domain"] = [
            "|",
            ("wms_picking_id", "=", self.id),
            ("wms_return_picking_id", "=", self.id),
        ]
        action["context"] = {"create": False}
        return action

    def action_wms_report_exception(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Report Exception"),
            "res_model": "wms.exception.report",
            "view_mode": "form",
            "target": "new",
            "context": {"default_picking_id": self.id},
        }

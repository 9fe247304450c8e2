# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo.tests import tagged

from .common import WmsOutboundCase


@tagged("post_install", "-at_install")
class TestReports(WmsOutboundCase):
    """Requirements reach paper: delivery slip and picking operations."""

    def _html(self, xmlid, picking):
        html, _format = self.env["ir.actions.report"]._render_qweb_html(
            xmlid, picking.ids
        )
        return html.decode()

    def test_requirements_are_printed(self):
        self._requirement(
            self.customer,
            self.type_labels,
            name="Customer SKU labels",
            instructions="Label on the top right of every carton",
        )
        waived = self._requirement(self.customer, self.type_care, name="Stickers")
        picking = self._confirmed(self.customer)
        picking.wms_requirement_line_ids.filtered(
            lambda line: line.requirement_id == waived
        ).with_user(self.stock_manager).action_waive("No stickers left")
        for report in ("stock.action_report_delivery", "stock.action_report_picking"):
            html = self._html(report, picking)
            self.assertIn("Special Requirements", html, report)
            self.assertIn("Customer SKU labels", html, report)
            self.assertIn("Label on the top right of every carton", html, report)
            self.assertNotIn("Stickers", html, "waived lines are not printed")

    def test_no_section_without_requirements(self):
        picking = self._confirmed(self.other_customer)
        html = self._html("stock.action_report_delivery", picking)
        self.assertNotIn("Special Requirements", html)

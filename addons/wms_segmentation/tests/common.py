# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import datetime, timedelta

from odoo import Command, fields

from odoo.addons.wms_customer_profile.tests.common import WmsCustomerProfileCase


class WmsSegmentationCase(WmsCustomerProfileCase):
    """Customers of a company of their own (nothing else delivered there), with
    deliveries and invoices dated as each test needs."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.main_company = cls.env.company
        cls.company_x = cls.env["res.company"].create(
            {
                "name": "WMS Segmentation Test Co",
                "currency_id": cls.main_company.currency_id.id,
            }
        )
        cls.env["account.chart.template"].try_loading(
            "generic_coa", cls.company_x, install_demo=False
        )
        for user in (cls.env.ref("base.user_admin"), cls.cc_user, cls.cc_manager):
            user.company_ids = [Command.link(cls.company_x.id)]
        cls.env = cls.env(
            context=dict(cls.env.context, allowed_company_ids=[cls.company_x.id])
        )
        cls.Run = cls.env["wms.segmentation.run"]
        cls.Score = cls.env["wms.rfm.score"]
        cls.Rule = cls.env["wms.segmentation.rule"]
        cls.tier_potential = cls.env.ref("wms_customer_profile.tier_potential")
        cls.tier_churn = cls.env.ref("wms_customer_profile.tier_churn_risk")
        cls.tier_new = cls.env.ref("wms_customer_profile.tier_new")
        cls.sale_journal = cls.env["account.journal"].search(
            [("company_id", "=", cls.company_x.id), ("type", "=", "sale")], limit=1
        )
        cls.customer_location = cls.env.ref("stock.stock_location_customers")

    # ------------------------------------------------------------------
    @classmethod
    def _customer(cls, name, since_days=800, **vals):
        return cls.env["res.partner"].create(
            {
                "name": name,
                "is_company": True,
                "wms_customer_since": fields.Date.today() - timedelta(days=since_days),
                **vals,
            }
        )

    @classmethod
    def _history(cls, partner, days_ago, qty=1.0, company=None, product=None, uom=None):
        """Done deliveries of ``partner`` ``days_ago`` days ago each (or at
        these datetimes), made quickly (moves marked done, no stock
        reservation)."""
        company = company or cls.company_x
        product = product or cls.product
        picking_type = cls._out_type(company)
        Picking = cls.env["stock.picking"].with_company(company)
        pickings = Picking.create(
            [
                {
                    "partner_id": partner.id,
                    "picking_type_id": picking_type.id,
                    "location_id": picking_type.default_location_src_id.id,
                    "location_dest_id": cls.customer_location.id,
                    "move_ids": [
                        Command.create(
                            {
                                "product_id": product.id,
                                "product_uom": (uom or product.uom_id).id,
                                "product_uom_qty": qty,
                                "location_id": picking_type.default_location_src_id.id,
                                "location_dest_id": cls.customer_location.id,
                            }
                        )
                    ],
                }
                for _days in days_ago
            ]
        )
        pickings.move_ids.write({"quantity": qty, "state": "done"})
        for picking, days in zip(pickings, days_ago, strict=True):
            picking.date_done = (
                days if isinstance(days, datetime) else cls._days_ago(days)
            )
        cls.env.flush_all()
        return pickings

    @classmethod
    def _invoice(cls, partner, amount, days_ago=10, refund=False, company=None):
        company = company or cls.company_x
        journal = cls.env["account.journal"].search(
            [("company_id", "=", company.id), ("type", "=", "sale")], limit=1
        )
        move = (
            cls.env["account.move"]
            .with_company(company)
            .create(
                {
                    "move_type": "out_refund" if refund else "out_invoice",
                    "partner_id": partner.id,
                    "journal_id": journal.id,
                    "invoice_date": fields.Date.today() - timedelta(days=days_ago),
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "name": "Warehousing services",
                                "quantity": 1,
                                "price_unit": amount,
                                "account_id": journal.default_account_id.id,
                                "tax_ids": [Command.clear()],
                            }
                        )
                    ],
                }
            )
        )
        move.action_post()
        return move

    def _run(self, dry_run=False, company=None, env=None):
        env = env or self.env
        Run = env["wms.segmentation.run"].with_company(company or self.company_x)
        run = Run.browse(Run.run_segmentation(dry_run=dry_run))
        self.assertEqual(run.state, "done", run.error)
        return run

    def _score(self, run, partner):
        return self.Score.search(
            [("run_id", "=", run.id), ("partner_id", "=", partner.id)]
        )

    def _scores(self, run, partners):
        return [self._score(run, p) for p in partners]

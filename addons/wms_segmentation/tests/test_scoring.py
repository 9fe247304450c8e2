# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo.tests import tagged

from .common import WmsSegmentationCase


@tagged("post_install", "-at_install")
class TestScoring(WmsSegmentationCase):
    def test_quintiles_with_ties(self):
        """F and M ascending, recency descending; ties share a score."""
        customers = [self._customer(f"Quintile {i}") for i in range(5)]
        # deliveries in the window: 1, 1, 2, 3, 3; last one 50, 40, 30, 20, 10 days ago
        plans = [[50], [40], [70, 30], [80, 70, 20], [90, 80, 10]]
        for customer, days in zip(customers, plans, strict=True):
            self._history(customer, days)
        for customer, amount in zip(customers, (100, 200, 300, 400, 500), strict=True):
            self._invoice(customer, amount)
        run = self._run(dry_run=True)
        scores = self._scores(run, customers)
        self.assertEqual([s.frequency for s in scores], [1, 1, 2, 3, 3])
        self.assertEqual([s.f_score for s in scores], [2, 2, 3, 5, 5])
        self.assertEqual([s.recency_days for s in scores], [50, 40, 30, 20, 10])
        self.assertEqual([s.r_score for s in scores], [1, 2, 3, 4, 5])
        self.assertEqual([s.monetary for s in scores], [100, 200, 300, 400, 500])
        self.assertEqual([s.m_score for s in scores], [1, 2, 3, 4, 5])
        self.assertEqual(scores[4].rfm_code, "555")
        self.assertEqual(scores[0].rfm_code, "121")
        self.assertEqual(run.customer_count, 5)

    def test_single_customer_scores_555(self):
        customer = self._customer("Only One")
        self._history(customer, [5])
        self._invoice(customer, 10)
        run = self._run(dry_run=True)
        self.assertEqual(self._score(run, customer).rfm_code, "555")

    def test_no_delivery_in_window_scores_111(self):
        active, lapsed = self._customer("Active"), self._customer("Lapsed")
        self._history(active, [5])
        self._invoice(active, 10)
        self._history(lapsed, [400, 500])
        self._invoice(lapsed, 9000, days_ago=5)  # no delivery: M stays 1
        run = self._run(dry_run=True)
        score = self._score(run, lapsed)
        self.assertEqual(
            (score.r_score, score.f_score, score.m_score, score.rfm_code),
            (1, 1, 1, "111"),
        )
        self.assertEqual(score.recency_days, 400)
        self.assertEqual(score.frequency, 0)
        self.assertEqual(self._score(run, active).rfm_code, "555")

    def test_rfm_arithmetic(self):
        """Refunds are subtracted; returns and vendor returns are no
        deliveries; drafts, old invoices and other companies don't count."""
        customer = self._customer("Arithmetic Customer")
        contact = self.env["res.partner"].create(
            {"name": "Arithmetic Receiving", "parent_id": customer.id}
        )
        first = self._deliver(
            contact, company=self.company_x, date_done=self._days_ago(30)
        )
        self._deliver(customer, company=self.company_x, date_done=self._days_ago(12))
        self._return(first, qty=2)  # a return is no delivery
        self._history(customer, [3], company=self.main_company)  # other company
        self._invoice(customer, 1000, days_ago=20)
        self._invoice(customer, 500, days_ago=15)
        self._invoice(customer, 300, days_ago=5, refund=True)
        self._invoice(customer, 777, days_ago=500)  # before the window
        self._invoice(customer, 888, company=self.main_company)
        draft = self._invoice(customer, 999)
        draft.button_draft()
        # a vendor return: outgoing, but a return of a receipt
        vendor = self._customer("Arithmetic Vendor")
        in_type = (
            self.env["stock.warehouse"]
            .search([("company_id", "=", self.company_x.id)], limit=1)
            .in_type_id
        )
        receipt = (
            self.env["stock.picking"]
            .with_company(self.company_x)
            .create(
                {
                    "partner_id": vendor.id,
                    "picking_type_id": in_type.id,
                    "location_id": self.env.ref("stock.stock_location_suppliers").id,
                    "location_dest_id": in_type.default_location_dest_id.id,
                    "move_ids": [
                        (
                            0,
                            0,
                            {
                                "product_id": self.product.id,
                                "product_uom_qty": 5,
                                "location_id": self.env.ref(
                                    "stock.stock_location_suppliers"
                                ).id,
                                "location_dest_id": in_type.default_location_dest_id.id,
                            },
                        )
                    ],
                }
            )
        )
        receipt.action_confirm()
        receipt.move_ids.quantity = 5
        receipt.move_ids.picked = True
        receipt.button_validate()
        vendor_return = self._return(receipt, qty=1)
        self.assertEqual(vendor_return.picking_type_code, "outgoing")

        run = self._run(dry_run=True)
        score = self._score(run, customer)
        self.assertEqual(score.frequency, 2)
        self.assertEqual(score.recency_days, 12)
        self.assertAlmostEqual(score.monetary, 1200.0)
        self.assertFalse(self._score(run, contact))
        self.assertFalse(self._score(run, vendor))
        self.assertEqual(run.customer_count, 1)

    def test_quantity_mode(self):
        self.env["ir.config_parameter"].set_param(
            "wms_segmentation.monetary_mode", "quantity"
        )
        big, small = self._customer("Big Volume"), self._customer("Small Volume")
        self._history(big, [10, 20], qty=40)
        self._history(small, [10], qty=3)
        self._history(small, [500], qty=1000)  # before the window
        self._invoice(small, 100000)  # ignored in quantity mode
        run = self._run(dry_run=True)
        self.assertEqual(run.monetary_mode, "quantity")
        self.assertEqual(self._score(run, big).monetary, 80)
        self.assertEqual(self._score(run, small).monetary, 3)
        self.assertEqual(self._score(run, big).m_score, 5)

    def test_window_setting(self):
        self.env["ir.config_parameter"].set_param("wms_segmentation.window_days", 30)
        customer = self._customer("Window Customer")
        self._history(customer, [10, 20, 45])
        self._invoice(customer, 100, days_ago=10)
        self._invoice(customer, 50, days_ago=40)
        run = self._run(dry_run=True)
        score = self._score(run, customer)
        self.assertEqual((run.window_days, score.frequency), (30, 2))
        self.assertEqual(score.monetary, 100)

    def test_no_value_scores_m1_others_by_quintile(self):
        """Customers without value in the window (a warehouse that doesn't
        invoice in Odoo) score M = 1, not a shared 5; those with value are
        ranked among themselves."""
        zeros = [self._customer(f"No Invoice {i}") for i in range(3)]
        paying = [self._customer(f"Paying {i}") for i in range(5)]
        for customer in zeros + paying:
            self._history(customer, [5])
        for customer, amount in zip(paying, (100, 200, 300, 400, 500), strict=True):
            self._invoice(customer, amount)
        run = self._run(dry_run=True)
        self.assertEqual([s.m_score for s in self._scores(run, zeros)], [1, 1, 1])
        self.assertEqual(
            [s.m_score for s in self._scores(run, paying)], [1, 2, 3, 4, 5]
        )
        # net refunds are no value either
        refunded = self._customer("Refunded")
        self._history(refunded, [5])
        self._invoice(refunded, 50, refund=True)
        run = self._run(dry_run=True)
        self.assertEqual(self._score(run, refunded).m_score, 1)
        self.assertEqual(self._score(run, paying[0]).m_score, 1)

    def test_archived_customers_not_scored(self):
        active, archived = self._customer("Still Here"), self._customer("Gone")
        archived.wms_account_manager_id = self.cc_manager
        archived.with_company(self.company_x).wms_tier_id = self.tier_vip
        contact = self.env["res.partner"].create(
            {"name": "Gone Receiving", "parent_id": archived.id}
        )
        self._history(active, [5])
        self._history(archived, [400])  # a lapsed VIP: would fall to churn risk
        self._history(contact, [300])
        archived.action_archive()
        run = self._run()
        self.assertTrue(self._score(run, active))
        self.assertFalse(self._score(run, archived))
        self.assertEqual(run.customer_count, 1)
        archived = archived.with_company(self.company_x)
        self.assertEqual(archived.wms_tier_id, self.tier_vip)
        self.assertFalse(archived.wms_rfm_code)
        self.assertFalse(archived.activity_ids)

    def test_quantity_mode_converts_units(self):
        """Quantities count in each product's own unit: 1 kg and 500 g of
        a product sold by the kilogram are 1.5."""
        self.env["ir.config_parameter"].set_param(
            "wms_segmentation.monetary_mode", "quantity"
        )
        kg = self.env.ref("uom.product_uom_kgm")
        gram = self.env.ref("uom.product_uom_gram")
        flour = self.env["product.product"].create(
            {"name": "Flour (kg)", "type": "consu", "uom_id": kg.id}
        )
        customer = self._customer("Bakery")
        self._history(customer, [10], qty=1, product=flour, uom=kg)
        self._history(customer, [20], qty=500, product=flour, uom=gram)
        run = self._run(dry_run=True)
        self.assertAlmostEqual(self._score(run, customer).monetary, 1.5)

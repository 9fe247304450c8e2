# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import timedelta
from unittest.mock import patch

from odoo import Command, fields
from odoo.tests import tagged

from .common import WmsOutboundCase


@tagged("post_install", "-at_install")
class TestWatch(WmsOutboundCase):
    """The scheduled watch: late risk, stock shortage, outside window."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Activity = cls.env["mail.activity"]
        cls.type_late = cls.env.ref(
            "wms_outbound_requirements.mail_activity_type_late_risk"
        )
        cls.type_shortage = cls.env.ref(
            "wms_outbound_requirements.mail_activity_type_stock_shortage"
        )
        cls.type_window = cls.env.ref(
            "wms_outbound_requirements.mail_activity_type_outside_window"
        )
        cls.customer.wms_account_manager_id = cls.cc_manager_stock
        cls.categ_tea = cls.env["product.category"].create({"name": "Tea"})
        cls.tea_green, cls.tea_black, cls.tea_white = cls.env["product.product"].create(
            [
                {"name": name, "is_storable": True, "categ_id": cls.categ_tea.id}
                for name in ("Green tea", "Black tea", "White tea")
            ]
        )
        cls.now = fields.Datetime.now()

    def _watch(self):
        """Run the scheduled action's entry point; its commits (which a test
        may not do) are counted instead."""
        with patch.object(
            self.registry["ir.cron"], "_commit_progress", return_value=float("inf")
        ) as commit:
            self.env["stock.picking"]._cron_wms_watch_deliveries()
        return commit

    def _activities(self, picking, activity_type=None):
        domain = [("res_model", "=", "stock.picking"), ("res_id", "=", picking.id)]
        if activity_type:
            domain.append(("activity_type_id", "=", activity_type.id))
        return self.Activity.search(domain)

    def _stock(self, product, qty, warehouse=None):
        location = (warehouse or self.warehouse).lot_stock_id
        self.env["stock.quant"]._update_available_quantity(product, location, qty)

    def test_late_risk_once_then_cleared_when_done(self):
        soon = self._confirmed(
            self.customer, scheduled_date=self.now + timedelta(hours=2)
        )
        overdue = self._confirmed(
            self.other_customer, scheduled_date=self.now - timedelta(days=1)
        )
        overdue.user_id = self.stock_user_2
        later = self._confirmed(
            self.customer, scheduled_date=self.now + timedelta(days=3)
        )
        self._watch()
        self._watch()
        self.assertEqual(len(self._activities(soon, self.type_late)), 1)
        self.assertEqual(len(self._activities(overdue, self.type_late)), 1)
        self.assertFalse(self._activities(later, self.type_late))
        self.assertTrue(soon.wms_late_risk)
        self.assertFalse(later.wms_late_risk)
        # the account manager gets it, else the transfer's responsible
        self.assertEqual(
            self._activities(soon, self.type_late).user_id, self.cc_manager_stock
        )
        self.assertEqual(
            self._activities(overdue, self.type_late).user_id, self.stock_user_2
        )
        self.assertIn(
            self.stock_user_2.partner_id, overdue.message_partner_ids, "follower"
        )
        # done: its activity closes at once; rescheduled: at the next run
        self._validate(overdue)
        self.assertEqual(overdue.state, "done")
        self.assertFalse(self._activities(overdue))
        self.assertFalse(overdue.wms_late_risk)
        soon.scheduled_date = self.now + timedelta(days=5)
        self._watch()
        self.assertFalse(self._activities(soon, self.type_late))
        self.assertFalse(soon.wms_late_risk)
        self.assertIn("condition cleared", soon.message_ids[:1].body)

    def test_deadline_counts_before_scheduled_date(self):
        picking = self._confirmed(
            self.other_customer, scheduled_date=self.now + timedelta(days=3)
        )
        picking.move_ids.date_deadline = self.now + timedelta(hours=1)
        self._watch()
        self.assertTrue(self._activities(picking, self.type_late))

    def test_cancel_closes_activities(self):
        picking = self._confirmed(
            self.other_customer, scheduled_date=self.now - timedelta(hours=1)
        )
        self._watch()
        self.assertTrue(self._activities(picking))
        picking.action_cancel()
        self.assertFalse(self._activities(picking))

    def test_shortage_names_alternative_with_free_stock(self):
        self._stock(self.tea_green, 2)
        self._stock(self.tea_black, 50)
        self._stock(self.tea_white, 5)  # not enough to replace 10
        picking = self._confirmed(
            self.other_customer,
            lines=[(self.tea_green, 10)],
            scheduled_date=self.now + timedelta(hours=1),
        )
        picking.action_assign()
        self.assertEqual(picking.move_ids.state, "partially_available")
        self._watch()
        self._watch()
        activity = self._activities(picking, self.type_shortage)
        self.assertEqual(len(activity), 1)
        note = activity.note
        self.assertIn("Green tea", note)
        self.assertIn("8 Units still needed, 0 Units free", note)
        self.assertIn("Black tea", note)
        self.assertNotIn("White tea", note)
        # stock arrives and is reserved: the activity closes itself
        self._stock(self.tea_green, 20)
        picking.action_assign()
        self._watch()
        self.assertFalse(self._activities(picking, self.type_shortage))

    def test_shortage_far_deadline_is_not_reported(self):
        picking = self._confirmed(
            self.other_customer,
            lines=[(self.tea_green, 10)],
            scheduled_date=self.now + timedelta(days=4),
        )
        self._watch()
        self.assertFalse(self._activities(picking, self.type_shortage))

    def test_shortage_in_two_step_delivery(self):
        warehouse = self.env["stock.warehouse"].create(
            {"name": "Two-step WH", "code": "WH2", "delivery_steps": "pick_ship"}
        )
        self._stock(self.tea_black, 40, warehouse)
        customers = self.env.ref("stock.stock_location_customers")
        output = warehouse.wh_output_stock_loc_id
        pick = self.env["stock.picking"].create(
            {
                "picking_type_id": warehouse.pick_type_id.id,
                "location_id": warehouse.lot_stock_id.id,
                "location_dest_id": output.id,
                "move_ids": [
                    Command.create(
                        {
                            "product_id": self.tea_green.id,
                            "product_uom_qty": 6,
                            "location_id": warehouse.lot_stock_id.id,
                            "location_dest_id": output.id,
                        }
                    )
                ],
            }
        )
        ship = self.env["stock.picking"].create(
            {
                "partner_id": self.other_customer.id,
                "picking_type_id": warehouse.out_type_id.id,
                "location_id": output.id,
                "location_dest_id": customers.id,
                "scheduled_date": self.now + timedelta(hours=3),
                "move_ids": [
                    Command.create(
                        {
                            "product_id": self.tea_green.id,
                            "product_uom_qty": 6,
                            "location_id": output.id,
                            "location_dest_id": customers.id,
                            "move_orig_ids": [Command.set(pick.move_ids.ids)],
                        }
                    )
                ],
            }
        )
        (pick | ship).action_confirm()
        (pick | ship).action_assign()
        self.assertEqual(ship.state, "waiting")
        self._watch()
        activity = self._activities(ship, self.type_shortage)
        self.assertEqual(len(activity), 1)
        self.assertIn("Green tea", activity.note)
        self.assertIn(warehouse.lot_stock_id.display_name, activity.note)
        self.assertIn("Black tea", activity.note, "free in the stock location")

    def test_outside_window_once_and_closed_by_rescheduling(self):
        self._set_windows(self.customer, [(8.0, 9.0, (0, 1, 2, 3, 4))], tz="UTC")
        # a Sunday noon, two weeks ahead: outside, far from any deadline
        sunday = (self.now + timedelta(days=14 + (6 - self.now.weekday()))).replace(
            hour=12, minute=0, second=0, microsecond=0
        )
        picking = self._confirmed(self.customer, scheduled_date=sunday)
        self.assertFalse(picking.wms_window_ok)
        self._watch()
        self._watch()
        activity = self._activities(picking, self.type_window)
        self.assertEqual(len(activity), 1)
        self.assertEqual(len(self._activities(picking)), 1, "no other condition")
        self.assertIn("next window", activity.note)
        picking.action_wms_reschedule_to_window()
        self.assertTrue(picking.wms_window_ok)
        self.assertFalse(self._activities(picking, self.type_window))
        self._watch()
        self.assertFalse(self._activities(picking, self.type_window))

    def test_horizon_setting(self):
        picking = self._confirmed(
            self.other_customer, scheduled_date=self.now + timedelta(hours=10)
        )
        self._watch()
        self.assertFalse(self._activities(picking, self.type_late))
        settings = self.env["res.config.settings"].create(
            {"wms_watch_horizon_hours": 12}
        )
        settings.execute()
        self._watch()
        self.assertTrue(self._activities(picking, self.type_late))

    def test_cron_commits_in_batches_a_context_never_does(self):
        picking = self._confirmed(
            self.other_customer, scheduled_date=self.now - timedelta(hours=1)
        )
        # anyone may send {"cron_id": ...} over RPC: it must not make a
        # request commit halfway
        with patch.object(
            self.registry["ir.cron"], "_commit_progress", return_value=float("inf")
        ) as commit:
            self.env["wms.delivery.watch"].with_context(cron_id=1)._run()
        commit.assert_not_called()
        self.assertTrue(self._activities(picking, self.type_late))
        picking.action_cancel()
        # the scheduled action's entry point does commit its progress
        self._confirmed(
            self.other_customer, scheduled_date=self.now - timedelta(hours=1)
        )
        self.assertTrue(self._watch().called)

    def test_shortage_alternatives_named_in_one_query_per_batch(self):
        """The names of the alternatives cost the same queries whatever
        their number."""

        def short_delivery(index):
            category = self.env["product.category"].create({"name": f"Spice {index}"})
            short, *alternatives = self.env["product.product"].create(
                [
                    {
                        "name": f"Spice {index}-{rank}",
                        "is_storable": True,
                        "categ_id": category.id,
                    }
                    for rank in range(4)
                ]
            )
            for alternative in alternatives:
                self._stock(alternative, 50)
            return self._confirmed(
                self.other_customer,
                lines=[(short, 10)],
                scheduled_date=self.now + timedelta(hours=1),
            )

        Watch = self.env["wms.delivery.watch"]
        limit = self.now + timedelta(hours=4)
        counts, pickings = [], self.env["stock.picking"]
        for new in (1, 3):
            for index in range(new):
                pickings |= short_delivery(f"{len(counts)}{index}")
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            shortages = Watch._shortage(limit)
            counts.append(self.env.cr.sql_log_count - before)
        self.assertLessEqual(set(pickings.ids), set(shortages))
        note = str(shortages[pickings[:1].id]["note"])
        for rank in (1, 2, 3):
            self.assertIn(f"Spice 00-{rank} (50 Units)", note)
        # 3 alternatives in the first run, 12 in the second
        self.assertEqual(counts[0], counts[1], counts)

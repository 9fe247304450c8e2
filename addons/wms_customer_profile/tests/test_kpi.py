# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import timedelta
from unittest.mock import patch

from odoo import Command, fields
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged
from odoo.tools import SQL

from odoo.addons.wms_customer_profile.models import wms_customer_kpi
from odoo.addons.wms_customer_profile.models.wms_customer_kpi import KpiAggregate

from .common import WmsCustomerProfileCase


@tagged("post_install", "-at_install")
class TestCustomerKpi(WmsCustomerProfileCase):
    def _refresh(self, *partners):
        self.Kpi._refresh(partner_ids=[p.commercial_partner_id.id for p in partners])

    def test_kpi_arithmetic(self):
        # on time, accurate
        self._deliver(
            self.customer_contact,
            deadline=self._days_ago(9),
            date_done=self._days_ago(10),
        )
        # late (done after the deadline), accurate
        self._deliver(
            self.customer, deadline=self._days_ago(21), date_done=self._days_ago(20)
        )
        # short: 8 of 10 shipped, the rest cancelled -> inaccurate, on time
        self._deliver(
            self.customer,
            done_qty=8,
            deadline=self._days_ago(4),
            date_done=self._days_ago(5),
        )
        # on time but returned -> inaccurate and returned
        returned = self._deliver(
            self.customer, deadline=self._days_ago(2), date_done=self._days_ago(3)
        )
        self._return(returned, qty=2)
        self._refresh(self.customer)

        kpi = self._kpi(self.customer)
        self.assertEqual(kpi.delivery_count, 4)
        self.assertEqual(kpi.on_time_count, 3)
        self.assertEqual(kpi.accurate_count, 2)
        self.assertEqual(kpi.return_count, 1)
        self.assertAlmostEqual(kpi.on_time_rate, 75.0)
        self.assertAlmostEqual(kpi.accuracy_rate, 50.0)
        self.assertAlmostEqual(kpi.return_rate, 25.0)
        self.assertEqual(kpi.last_delivery_date, self._days_ago(3))
        # the partner and its contacts show the same figures
        for partner in (self.customer, self.customer_contact):
            self.assertEqual(partner.wms_delivery_count, 4)
            self.assertAlmostEqual(partner.wms_on_time_rate, 75.0)
            self.assertAlmostEqual(partner.wms_accuracy_rate, 50.0)
            self.assertAlmostEqual(partner.wms_return_rate, 25.0)
            self.assertEqual(partner.wms_last_delivery_date, self._days_ago(3))
        self.assertEqual(self.customer.wms_return_picking_count, 1)
        self.assertEqual(self.customer.wms_done_delivery_count, 4)

    def test_validation_refreshes_customer(self):
        """Validating a delivery, then its return, updates the KPIs at once."""
        delivery = self._deliver(self.customer_contact)
        kpi = self._kpi(self.customer)
        self.assertEqual(kpi.delivery_count, 1)
        self.assertEqual(kpi.return_count, 0)
        # the customer has no timezone: the UTC date of the first delivery
        self.assertEqual(self.customer.wms_customer_since, delivery.date_done.date())
        self._return(delivery)
        self.assertEqual(kpi.return_count, 1)
        self.assertEqual(self.customer.wms_return_rate, 100.0)

    def test_backorder_makes_delivery_inaccurate(self):
        picking = self._deliver(self.customer, done_qty=6, backorder=True)
        self.assertTrue(picking.backorder_ids)
        kpi = self._kpi(self.customer)
        self.assertEqual(kpi.delivery_count, 1)
        self.assertEqual(kpi.accurate_count, 0)
        # the backorder, shipped in full, is a delivery of its own
        backorder = picking.backorder_ids
        backorder.action_assign()
        backorder.move_ids.picked = True
        backorder.button_validate()
        self.assertEqual(kpi.delivery_count, 2)
        self.assertEqual(kpi.accurate_count, 1)

    def test_extra_product_line_quantity_mismatch(self):
        self._deliver(self.customer, lines=[(self.product, 5.0), (self.product_2, 3.0)])
        self.assertEqual(self._kpi(self.customer).accurate_count, 1)
        self._deliver(self.customer, qty=5.0, done_qty=7.0)  # over-delivered
        self.assertEqual(self._kpi(self.customer).delivery_count, 2)
        self.assertEqual(self._kpi(self.customer).accurate_count, 1)

    def test_no_deadline_on_time_in_customer_timezone(self):
        self.customer.tz = "Asia/Shanghai"  # UTC+8
        # scheduled 09:00 local, done 20:00 local the same day: on time
        self._deliver(
            self.customer,
            scheduled=self._dt("2026-03-10 01:00:00"),
            date_done=self._dt("2026-03-10 12:00:00"),
        )
        # done 01:00 local the next day (still the same UTC day): late
        self._deliver(
            self.customer,
            scheduled=self._dt("2026-03-11 01:00:00"),
            date_done=self._dt("2026-03-11 17:00:00"),
        )
        self.env["ir.config_parameter"].set_param(
            "wms_customer_profile.kpi_window_days", 3650
        )
        self._refresh(self.customer)
        kpi = self._kpi(self.customer)
        self.assertEqual(kpi.delivery_count, 2)
        self.assertEqual(kpi.on_time_count, 1)
        # in UTC (no timezone) both are on time
        self.customer.tz = False
        self._refresh(self.customer)
        self.assertEqual(kpi.on_time_count, 2)

    def test_vendor_return_is_not_a_delivery(self):
        vendor = self.env["res.partner"].create({"name": "Parts Supplier"})
        receipt = self.env["stock.picking"].create(
            {
                "partner_id": vendor.id,
                "picking_type_id": self.warehouse.in_type_id.id,
                "move_ids": [
                    Command.create(
                        {
                            "product_id": self.product.id,
                            "product_uom_qty": 4,
                            "location_id": self.env.ref(
                                "stock.stock_location_suppliers"
                            ).id,
                            "location_dest_id": self.warehouse.lot_stock_id.id,
                        }
                    )
                ],
            }
        )
        receipt.action_confirm()
        receipt.move_ids.quantity = 4
        receipt.move_ids.picked = True
        receipt.button_validate()
        vendor_return = self._return(receipt, qty=4)
        self.assertEqual(vendor_return.picking_type_code, "outgoing")
        self.assertEqual(vendor_return.state, "done")
        self._refresh(vendor)
        self.assertFalse(self._kpi(vendor))
        self.assertEqual(vendor.wms_delivery_count, 0)

    def test_rolling_window(self):
        self._deliver(self.customer, date_done=self._days_ago(400))
        self._deliver(self.customer, date_done=self._days_ago(30))
        self._refresh(self.customer)
        self.assertEqual(self.customer.wms_delivery_count, 1)
        self.env["ir.config_parameter"].set_param(
            "wms_customer_profile.kpi_window_days", 500
        )
        self._refresh(self.customer)
        self.assertEqual(self.customer.wms_delivery_count, 2)
        # nothing left in the window: the row goes, the figures read zero
        self.env["ir.config_parameter"].set_param(
            "wms_customer_profile.kpi_window_days", 10
        )
        self._refresh(self.customer)
        self.assertFalse(self._kpi(self.customer))
        self.assertEqual(self.customer.wms_delivery_count, 0)
        self.assertFalse(self.customer.wms_last_delivery_date)

    def test_customer_since(self):
        first = self._deliver(self.customer, date_done=self._days_ago(50))
        self.customer.wms_customer_since = False
        self._deliver(self.customer, date_done=self._days_ago(20))
        self.assertEqual(self.customer.wms_customer_since, first.date_done.date())
        self.assertEqual(
            self.customer_contact.wms_customer_since, first.date_done.date()
        )
        # a date set by hand stays
        self.customer.wms_customer_since = "2020-01-01"
        self._deliver(self.customer)
        self.assertEqual(str(self.customer.wms_customer_since), "2020-01-01")

    def test_incremental_refresh_touches_only_affected_partner(self):
        self._deliver(self.other_customer)
        other_kpi = self._kpi(self.other_customer)
        other_kpi.flush_recordset()
        self.env.cr.execute(
            "UPDATE wms_customer_kpi SET date_refreshed = '2000-01-01' WHERE id = %s",
            [other_kpi.id],
        )
        other_kpi.invalidate_recordset()
        self._deliver(self.customer)
        self.assertEqual(self._kpi(self.customer).delivery_count, 1)
        self.assertEqual(str(other_kpi.date_refreshed), "2000-01-01 00:00:00")

    def _bulk_deliveries(self, partner, count):
        pickings = self.env["stock.picking"]
        for _i in range(count):
            pickings |= self._create_delivery(partner)
        pickings.action_confirm()
        pickings.action_assign()
        pickings.move_ids.picked = True
        pickings.with_context(skip_backorder=True).button_validate()
        self.assertEqual(set(pickings.mapped("state")), {"done"})
        return pickings

    def test_incremental_refresh_query_count(self):
        """The refresh costs the same with 10 or 200 past deliveries."""
        small = self.customer
        big = self.other_customer
        self._bulk_deliveries(small, 10)
        self._bulk_deliveries(big, 200)
        last_small = self._deliver(small)
        last_big = self._deliver(big)
        self.env.invalidate_all()
        # read the picking, its type and partner; upsert the KPI rows; fill
        # "customer since": the same five queries whatever the history
        with self.assertQueryCount(5):
            last_small._wms_refresh_customer_kpi()
        self.env.invalidate_all()
        with self.assertQueryCount(5):
            last_big._wms_refresh_customer_kpi()
        self.assertEqual(self._kpi(small).delivery_count, 11)
        self.assertEqual(self._kpi(big).delivery_count, 201)

    def test_cron_full_refresh_equals_incremental(self):
        self.customer.tz = "Europe/Paris"
        self._deliver(
            self.customer, deadline=self._days_ago(4), date_done=self._days_ago(5)
        )
        self._deliver(self.customer, done_qty=3, date_done=self._days_ago(8))
        late = self._deliver(
            self.other_customer,
            deadline=self._days_ago(12),
            date_done=self._days_ago(11),
        )
        self._return(late)
        self._refresh(self.customer, self.other_customer)
        fnames = [
            "partner_id",
            "company_id",
            "delivery_count",
            "on_time_count",
            "accurate_count",
            "return_count",
            "on_time_rate",
            "accuracy_rate",
            "return_rate",
            "last_delivery_date",
        ]
        partners = [self.customer.id, self.other_customer.id]
        incremental = self.Kpi.search_read(
            [("partner_id", "in", partners)], fnames, order="partner_id"
        )
        self.assertEqual(len(incremental), 2)
        self.Kpi.search([]).sudo().unlink()
        count = self.Kpi._refresh_all()
        self.assertGreaterEqual(count, 2)
        full = self.Kpi.search_read(
            [("partner_id", "in", partners)], fnames, order="partner_id"
        )
        for rows in (incremental, full):
            for row in rows:
                row.pop("id")
        self.assertEqual(full, incremental)

    def test_daily_refresh_rewrites_only_changed_figures(self):
        steady = self._deliver(self.customer, date_done=self._days_ago(5))
        moving = self._deliver(
            self.other_customer,
            deadline=self._days_ago(4),
            date_done=self._days_ago(5),
        )
        third = self.env["res.partner"].create({"name": "Initech", "is_company": True})
        self._deliver(third, date_done=self._days_ago(3))
        self.Kpi._refresh_all()
        rows = self._kpi(self.customer) | self._kpi(self.other_customer)
        rows.flush_recordset()
        self.env.cr.execute(
            "UPDATE wms_customer_kpi SET date_refreshed = '2000-01-01'"
            " WHERE partner_id IN %s",
            [(self.customer.id, self.other_customer.id)],
        )
        self.Kpi.invalidate_model()
        # the other customer's delivery turns out late; the third customer's
        # only delivery leaves the window
        moving.move_ids.date_deadline = self._days_ago(6)
        self.env["stock.picking"].search(
            [("partner_id", "=", third.id)]
        ).date_done = self._days_ago(500)
        self.Kpi._refresh_all()
        self.assertEqual(
            str(self._kpi(self.customer).date_refreshed), "2000-01-01 00:00:00"
        )
        changed = self._kpi(self.other_customer)
        self.assertEqual(changed.on_time_count, 0)
        self.assertGreater(changed.date_refreshed.year, 2000)
        self.assertFalse(self._kpi(third))
        # the customer still reads as refreshed by the daily run
        self.assertEqual(self.customer.wms_delivery_count, 1)
        self.assertGreater(self.customer.wms_kpi_date_refreshed.year, 2000)
        self.assertEqual(steady.state, "done")

    def test_cron_context_key_never_commits(self):
        """``cron_id`` in a caller's context (anyone sends one over RPC) does
        not make a refresh commit halfway: only the scheduled action, whose
        entry point says so by argument, commits between batches."""
        self._deliver(self.customer)
        self._deliver(self.other_customer)
        Cron = self.env.registry["ir.cron"]
        with (
            patch.object(wms_customer_kpi, "REFRESH_BATCH_SIZE", 1),
            patch.object(Cron, "_commit_progress", autospec=True) as commit,
        ):
            self.Kpi.with_context(cron_id=1)._refresh_all()
            self.customer.with_user(self.cc_manager).with_context(
                cron_id=1
            ).wms_refresh_kpi()
            commit.assert_not_called()
            # the scheduled action's code, run as the scheduler runs it
            cron = self.env.ref("wms_customer_profile.ir_cron_refresh_customer_kpi")
            self.assertEqual(cron.code.strip(), "model._cron_refresh_kpi()")
            cron.ir_actions_server_id.run()
        # once before the batches, then once per customer
        self.assertGreaterEqual(commit.call_count, 3)
        self.assertEqual(commit.call_args.kwargs["remaining"], 0)
        self.assertEqual(self._kpi(self.customer).delivery_count, 1)

    def test_daily_refresh_keeps_rows_written_meanwhile(self):
        """A delivery validated while the nightly run is under way wins over
        the run's older figures (rows written after it computed are kept)."""
        self._deliver(self.customer)
        self._deliver(self.other_customer)
        kpis = self._kpi(self.customer) | self._kpi(self.other_customer)
        kpis.flush_recordset()
        self.env.cr.execute(
            "UPDATE wms_customer_kpi SET write_date = now() at time zone 'UTC'"
            " + interval '1 hour', delivery_count = 42 WHERE id IN %s",
            [tuple(kpis.ids)],
        )
        self.Kpi.invalidate_model()
        self.Kpi._refresh_all()
        self.assertEqual(kpis.mapped("delivery_count"), [42, 42])

    def test_tier_filters_read_each_record_company(self):
        company_b = self.env["res.company"].create({"name": "WMS Company B"})
        self.env.user.company_ids |= company_b
        self.customer.with_company(company_b).wms_tier_id = self.tier_vip
        self.customer.wms_tier_id = self.tier_normal
        delivery_a = self._create_delivery(self.customer)
        delivery_b = self._create_delivery(self.customer, company=company_b)
        Picking = self.env["stock.picking"].with_context(
            allowed_company_ids=[self.company.id, company_b.id]
        )
        vip = Picking.search([("wms_tier_id.code", "=", "vip")])
        self.assertIn(delivery_b, vip)
        self.assertNotIn(delivery_a, vip)
        normal = Picking.search([("wms_tier_id", "=", self.tier_normal.id)])
        self.assertIn(delivery_a, normal)
        self.assertNotIn(delivery_b, normal)

    def test_smart_buttons_count_and_open_the_same_transfers(self):
        late = self._create_delivery(self.customer_contact)
        late.action_confirm()
        late.move_ids.date_deadline = self._days_ago(1)
        upcoming = self._create_delivery(self.customer)
        upcoming.action_confirm()
        upcoming.scheduled_date = fields.Datetime.now() + timedelta(days=2)
        done = self._deliver(self.customer)
        returned = self._return(done)
        Picking = self.env["stock.picking"]
        for counter, action, expected in (
            (
                "wms_open_delivery_count",
                "action_wms_view_open_deliveries",
                late | upcoming,
            ),
            ("wms_late_delivery_count", "action_wms_view_late_deliveries", late),
            ("wms_done_delivery_count", "action_wms_view_done_deliveries", done),
            ("wms_return_picking_count", "action_wms_view_returns", returned),
        ):
            self.assertEqual(self.customer[counter], len(expected), counter)
            domain = getattr(self.customer, action)()["domain"]
            self.assertEqual(Picking.search(domain), expected, action)

    def test_smart_buttons_sub_company_is_a_customer_of_its_own(self):
        """A sub-company (a company whose parent is the customer) is its own
        commercial partner: its deliveries are counted and listed on it, not
        on its parent, as the KPIs count them."""
        branch = self.env["res.partner"].create(
            {
                "name": "Acme Shenzhen Branch",
                "is_company": True,
                "parent_id": self.customer.id,
            }
        )
        branch_desk = self.env["res.partner"].create(
            {"name": "Shenzhen Receiving", "parent_id": branch.id}
        )
        self.assertEqual(branch.commercial_partner_id, branch)
        open_branch = self._create_delivery(branch_desk)
        open_branch.action_confirm()
        open_branch.move_ids.date_deadline = self._days_ago(1)
        done_branch = self._deliver(branch)
        returned_branch = self._return(done_branch)
        open_own = self._create_delivery(self.customer_contact)
        open_own.action_confirm()
        # not late: scheduled "now" would be late once the clock ticks a second
        open_own.scheduled_date = fields.Datetime.now() + timedelta(days=2)
        done_own = self._deliver(self.customer_contact)
        Picking = self.env["stock.picking"]
        empty = Picking.browse()
        expected = {
            self.customer: (open_own, empty, done_own, empty),
            branch: (open_branch, open_branch, done_branch, returned_branch),
            branch_desk: (open_branch, open_branch, done_branch, returned_branch),
        }
        buttons = (
            ("wms_open_delivery_count", "action_wms_view_open_deliveries"),
            ("wms_late_delivery_count", "action_wms_view_late_deliveries"),
            ("wms_done_delivery_count", "action_wms_view_done_deliveries"),
            ("wms_return_picking_count", "action_wms_view_returns"),
        )
        for partner, pickings in expected.items():
            for (counter, action), listed in zip(buttons, pickings, strict=True):
                with self.subTest(partner=partner.name, counter=counter):
                    domain = getattr(partner, action)()["domain"]
                    self.assertEqual(Picking.search(domain), listed)
                    self.assertEqual(partner[counter], len(listed))
            # the KPIs count the same deliveries
            self.assertEqual(
                partner.wms_delivery_count, partner.wms_done_delivery_count
            )

    def test_partner_kpi_search(self):
        self._deliver(
            self.customer, deadline=self._days_ago(6), date_done=self._days_ago(5)
        )
        self._deliver(self.other_customer)
        self._refresh(self.customer)
        Partner = self.env["res.partner"]
        late = Partner.search(
            [("wms_delivery_count", ">", 0), ("wms_on_time_rate", "<", 90)]
        )
        self.assertIn(self.customer, late)
        self.assertIn(self.customer_contact, late)
        self.assertNotIn(self.other_customer, late)
        never = Partner.search([("wms_delivery_count", "=", 0)])
        self.assertNotIn(self.customer, never)
        self.assertIn(self.cc_user.partner_id, never)
        recent = Partner.search(
            [
                (
                    "wms_last_delivery_date",
                    ">=",
                    fields.Datetime.now() - timedelta(days=1),
                )
            ]
        )
        self.assertIn(self.other_customer, recent)
        self.assertNotIn(self.customer, recent)

    def test_kpi_rows_are_per_company(self):
        company_b = self.env["res.company"].create({"name": "WMS Company B"})
        self.env.user.company_ids |= company_b
        self._deliver(self.customer)
        self._deliver(self.customer, company=company_b)
        self._deliver(self.customer, company=company_b)
        self.assertEqual(self.customer.wms_delivery_count, 1)
        self.assertEqual(self.customer.with_company(company_b).wms_delivery_count, 2)
        user_a = new_test_user(
            self.env,
            login="wms_company_a_user",
            groups="base.group_user,wms_customer_profile.wms_customer_profile_group_user",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        kpi_b = self._kpi(self.customer, company_b)
        self.assertTrue(kpi_b)
        Kpi_a = self.Kpi.with_user(user_a)
        rows = Kpi_a.search([("partner_id", "=", self.customer.id)])
        self.assertEqual(rows.company_id, self.company)
        with self.assertRaises(AccessError):
            kpi_b.with_user(user_a).read(["delivery_count"])

    def test_refresh_rights(self):
        self._deliver(self.customer)
        with self.assertRaises(AccessError):
            self.customer.with_user(self.cc_user).wms_refresh_kpi()
        self.Kpi.search([]).sudo().unlink()
        self.assertTrue(self.customer.with_user(self.cc_manager).wms_refresh_kpi())
        self.assertEqual(self._kpi(self.customer).delivery_count, 1)

    def test_stock_user_validates_as_before(self):
        self.customer.wms_tier_id = self.tier_vip
        picking = self._create_delivery(self.customer).with_user(self.stock_user)
        self.assertEqual(picking.priority, "1")
        picking.action_confirm()
        picking.action_assign()
        picking.move_ids.picked = True
        picking.button_validate()
        self.assertEqual(picking.state, "done")
        self.assertEqual(picking.wms_tier_id.with_user(self.stock_user).name, "VIP")
        self.assertEqual(self._kpi(self.customer).delivery_count, 1)


@tagged("post_install", "-at_install")
class TestKpiAggregates(WmsCustomerProfileCase):
    """The hook ``_kpi_aggregates``: every module adds a part, the refresh
    merges them. No module of this repository adds one yet, so the tests
    merge VALUES parts directly, and patch the hook so that an existing
    column, ``last_delivery_date``, comes from a part of its own: a part
    other than the deliveries', as a module's would be."""

    def _values_part(self, rows, columns):
        """A part selecting ``rows`` (partner_id, company_id, *columns); a
        row without partner is no row (VALUES cannot be empty)."""
        return KpiAggregate(
            SQL(
                "SELECT * FROM (VALUES %s) AS v(partner_id, company_id, %s)"
                " WHERE partner_id IS NOT NULL",
                SQL(", ").join(SQL("(%s)", SQL(", ").join(row)) for row in rows),
                SQL(", ").join(SQL.identifier(column) for column in columns),
            ),
            columns,
        )

    def test_merge_has_the_keys_and_columns_of_every_part(self):
        c = self.company.id
        deliveries = self._values_part(
            [(SQL("1"), SQL("%s", c), SQL("3"), SQL("50.0::numeric"))]
            + [(SQL("2"), SQL("%s", c), SQL("1"), SQL("100.0::numeric"))],
            {"delivery_count": 0, "on_time_rate": None},
        )
        tickets = self._values_part(
            [(SQL("2"), SQL("%s", c), SQL("7"))] + [(SQL("3"), SQL("%s", c), SQL("4"))],
            {"ticket_count": 0},
        )
        merged = self.Kpi._merge_kpi_aggregates([deliveries, tickets])
        self.assertEqual(
            list(merged.columns), ["delivery_count", "on_time_rate", "ticket_count"]
        )
        self.env.cr.execute(SQL("%s ORDER BY partner_id", merged.sql))
        self.assertEqual(
            [column.name for column in self.env.cr.description],
            ["partner_id", "company_id", "delivery_count", "on_time_rate"]
            + ["ticket_count"],
        )
        self.assertEqual(
            self.env.cr.fetchall(),
            [
                (1, c, 3, 50.0, 0),
                (2, c, 1, 100.0, 7),
                # known to the second part only: counts 0, rates NULL
                (3, c, 0, None, 4),
            ],
        )
        # a column is one part's; the keys are every row's
        for columns in ({"delivery_count": 0}, {"partner_id": None}):
            with self.assertRaises(ValueError):
                self.Kpi._merge_kpi_aggregates(
                    [deliveries, self._values_part([], columns)]
                )

    def _patch_last_delivery_part(self, dates):
        """Patch the hook: ``last_delivery_date`` is no longer the delivery
        part's but a second part's, ``dates`` {partner: datetime}."""
        Kpi = type(self.Kpi)
        base = Kpi._kpi_aggregates

        def _kpi_aggregates(model, date_from, partner_ids=None, company_ids=None):
            parts = base(model, date_from, partner_ids, company_ids)
            columns = dict(parts[0].columns)
            columns.pop("last_delivery_date")
            rows = [
                (
                    SQL("%s", partner.id),
                    SQL("%s", self.company.id),
                    SQL("%s::timestamp", date),
                )
                for partner, date in dates.items()
                if partner_ids is None or partner.id in partner_ids
            ] or [(SQL("NULL::int"), SQL("NULL::int"), SQL("NULL::timestamp"))]
            return [
                KpiAggregate(parts[0].sql, columns),
                self._values_part(rows, {"last_delivery_date": None}),
            ]

        return patch.object(Kpi, "_kpi_aggregates", _kpi_aggregates)

    def _rows(self, *partners):
        self.env.flush_all()
        self.env.cr.execute(
            """
            SELECT partner_id, delivery_count, on_time_count, on_time_rate,
                   accuracy_rate, return_rate, last_delivery_date
              FROM wms_customer_kpi
             WHERE partner_id = ANY(%s) AND company_id = %s
             ORDER BY partner_id
            """,
            [[p.id for p in partners], self.company.id],
        )
        return {row[0]: row[1:] for row in self.env.cr.fetchall()}

    def test_refresh_writes_customers_of_any_part(self):
        customer, other = self.customer, self.other_customer
        self._deliver(customer, deadline=self._days_ago(4), date_done=self._days_ago(5))
        self._deliver(customer, deadline=self._days_ago(9), date_done=self._days_ago(8))
        ticket_date = self._days_ago(2)
        dates = {other: ticket_date}
        with self._patch_last_delivery_part(dates):
            self.Kpi._refresh([customer.id, other.id])
            rows = self._rows(customer, other)
            self.assertEqual(
                rows,
                {
                    customer.id: (2, 1, 50.0, 100.0, 0.0, None),
                    # no delivery: counts 0, rates NULL (no division by zero)
                    other.id: (0, 0, None, None, None, ticket_date),
                },
            )
            # the customer reads as a customer without deliveries
            self.assertEqual(other.wms_delivery_count, 0)
            self.assertEqual(other.wms_on_time_rate, 0.0)
            self.assertEqual(other.wms_last_delivery_date, ticket_date)
            # averages skip the rates of no delivery
            [[average]] = self.Kpi._read_group(
                [("partner_id", "in", [customer.id, other.id])],
                aggregates=["on_time_rate:avg"],
            )
            self.assertAlmostEqual(average, 50.0)

            # the daily refresh writes the same rows
            self.Kpi.search([]).sudo().unlink()
            self.Kpi._refresh_all()
            self.assertEqual(self._rows(customer, other), rows)

            # a change in the second part alone rewrites the row
            kpi = self._kpi(other)
            self.env.cr.execute(
                "UPDATE wms_customer_kpi SET date_refreshed = '2000-01-01'"
                " WHERE id = %s",
                [kpi.id],
            )
            self.Kpi.invalidate_model()
            dates[other] = self._days_ago(1)
            self.Kpi._refresh([other.id])
            self.assertEqual(kpi.last_delivery_date, self._days_ago(1))
            self.assertGreater(kpi.date_refreshed.year, 2000)

            # the deliveries leave the window: the row stays, the second part
            # has the customer; it goes once no part has it
            self.env["ir.config_parameter"].set_param(
                "wms_customer_profile.kpi_window_days", 1
            )
            dates[customer] = ticket_date
            del dates[other]
            self.Kpi._refresh_all()
            self.assertEqual(
                self._rows(customer, other),
                {customer.id: (0, 0, None, None, None, ticket_date)},
            )
            del dates[customer]
            self.Kpi._refresh([customer.id])
            self.assertFalse(self._rows(customer, other))

    def test_refresh_queries_do_not_grow_with_parts(self):
        self._deliver(self.customer)
        partner_ids = [self.customer.id, self.other_customer.id]
        self.env.invalidate_all()
        with self.assertQueryCount(2):  # the upsert, "customer since"
            self.Kpi._refresh(partner_ids)
        with self._patch_last_delivery_part({self.other_customer: self._days_ago(1)}):
            self.env.invalidate_all()
            with self.assertQueryCount(2):
                self.Kpi._refresh(partner_ids)
        self.assertEqual(len(self.Kpi.search([("partner_id", "in", partner_ids)])), 2)

    def test_part_column_must_be_a_kpi_field(self):
        """A part whose column the table lacks fails before any SQL runs."""
        Kpi = type(self.Kpi)
        base = Kpi._kpi_aggregates
        c = self.company.id

        def _kpi_aggregates(model, date_from, partner_ids=None, company_ids=None):
            return base(model, date_from, partner_ids, company_ids) + [
                self._values_part(
                    [(SQL("%s", self.customer.id), SQL("%s", c), SQL("1"))],
                    {"ticket_count": 0},
                )
            ]

        with (
            patch.object(Kpi, "_kpi_aggregates", _kpi_aggregates),
            self.assertRaisesRegex(ValueError, "ticket_count"),
        ):
            self.Kpi._refresh([self.customer.id])

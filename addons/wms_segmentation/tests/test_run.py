# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from unittest.mock import patch

import psycopg2.errors

from odoo.exceptions import AccessError, UserError
from odoo.sql_db import db_connect
from odoo.tests import tagged
from odoo.tools import SQL

from odoo.addons.wms_segmentation.models.wms_segmentation_run import (
    LOCK_KEY,
    WmsSegmentationRun,
)

from .common import WmsSegmentationCase


@tagged("post_install", "-at_install")
class TestRun(WmsSegmentationCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.vip = cls._customer("Run VIP")
        cls._history(cls.vip, [3, 4, 5])
        cls._invoice(cls.vip, 5000)
        cls.quiet = cls._customer("Run Quiet")
        cls._history(cls.quiet, [300])

    def test_failing_run_rolls_back_partners(self):
        def explode(run):
            raise RuntimeError("disk full while writing tiers")

        with patch.object(WmsSegmentationRun, "_write_tiers", explode):
            run_id = self.Run.run_segmentation()
        run = self.Run.browse(run_id)
        self.assertEqual(run.state, "failed")
        self.assertIn("disk full", run.error)
        self.assertTrue(run.date_end)
        # the RFM figures were written before the failure: rolled back too
        vip = self.vip.with_company(self.company_x)
        self.assertFalse(vip.wms_rfm_code)
        self.assertFalse(vip.wms_tier_id)
        # the next run works
        self._run()
        self.assertEqual(vip.wms_tier_id, self.tier_vip)

    def test_concurrent_run_refused(self):
        runs_before = self.Run.search_count([])
        with db_connect(self.env.cr.dbname).cursor() as other:
            other.execute(
                SQL("SELECT pg_advisory_xact_lock(%s, %s)", LOCK_KEY, self.company_x.id)
            )
            with self.assertRaisesRegex(UserError, "already in progress"):
                self.Run.run_segmentation()
            # another company's run is not blocked
            self._run(company=self.main_company)
            other.rollback()
        self.assertEqual(self.Run.search_count([]), runs_before + 1)
        self._run()

    def test_customer_care_user_reads_but_cannot_run(self):
        run = self._run()
        user_env = self.env(user=self.cc_user)
        Run = user_env["wms.segmentation.run"]
        self.assertEqual(Run.search([("id", "=", run.id)]).customer_count, 2)
        self.assertTrue(user_env["wms.rfm.score"].search([("run_id", "=", run.id)]))
        with self.assertRaises(AccessError):
            Run.run_segmentation()
        with self.assertRaises(AccessError):
            Run.action_preview()
        rule = user_env.ref("wms_segmentation.rule_vip")
        self.assertEqual(rule.tier_id, self.tier_vip)
        with self.assertRaises(AccessError):
            rule.r_min = 3
        with self.assertRaises(AccessError):
            user_env["wms.segmentation.rule"].create(
                {"name": "Mine", "tier_id": self.tier_core.id}
            )
        with self.assertRaises(AccessError):
            run.with_user(self.cc_user).unlink()

    def test_manager_preview_and_run_buttons(self):
        Run = self.env(user=self.cc_manager)["wms.segmentation.run"]
        action = Run.action_preview()
        preview = Run.browse(action["res_id"])
        self.assertTrue(preview.dry_run)
        self.assertEqual(preview.state, "done")
        self.assertFalse(self.vip.with_company(self.company_x).wms_tier_id)
        action = preview.action_run()
        run = Run.browse(action["res_id"])
        self.assertFalse(run.dry_run)
        self.assertEqual(run.user_id, self.cc_manager)
        self.assertEqual(
            self.vip.with_company(self.company_x).wms_tier_id, self.tier_vip
        )
        migration = run.action_view_migration()
        self.assertEqual(migration["domain"], [("run_id", "=", run.id)])
        self.assertEqual(
            self.env["wms.rfm.score"].search_count(migration["domain"]),
            run.customer_count,
        )

    def test_other_company_runs_invisible(self):
        run = self._run()
        self.cc_manager.company_ids = self.main_company
        main_only = self.env(
            user=self.cc_manager,
            context=dict(self.env.context, allowed_company_ids=[self.main_company.id]),
        )
        self.assertFalse(
            main_only["wms.segmentation.run"].search([("id", "=", run.id)])
        )
        self.assertFalse(main_only["wms.rfm.score"].search([("run_id", "=", run.id)]))

    def test_cron_runs_every_company(self):
        # the scheduled action commits as it goes; a test cannot commit
        with patch.object(
            type(self.env["ir.cron"]),
            "_commit_progress",
            autospec=True,
            return_value=float("inf"),
        ) as commit:
            self.env["wms.segmentation.run"]._cron_run_segmentation()
        self.assertTrue(commit.called)
        runs = self.Run.sudo().search([("dry_run", "=", False)])
        self.assertIn(self.company_x, runs.company_id)
        self.assertIn(self.main_company, runs.company_id)
        self.assertEqual(
            self.vip.with_company(self.company_x).wms_tier_id, self.tier_vip
        )

    def test_latest_analysis_shows_last_real_run(self):
        action = self.env["wms.rfm.score"].action_open_latest_analysis()
        self.assertEqual(action["domain"], [("run_id", "in", [])])
        self.assertFalse(self.env["wms.rfm.score"].search(action["domain"]))
        self._run()
        last = self._run()
        self._run(dry_run=True)
        action = self.env["wms.rfm.score"].action_open_latest_analysis()
        self.assertEqual(action["domain"], [("run_id", "in", last.ids)])

    def test_partner_history_button(self):
        self._run()
        self._run()
        action = self.vip.with_company(self.company_x).action_wms_view_rfm_history()
        self.assertEqual(self.vip.with_company(self.company_x).wms_rfm_score_count, 2)
        self.assertEqual(self.env["wms.rfm.score"].search_count(action["domain"]), 2)

    def test_concurrency_errors_are_raised_for_a_retry(self):
        """A serialization failure or a deadlock is no failed run: it goes up
        so that Odoo retries the request (or the cron), and nothing of the
        attempt stays."""
        runs_before = self.Run.search_count([])
        for error in (
            psycopg2.errors.SerializationFailure,
            psycopg2.errors.DeadlockDetected,
        ):

            def conflict(run, error=error):
                raise error("could not serialize access")

            with (
                self.subTest(error=error.__name__),
                patch.object(WmsSegmentationRun, "_write_tiers", conflict),
                self.assertRaises(error),
                self.env.cr.savepoint(),
            ):
                self.Run.run_segmentation()
        self.assertEqual(self.Run.search_count([]), runs_before)

    def test_runs_cut_off_are_marked_failed(self):
        """A cron that committed its scores and then stopped leaves a run
        marked running: the next run of the company, which holds its lock,
        marks it failed."""
        stale = self.Run.create({"date_start": self._days_ago(7)})
        self.assertEqual(stale.state, "running")
        other = self.Run.with_company(self.main_company).create(
            {"date_start": self._days_ago(7)}
        )
        self._run()
        self.assertEqual(stale.state, "failed")
        self.assertIn("Interrupted", stale.error)
        self.assertEqual(other.state, "running")  # another company's lock

    def test_deleting_a_scored_customer(self):
        """One preview must not make a customer undeletable."""
        customer = self._customer("Short-Lived Customer")
        self._history(customer, [5])
        run = self._run(dry_run=True)
        score = self._score(run, customer)
        self.assertTrue(score)
        # its deliveries go to another customer first
        self.env["stock.picking"].search([("partner_id", "=", customer.id)]).write(
            {"partner_id": self.vip.id}
        )
        customer.unlink()
        self.assertFalse(score.exists())
        self.assertTrue(run.exists())

    def test_tier_in_history_cannot_be_deleted(self):
        run = self._run(dry_run=True)
        self.assertIn(self.tier_vip, run.score_ids.tier_after_id)
        tier = self.Tier.create({"name": "Gold (test)", "code": "gold_test"})
        # only in the history, on no customer
        self.env.cr.execute(
            "UPDATE wms_rfm_score SET tier_before_id = %s WHERE run_id = %s",
            [tier.id, run.id],
        )
        self.env["wms.rfm.score"].invalidate_model()
        with self.assertRaisesRegex(UserError, "Archive the tier"):
            tier.unlink()
        tier.action_archive()
        self.assertFalse(tier.active)
        unused = self.Tier.create({"name": "Unused (test)", "code": "unused_test"})
        unused.unlink()
        self.assertFalse(unused.exists())

    def test_history_keeps_changes_of_older_runs(self):
        """The last N runs (and previews) keep every score; older ones keep
        the changed rows only, which their tier migration needs."""
        self.env["ir.config_parameter"].set_param("wms_segmentation.history_runs", 2)
        first = self._run()  # every customer gets a tier: all rows changed
        self.quiet.with_company(self.company_x).wms_tier_id = self.tier_vip
        second = self._run()  # quiet falls back: one change
        third = self._run()
        fourth = self._run()
        preview = self._run(dry_run=True)
        self.assertEqual(first.change_count, 2)
        self.assertEqual(second.change_count, 1)
        deleted = self.Run._prune_history()
        self.assertEqual(deleted, 1)  # the second run's unchanged row
        self.assertEqual(len(first.score_ids), 2)  # both rows changed
        self.assertEqual(second.score_ids.partner_id, self.quiet)
        self.assertEqual(len(third.score_ids), 2)
        self.assertEqual(len(fourth.score_ids), 2)
        self.assertEqual(len(preview.score_ids), 2)
        self.assertTrue(second.scores_pruned)
        self.assertFalse(fourth.scores_pruned)
        self.assertEqual(second.customer_count, 2)  # the figures stay
        migration = second.action_view_migration()
        self.assertEqual(self.Score.search_count(migration["domain"]), 1)
        self.assertEqual(self.Run._prune_history(), 0)  # nothing twice

    def test_cron_prunes_history_in_batches(self):
        self.env["ir.config_parameter"].set_param("wms_segmentation.history_runs", 1)
        old = self._run()
        self._run()
        with (
            patch.object(
                type(self.env["ir.cron"]),
                "_commit_progress",
                autospec=True,
                return_value=float("inf"),
            ) as commit,
            patch(
                "odoo.addons.wms_segmentation.models.wms_segmentation_run.PRUNE_BATCH",
                1,
            ),
        ):
            self.env["wms.segmentation.run"]._cron_run_segmentation()
        self.assertTrue(commit.called)
        # the old run changed both customers: both rows stay
        self.assertEqual(len(old.score_ids), 2)
        latest = self.Run.search(
            [("company_id", "=", self.company_x.id), ("dry_run", "=", False)]
        )
        self.assertFalse(latest[0].scores_pruned)
        self.assertTrue(latest[1].scores_pruned)
        self.assertFalse(latest[1].score_ids)  # nothing changed in it

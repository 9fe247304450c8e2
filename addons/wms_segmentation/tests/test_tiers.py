# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import WmsSegmentationCase


@tagged("post_install", "-at_install")
class TestTiers(WmsSegmentationCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # five customers, best to worst; each a step behind on R, F and M
        cls.customers = [cls._customer(f"Tier Customer {i}") for i in range(5)]
        for i, customer in enumerate(cls.customers):
            cls._history(customer, [10 + i * 10 + k for k in range(5 - i)])
            cls._invoice(customer, 1000 - i * 100)
        cls.best, cls.worst = cls.customers[0], cls.customers[-1]
        cls.best_contact = cls.env["res.partner"].create(
            {"name": "Best Receiving Desk", "parent_id": cls.best.id}
        )
        cls.best_nested = cls.env["res.partner"].create(
            {"name": "Best Night Shift", "parent_id": cls.best_contact.id}
        )

    def _tier(self, partner, company=None):
        return partner.with_company(company or self.company_x).wms_tier_id

    def test_real_run_writes_rfm_fields_and_tracks_tier(self):
        run = self._run(
            env=self.env(context=dict(self.env.context, tracking_disable=False))
        )
        self.assertFalse(run.dry_run)
        best = self.best.with_company(self.company_x)
        self.assertEqual(
            (best.wms_rfm_code, best.wms_rfm_r, best.wms_rfm_f, best.wms_rfm_m),
            ("555", 5, 5, 5),
        )
        self.assertEqual((best.wms_rfm_recency_days, best.wms_rfm_frequency), (10, 5))
        self.assertEqual(best.wms_rfm_monetary, 1000)
        self.assertEqual(best.wms_rfm_date, run.date_start.date())
        self.assertEqual(best.wms_tier_id, self.tier_vip)
        # 1 1 1 scores for the worst: the catch-all
        self.assertEqual(self._tier(self.worst), self.tier_normal)
        self.assertEqual(run.change_count, 5)
        # chatter: "Customer Tier: -> VIP", as the ORM's tracking writes it
        tracking = self.env["mail.tracking.value"].search(
            [
                ("mail_message_id.model", "=", "res.partner"),
                ("mail_message_id.res_id", "=", self.best.id),
                ("field_id.name", "=", "wms_tier_id"),
            ]
        )
        self.assertEqual(len(tracking), 1)
        self.assertEqual(tracking.new_value_char, "VIP")
        self.assertEqual(tracking.new_value_integer, self.tier_vip.id)
        self.assertEqual(
            tracking.mail_message_id.subtype_id, self.env.ref("mail.mt_note")
        )
        self.assertIn(tracking.mail_message_id, self.best.message_ids)
        # the main company's values stay as they were
        main = self.best.with_company(self.main_company)
        self.assertFalse(main.wms_tier_id)
        self.assertFalse(main.wms_rfm_code)
        # its contacts follow the company's tier, as after any tier change
        self.assertEqual(self._tier(self.best_contact), self.tier_vip)
        self.assertEqual(self._tier(self.best_nested), self.tier_vip)
        self.assertFalse(self._tier(self.best_contact, self.main_company))
        contact = self.env["res.partner"].create(
            {"name": "Best Contact", "parent_id": self.best.id}
        )
        self.assertEqual(self._tier(contact), self.tier_vip)

    def test_second_run_changes_nothing(self):
        first = self._run()
        self.assertTrue(first.change_count)
        tiers = [self._tier(c) for c in self.customers]
        ctids = "SELECT id, ctid::text FROM res_partner WHERE id = ANY(%s)"
        ids = [c.id for c in self.customers]
        self.env.cr.execute(ctids, [ids])
        before = dict(self.env.cr.fetchall())
        second = self._run()
        self.assertEqual(second.change_count, 0)
        # not even rewritten with the same values
        self.env.cr.execute(ctids, [ids])
        self.assertEqual(dict(self.env.cr.fetchall()), before)
        self.assertEqual([self._tier(c) for c in self.customers], tiers)
        self.assertFalse(second.score_ids.filtered("changed"))

    def test_lapsed_vip_becomes_churn_risk_with_activity(self):
        manager = self.cc_manager
        lapsed = self._customer("Lapsed VIP", wms_account_manager_id=manager.id)
        lapsed.with_company(self.company_x).wms_tier_id = self.tier_vip
        self._history(lapsed, [400])
        run = self._run()
        self.assertEqual(self._tier(lapsed), self.tier_churn)
        score = self._score(run, lapsed)
        self.assertEqual(
            (score.tier_before_id, score.tier_after_id),
            (self.tier_vip, self.tier_churn),
        )
        activity = lapsed.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertEqual(
            activity.activity_type_id,
            self.env.ref("wms_segmentation.mail_activity_type_tier_drop"),
        )
        self.assertEqual(activity.user_id, manager)
        self.assertIn("VIP", activity.summary)
        # still lapsed next week: stays at churn risk, no second activity
        again = self._run()
        self.assertFalse(self._score(again, lapsed).changed)
        self.assertEqual(self._tier(lapsed), self.tier_churn)
        self.assertEqual(len(lapsed.activity_ids), 1)

    def test_dry_run_changes_nothing(self):
        preview = self._run(dry_run=True)
        self.assertTrue(preview.dry_run)
        self.assertEqual(preview.change_count, 5)
        self.assertEqual(self._score(preview, self.best).tier_after_id, self.tier_vip)
        for customer in self.customers:
            self.assertFalse(self._tier(customer))
            self.assertFalse(customer.with_company(self.company_x).wms_rfm_code)

    def test_new_customer_rule_comes_after_vip_and_core(self):
        """ "New" is a rule like the others: a new customer who already orders
        like a VIP is VIP; one with modest scores is new, not potential or
        normal; an old customer with the same scores is not new."""
        rule_new = self.env.ref("wms_segmentation.rule_new")
        self.assertEqual(rule_new.tier_id, self.tier_new)
        self.assertEqual(rule_new.customer_since_days, 90)
        self.assertLess(
            self.env.ref("wms_segmentation.rule_core").sequence, rule_new.sequence
        )
        modest = self.customers[3]  # scores 2 2 2: the catch-all, normally
        for customer in (self.best, modest):
            customer.wms_customer_since = self._days_ago(30).date()
        run = self._run()
        best, modest_score = self._scores(run, [self.best, modest])
        self.assertEqual((best.rfm_code, best.tier_after_id), ("555", self.tier_vip))
        self.assertEqual(best.rule_id, self.env.ref("wms_segmentation.rule_vip"))
        self.assertEqual(modest_score.rule_id, rule_new)
        self.assertEqual(self._tier(modest), self.tier_new)
        # a customer for 120 days is no longer new
        modest.wms_customer_since = self._days_ago(120).date()
        run = self._run(dry_run=True)
        self.assertEqual(self._score(run, modest).tier_after_id, self.tier_normal)
        # the period is the rule's: 150 days makes it new again
        rule_new.customer_since_days = 150
        run = self._run(dry_run=True)
        self.assertEqual(self._score(run, modest).tier_after_id, self.tier_new)

    def test_locked_tier_untouched(self):
        best = self.best.with_company(self.company_x)
        best.write({"wms_tier_id": self.tier_normal.id, "wms_tier_locked": True})
        run = self._run()
        score = self._score(run, self.best)
        self.assertTrue(score.locked)
        self.assertFalse(score.changed)
        self.assertEqual(score.tier_after_id, self.tier_normal)
        self.assertEqual(best.wms_tier_id, self.tier_normal)
        self.assertEqual(best.wms_rfm_code, "555")  # scores are still written

    def test_rule_order_and_catch_all(self):
        first = self.Rule.create(
            {
                "name": "Everyone potential",
                "tier_id": self.tier_potential.id,
                "sequence": 1,
            }
        )
        run = self._run(dry_run=True)
        self.assertEqual(run.score_ids.tier_after_id, self.tier_potential)
        # a rule of another company is ignored
        first.company_id = self.main_company
        run = self._run(dry_run=True)
        self.assertEqual(self._score(run, self.best).tier_after_id, self.tier_vip)
        # no matching rule at all: the tier stays as it was
        self.Rule.search([]).active = False
        run = self._run(dry_run=True)
        self.assertEqual(run.change_count, 0)
        self.assertFalse(self._score(run, self.best).tier_after_id)

    def test_previous_tier_condition(self):
        core = self.customers[2].with_company(self.company_x)  # scores 3 3 3
        rule = self.Rule.create(
            {
                "name": "Former VIP stays core",
                "tier_id": self.tier_potential.id,
                "sequence": 1,
                "previous_tier_ids": [(6, 0, self.tier_vip.ids)],
            }
        )
        run = self._run(dry_run=True)
        self.assertEqual(self._score(run, core).tier_after_id, self.tier_core)
        core.wms_tier_id = self.tier_vip
        run = self._run(dry_run=True)
        self.assertEqual(self._score(run, core).tier_after_id, rule.tier_id)

    def test_rule_ranges_are_checked(self):
        for vals in ({"r_min": 0}, {"f_max": 6}, {"m_min": 4, "m_max": 3}):
            with self.subTest(vals=vals), self.assertRaises(ValidationError):
                self.Rule.create({"name": "Bad", "tier_id": self.tier_core.id, **vals})

    def test_two_companies_keep_their_own_tiers(self):
        """Company X scores best as VIP; in the main company the same customer
        is the only one and a former VIP gone quiet. Each run writes only its
        own company's values."""
        self._history(self.best, [400], company=self.main_company)
        self._history(self.worst, [5, 6, 7], company=self.main_company)
        # far above the demo customers of the main company, when installed
        self._invoice(self.worst, 1000000, company=self.main_company)
        self.best.with_company(self.main_company).wms_tier_id = self.tier_vip
        self._run()
        self.assertEqual(self._tier(self.best), self.tier_vip)
        main_run = self._run(company=self.main_company)
        self.assertEqual(main_run.company_id, self.main_company)
        self.assertEqual(self._tier(self.best, self.main_company), self.tier_churn)
        self.assertEqual(self._tier(self.worst, self.main_company), self.tier_vip)
        # company X untouched by the main company's run
        self.assertEqual(self._tier(self.best), self.tier_vip)
        self.assertEqual(self._tier(self.worst), self.tier_normal)
        self.assertEqual(self.worst.with_company(self.company_x).wms_rfm_code, "111")

    def test_chinese_translation_ships(self):
        """Rules, and the activity of a Chinese-speaking account manager, in
        Simplified Chinese even when the weekly run runs in English."""
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(
            ["wms_customer_profile", "wms_segmentation"], ["zh_CN"], overwrite=True
        )
        zh = self.env(context=dict(self.env.context, lang="zh_CN"))
        rule = self.env.ref("wms_segmentation.rule_vip").with_env(zh)
        self.assertEqual(rule.name, "VIP客户：近期发货、频次高、金额高")
        self.cc_manager.lang = "zh_CN"
        lapsed = self._customer("Lapsed VIP", wms_account_manager_id=self.cc_manager.id)
        lapsed.with_company(self.company_x).wms_tier_id = self.tier_vip
        self._history(lapsed, [400])
        self._run(env=self.env(context=dict(self.env.context, lang="en_US")))
        self.assertEqual(
            lapsed.activity_ids.summary, "客户等级由 VIP客户 降至 流失风险"
        )

    def test_context_cannot_leave_contacts_behind(self):
        """The run's shortcut (contacts written in the same batch) is for the
        run alone: a user sending its context key still moves the contacts."""
        Partner = (
            self.env["res.partner"]
            .with_user(self.cc_user)
            .with_company(self.company_x)
            .with_context(wms_segmentation_contacts_included=True)
        )
        Partner.browse(self.best.id).wms_tier_id = self.tier_core
        self.assertEqual(self._tier(self.best_contact), self.tier_core)
        self.assertEqual(self._tier(self.best_nested), self.tier_core)

# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import datetime, timedelta
from unittest.mock import patch
from xmlrpc.client import Fault

from odoo.tests import HttpCase, get_db_name, new_test_user, tagged

from odoo.addons.wms_customer_profile.tests.common import MANAGER_GROUP, USER_GROUP

from .common import WmsSegmentationCase


@tagged("post_install", "-at_install")
class TestIntegratorApi(HttpCase, WmsSegmentationCase):
    """An integrator previews, then runs, the segmentation over XML-RPC."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer_x = cls._customer("RPC Customer")
        cls._history(cls.customer_x, [2, 3])
        cls._invoice(cls.customer_x, 800)
        cls.integrator = new_test_user(
            cls.env,
            login="wms_seg_integrator",
            password="wms_seg_integrator_pw",
            groups=f"base.group_user,{MANAGER_GROUP}",
            company_ids=[(6, 0, [cls.main_company.id, cls.company_x.id])],
            company_id=cls.company_x.id,
        )
        cls.reader = new_test_user(
            cls.env,
            login="wms_seg_reader",
            password="wms_seg_reader_pw",
            groups=f"base.group_user,{USER_GROUP}",
            company_ids=[(6, 0, [cls.main_company.id, cls.company_x.id])],
        )

    def _call(self, login, method, *args, **kwargs):
        db = get_db_name()
        uid = self.xmlrpc_common.authenticate(db, login, f"{login}_pw", {})
        return self.xmlrpc_object.execute_kw(
            db,
            uid,
            f"{login}_pw",
            "wms.segmentation.run",
            method,
            list(args),
            {**kwargs, "context": {"allowed_company_ids": [self.company_x.id]}},
        )

    def test_xmlrpc_preview_then_run(self):
        run_id = self._call("wms_seg_integrator", "run_segmentation", dry_run=True)
        self.assertIsInstance(run_id, int)
        preview = self.Run.browse(run_id)
        self.assertEqual((preview.state, preview.dry_run), ("done", True))
        self.assertEqual(preview.company_id, self.company_x)
        self.assertFalse(self.customer_x.with_company(self.company_x).wms_tier_id)
        run_id = self._call("wms_seg_integrator", "run_segmentation")
        run = self.Run.browse(run_id)
        self.assertFalse(run.dry_run)
        self.assertEqual(
            self.customer_x.with_company(self.company_x).wms_rfm_code, "555"
        )
        self.assertEqual(
            self.customer_x.with_company(self.company_x).wms_tier_id, self.tier_vip
        )

    def test_xmlrpc_refused_to_customer_care_user(self):
        with self.assertRaises(Fault) as caught:
            self._call("wms_seg_reader", "run_segmentation")
        self.assertIn("Only Customer Care managers", caught.exception.faultString)

    def _json2(
        self, user, method, model="wms.segmentation.run", context=None, **params
    ):
        """POST /json/2/<model>/<method> as ``user`` with an API key, in
        company X (plus ``context``)."""
        key = (
            self.env["res.users.apikeys"]
            .with_user(user)
            ._generate(
                scope="rpc",
                name="WMS segmentation test",
                expiration_date=datetime.now() + timedelta(days=1),
            )
        )
        context = {"allowed_company_ids": [self.company_x.id], **(context or {})}
        return self.url_open(
            f"/json/2/{model}/{method}",
            json={**params, "context": context},
            headers={
                "Authorization": f"bearer {key}",
                "X-Odoo-Database": get_db_name(),
            },
        )

    def test_json2_run_and_read_scores(self):
        response = self._json2(self.integrator, "run_segmentation", dry_run=False)
        self.assertEqual(response.status_code, 200, response.text)
        run = self.Run.browse(response.json())
        self.assertEqual((run.state, run.company_id), ("done", self.company_x))
        self.assertEqual(
            self.customer_x.with_company(self.company_x).wms_tier_id, self.tier_vip
        )
        response = self._json2(self.reader, "run_segmentation", dry_run=True)
        self.assertEqual(response.status_code, 403, response.text)
        self.assertIn("Only Customer Care managers", response.json()["message"])

    def test_revenue_hidden_from_users_without_accounting(self):
        """The RFM monetary value is revenue: Customer Care managers and
        accounting users read it; an employee or a Customer Care user gets
        an AccessError, over XML-RPC and /json/2 alike."""
        run = self._run()
        score = self._score(run, self.customer_x)
        users = {
            login: new_test_user(
                self.env,
                login=login,
                password=f"{login}_pw",
                groups=groups,
                company_ids=[(6, 0, [self.main_company.id, self.company_x.id])],
            )
            for login, groups in (
                ("wms_seg_employee", "base.group_user"),
                ("wms_seg_billing", f"account.group_account_invoice,{USER_GROUP}"),
                ("wms_seg_auditor", f"account.group_account_readonly,{USER_GROUP}"),
            )
        }
        employee = users["wms_seg_employee"]
        db = get_db_name()

        def read(login, model, record, fname):
            uid = self.xmlrpc_common.authenticate(db, login, f"{login}_pw", {})
            return self.xmlrpc_object.execute_kw(
                db,
                uid,
                f"{login}_pw",
                model,
                "read",
                [record.ids, [fname]],
                {"context": {"allowed_company_ids": [self.company_x.id]}},
            )[0][fname]

        for login in ("wms_seg_employee", "wms_seg_reader"):
            with self.subTest(login=login), self.assertRaises(Fault) as caught:
                read(login, "res.partner", self.customer_x, "wms_rfm_monetary")
            self.assertEqual(caught.exception.faultCode, 4)  # AccessError
        with self.assertRaises(Fault) as caught:
            read("wms_seg_reader", "wms.rfm.score", score, "monetary")
        self.assertEqual(caught.exception.faultCode, 4)
        # the other RFM figures stay readable by Customer Care users
        self.assertEqual(
            read("wms_seg_reader", "wms.rfm.score", score, "rfm_code"), "555"
        )
        for login in ("wms_seg_integrator", "wms_seg_billing", "wms_seg_auditor"):
            with self.subTest(login=login):
                self.assertEqual(
                    read(login, "res.partner", self.customer_x, "wms_rfm_monetary"),
                    800,
                )
                self.assertEqual(read(login, "wms.rfm.score", score, "monetary"), 800)
        response = self._json2(
            employee,
            "read",
            model="res.partner",
            ids=self.customer_x.ids,
            fields=["wms_rfm_monetary"],
        )
        self.assertEqual(response.status_code, 403, response.text)
        self.assertEqual(response.json()["name"], "odoo.exceptions.AccessError")

    def test_pretending_to_be_the_cron_commits_nothing(self):
        """Over RPC a caller sends any context, ``cron_id`` included: the run
        stays one transaction (no commit between scores and tiers), so a run
        that fails halfway leaves no scores and no change behind."""

        def explode(run):
            raise RuntimeError("tier write failed halfway")

        Run = type(self.env["wms.segmentation.run"])
        with (
            patch.object(Run, "_apply", explode),
            patch.object(
                type(self.env["ir.cron"]), "_commit_progress", autospec=True
            ) as commit,
        ):
            cron = self.env.ref("wms_segmentation.ir_cron_run_segmentation")
            response = self._json2(
                self.integrator, "run_segmentation", context={"cron_id": cron.id}
            )
        self.assertEqual(response.status_code, 200, response.text)
        commit.assert_not_called()
        run = self.Run.browse(response.json())
        self.assertEqual(run.state, "failed")
        self.assertIn("halfway", run.error)
        self.assertFalse(run.score_ids)
        self.assertEqual((run.customer_count, run.change_count), (0, 0))
        customer = self.customer_x.with_company(self.company_x)
        self.assertFalse(customer.wms_rfm_code)
        self.assertFalse(customer.wms_tier_id)

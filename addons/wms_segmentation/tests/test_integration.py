# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import datetime, timedelta
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

    def _json2(self, user, method, **params):
        key = (
            self.env["res.users.apikeys"]
            .with_user(user)
            ._generate(
                scope="rpc",
                name="WMS segmentation test",
                expiration_date=datetime.now() + timedelta(days=1),
            )
        )
        return self.url_open(
            f"/json/2/wms.segmentation.run/{method}",
            json={**params, "context": {"allowed_company_ids": [self.company_x.id]}},
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

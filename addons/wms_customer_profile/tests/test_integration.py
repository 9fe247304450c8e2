# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import xmlrpc.client
from datetime import datetime, timedelta

from odoo.tests import HttpCase, get_db_name, new_test_user, tagged

from .common import MANAGER_GROUP, WmsCustomerProfileCase

FIELDS = [
    "name",
    "wms_tier_id",
    "wms_delivery_count",
    "wms_on_time_rate",
    "wms_accuracy_rate",
    "wms_return_rate",
    "wms_last_delivery_date",
]


@tagged("post_install", "-at_install")
class TestIntegratorApi(HttpCase, WmsCustomerProfileCase):
    """What an integrator does: read a customer's tier and KPIs over RPC."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer.wms_tier_id = cls.tier_vip
        cls._deliver(
            cls.customer, deadline=cls._days_ago(9), date_done=cls._days_ago(10)
        )
        cls._deliver(
            cls.customer, deadline=cls._days_ago(21), date_done=cls._days_ago(20)
        )
        cls.Kpi._refresh(partner_ids=cls.customer.ids)
        cls.integrator = new_test_user(
            cls.env,
            login="wms_integrator",
            password="wms_integrator_pw",
            groups=f"base.group_user,{MANAGER_GROUP}",
        )
        cls.api_key = (
            cls.env["res.users.apikeys"]
            .with_user(cls.integrator)
            ._generate(
                scope="rpc",
                name="WMS integration test",
                expiration_date=datetime.now() + timedelta(days=1),
            )
        )

        # the attacker of the hardening issue: Contact Creation only
        cls.contact_creator = new_test_user(
            cls.env,
            login="wms_contact_creator",
            password="wms_contact_creator_pw",
            groups="base.group_user,base.group_partner_manager",
        )
        cls.attacker_key = (
            cls.env["res.users.apikeys"]
            .with_user(cls.contact_creator)
            ._generate(
                scope="rpc",
                name="WMS attacker",
                expiration_date=datetime.now() + timedelta(days=1),
            )
        )

    def _check_values(self, values):
        self.assertEqual(values["wms_tier_id"][1], "VIP")
        self.assertEqual(values["wms_delivery_count"], 2)
        self.assertAlmostEqual(values["wms_on_time_rate"], 50.0)
        self.assertAlmostEqual(values["wms_accuracy_rate"], 100.0)
        self.assertAlmostEqual(values["wms_return_rate"], 0.0)

    def test_xmlrpc_read_tier_and_kpis(self):
        db = get_db_name()
        uid = self.xmlrpc_common.authenticate(
            db, "wms_integrator", "wms_integrator_pw", {}
        )
        self.assertEqual(uid, self.integrator.id)
        ids = self.xmlrpc_object.execute_kw(
            db,
            uid,
            "wms_integrator_pw",
            "res.partner",
            "search",
            [[("wms_tier_id.code", "=", "vip"), ("wms_delivery_count", ">", 0)]],
        )
        self.assertIn(self.customer.id, ids)
        [values] = self.xmlrpc_object.execute_kw(
            db,
            uid,
            self.api_key,  # an API key works in place of the password
            "res.partner",
            "read",
            [[self.customer.id]],
            {"fields": FIELDS},
        )
        self._check_values(values)
        # managers refresh KPIs over RPC
        self.assertTrue(
            self.xmlrpc_object.execute_kw(
                db,
                uid,
                self.api_key,
                "res.partner",
                "wms_refresh_kpi",
                [[self.customer.id]],
            )
        )

    def test_json2_read_tier_and_kpis(self):
        headers = {
            "Authorization": f"bearer {self.api_key}",
            "X-Odoo-Database": get_db_name(),
        }
        response = self.url_open(
            "/json/2/res.partner/read",
            json={"ids": [self.customer.id], "fields": FIELDS},
            headers=headers,
        )
        self.assertEqual(response.status_code, 200, response.text)
        [values] = response.json()
        self._check_values(values)
        response = self.url_open(
            "/json/2/wms.customer.kpi/search_read",
            json={
                "domain": [["partner_id", "=", self.customer.id]],
                "fields": ["delivery_count", "on_time_rate", "company_id"],
            },
            headers=headers,
        )
        self.assertEqual(response.status_code, 200, response.text)
        [kpi] = response.json()
        self.assertEqual(kpi["delivery_count"], 2)

    def test_json2_bad_key_is_refused(self):
        response = self.url_open(
            "/json/2/res.partner/read",
            json={"ids": [self.customer.id], "fields": FIELDS},
            headers={"Authorization": "bearer not-a-key"},
        )
        self.assertEqual(response.status_code, 401)
        self.assertIn("message", response.json())

    # ------------------------------------------------------------------
    # Customer Care fields over RPC
    # ------------------------------------------------------------------
    def _attacks(self):
        """(method, params) an attacker sends to make a customer VIP, lock
        its tier or give it an account manager."""
        target = self.other_customer.id
        vip = self.tier_vip.id
        attacks = []
        for vals in (
            {"wms_tier_id": vip},
            {"wms_tier_locked": True},
            {"wms_account_manager_id": self.contact_creator.id},
        ):
            attacks += [
                ("write", {"ids": [target], "vals": vals}),
                ("create", {"vals_list": [dict(vals, name="Self-made VIP")]}),
            ]
        attacks += [
            # x2many commands run as the request's user (res.partner refuses
            # sudo commands)
            (
                "write",
                {
                    "ids": [target],
                    "vals": {
                        "child_ids": [
                            [0, 0, {"name": "Self-made VIP", "wms_tier_locked": True}]
                        ]
                    },
                },
            ),
            (
                "load",
                {
                    "fields": [".id", "wms_tier_id/.id"],
                    "data": [[str(target), str(vip)]],
                },
            ),
            (
                "load",
                {
                    "fields": ["name", "wms_tier_locked"],
                    "data": [["Self-made VIP", "1"]],
                },
            ),
        ]
        return attacks

    def _assert_nothing_changed(self):
        self.env.invalidate_all()
        self.assertFalse(self.other_customer.wms_tier_id)
        self.assertFalse(self.other_customer.wms_tier_locked)
        self.assertFalse(self.other_customer.wms_account_manager_id)
        self.assertFalse(
            self.env["res.partner"].search([("name", "=", "Self-made VIP")])
        )

    def test_xmlrpc_contact_creator_cannot_make_a_customer_vip(self):
        db = get_db_name()
        uid = self.contact_creator.id
        for method, params in self._attacks():
            with self.subTest(method=method, params=params):
                if method == "load":
                    result = self.xmlrpc_object.execute_kw(
                        db, uid, self.attacker_key, "res.partner", method, [], params
                    )
                    self.assertFalse(result["ids"])
                    self.assertIn("Only Customer Care", str(result["messages"]))
                    continue
                args = (
                    [params["ids"], params["vals"]]
                    if method == "write"
                    else [params["vals_list"]]
                )
                with self.assertRaisesRegex(xmlrpc.client.Fault, "Only Customer Care"):
                    self.xmlrpc_object.execute_kw(
                        db, uid, self.attacker_key, "res.partner", method, args
                    )
        self._assert_nothing_changed()
        # the contact itself remains theirs to edit
        self.assertTrue(
            self.xmlrpc_object.execute_kw(
                db,
                uid,
                self.attacker_key,
                "res.partner",
                "write",
                [[self.other_customer.id], {"phone": "+86 21 5555 0100"}],
            )
        )

    def test_json2_contact_creator_cannot_make_a_customer_vip(self):
        headers = {
            "Authorization": f"bearer {self.attacker_key}",
            "X-Odoo-Database": get_db_name(),
        }
        for method, params in self._attacks():
            with self.subTest(method=method, params=params):
                response = self.url_open(
                    f"/json/2/res.partner/{method}", json=params, headers=headers
                )
                self.assertIn("Only Customer Care", response.text)
                if method == "load":
                    self.assertEqual(response.status_code, 200, response.text)
                    self.assertFalse(response.json()["ids"])
                else:
                    self.assertEqual(response.status_code, 403, response.text)
        self._assert_nothing_changed()
        response = self.url_open(
            "/json/2/res.partner/write",
            json={"ids": [self.other_customer.id], "vals": {"phone": "+86 21 5555"}},
            headers=headers,
        )
        self.assertEqual(response.status_code, 200, response.text)

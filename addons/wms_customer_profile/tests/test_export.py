# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import base64
import io
from datetime import datetime

import openpyxl

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import WmsCustomerProfileCase


@tagged("post_install", "-at_install")
class TestCustomerExport(WmsCustomerProfileCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer.write(
            {
                "wms_tier_id": cls.tier_vip.id,
                "wms_preferred_channel": "wechat",
                "wms_account_manager_id": cls.cc_user.id,
                "wms_credit_rating": "a",
                "ref": "C-001",
            }
        )
        cls._deliver(
            cls.customer,
            deadline=cls._days_ago(9),
            date_done=cls._days_ago(10),
        )
        cls._deliver(
            cls.customer,
            deadline=cls._days_ago(21),
            date_done=cls._days_ago(20),
        )
        cls.Kpi._refresh(partner_ids=cls.customer.ids)

    def _export(self, user, partners, **vals):
        wizard = (
            self.env["wms.customer.export"]
            .with_user(user)
            .with_context(active_model="res.partner", active_ids=partners.ids)
            .create(vals)
        )
        self.assertEqual(wizard.partner_ids, partners)
        action = wizard.action_export()
        self.assertEqual(action["type"], "ir.actions.act_url")
        self.assertIn(
            f"/web/content/wms.customer.export/{wizard.id}/file_data", action["url"]
        )
        self.assertTrue(wizard.file_name.endswith(".xlsx"))
        book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(wizard.file_data)))
        return book.active

    def test_export_profiles_with_kpis(self):
        partners = self.customer | self.other_customer
        sheet = self._export(self.cc_manager, partners)
        header = [cell.value for cell in sheet[1]]
        self.assertEqual(
            header[:6],
            [
                "Customer",
                "Reference",
                "Tier",
                "Tier Locked",
                "Account Manager",
                "Credit Rating",
            ],
        )
        self.assertIn("On-Time Rate", header)
        self.assertTrue(all(cell.font.bold for cell in sheet[1]))
        self.assertEqual(sheet.freeze_panes, "A2")
        self.assertEqual(
            sheet.auto_filter.ref, f"A1:{sheet.cell(1, len(header)).column_letter}3"
        )
        self.assertEqual(sheet.max_row, 3)  # header + 2 customers
        self.assertGreater(sheet.column_dimensions["A"].width, 20)

        rows = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
        row = rows[self.customer.complete_name]
        col = {name: idx for idx, name in enumerate(header)}
        self.assertEqual(row[col["Reference"]].value, "C-001")
        self.assertEqual(row[col["Tier"]].value, "VIP")
        self.assertEqual(row[col["Account Manager"]].value, self.cc_user.name)
        self.assertEqual(row[col["Credit Rating"]].value, "A - Excellent")
        self.assertEqual(row[col["Preferred Channel"]].value, "WeChat")
        self.assertEqual(row[col["Deliveries"]].value, 2)
        on_time = row[col["On-Time Rate"]]
        self.assertAlmostEqual(on_time.value, 0.5)
        self.assertIn("%", on_time.number_format)
        self.assertAlmostEqual(row[col["Accuracy Rate"]].value, 1.0)
        last = row[col["Last Delivery"]]
        self.assertIsInstance(last.value, datetime)
        self.assertEqual(last.number_format, "yyyy-mm-dd")
        self.assertEqual(last.value.date(), self._days_ago(10).date())
        since = row[col["Customer Since"]]
        self.assertIsInstance(since.value, datetime)
        other = rows[self.other_customer.complete_name]
        self.assertEqual(other[col["Deliveries"]].value, 0)
        self.assertIsNone(other[col["Tier"]].value)

    def test_dates_are_the_customers_local_dates(self):
        """The last delivery is dated in the customer's timezone, as its
        "customer since" date is, whatever the reader's timezone."""
        self.company.partner_id.tz = False
        buyer = self.env["res.partner"].create(
            {"name": "Shanghai Buyer", "is_company": True, "tz": "Asia/Shanghai"}
        )
        # 01:00 on 10 November in Shanghai, 12:00 on the 9th in New York
        self._deliver(buyer, date_done=self._dt("2026-11-09 17:00:00"))
        buyer.wms_customer_since = False
        self.Kpi._refresh(partner_ids=buyer.ids)
        self.cc_manager.tz = "America/New_York"
        sheet = self._export(self.cc_manager, buyer)
        header = [cell.value for cell in sheet[1]]
        row = sheet[2]
        since = row[header.index("Customer Since")].value
        last = row[header.index("Last Delivery")].value
        self.assertEqual(since.date(), datetime(2026, 11, 10).date())
        self.assertEqual(last.date(), since.date())
        # a contact's row shows its company's figures, dated alike
        contact = self.env["res.partner"].create(
            {"name": "Buyer Desk", "parent_id": buyer.id, "tz": "America/New_York"}
        )
        sheet = self._export(self.cc_manager, contact)
        self.assertEqual(sheet[2][header.index("Last Delivery")].value, last)

    def test_credit_rating_column_for_managers_only(self):
        sheet = self._export(self.cc_user, self.customer, include_kpi=False)
        header = [cell.value for cell in sheet[1]]
        self.assertNotIn("Credit Rating", header)
        self.assertNotIn("On-Time Rate", header)
        self.assertEqual(sheet.max_row, 2)

    def test_tier_names_in_user_language(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.tier_vip.with_context(lang="zh_CN").name = "贵宾客户"
        self.cc_user.lang = "zh_CN"
        sheet = self._export(self.cc_user, self.customer)
        header = [cell.value for cell in sheet[1]]
        tier_col = 2
        self.assertEqual(sheet.cell(2, tier_col + 1).value, "贵宾客户")
        self.assertNotEqual(header[0], None)

    def test_export_needs_customers(self):
        wizard = self.env["wms.customer.export"].with_user(self.cc_user).create({})
        with self.assertRaises(UserError):
            wizard.action_export()

    def test_bound_to_partner_list(self):
        action = self.env.ref("wms_customer_profile.wms_customer_export_action")
        self.assertEqual(action.binding_model_id.model, "res.partner")
        self.assertEqual(action.binding_view_types, "list")

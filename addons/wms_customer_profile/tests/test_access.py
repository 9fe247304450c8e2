# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import Form, new_test_user, tagged

from .common import USER_GROUP, WmsCustomerProfileCase

GUARDED = ["wms_tier_id", "wms_tier_locked", "wms_account_manager_id"]


@tagged("post_install", "-at_install")
class TestAccess(WmsCustomerProfileCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Contact Creation only: edits every contact, but not Customer Care's
        cls.contact_creator = new_test_user(
            cls.env,
            login="wms_contact_creator",
            groups="base.group_user,base.group_partner_manager",
        )
        cls.employee = new_test_user(
            cls.env, login="wms_employee", groups="base.group_user"
        )
        cls.customer.write(
            {
                "wms_tier_id": cls.tier_vip.id,
                "wms_tier_locked": True,
                "wms_account_manager_id": cls.cc_user.id,
            }
        )

    def _assert_vip_unchanged(self, partner=None):
        partner = partner or self.customer
        partner.invalidate_recordset()
        self.assertEqual(partner.wms_tier_id, self.tier_vip)
        self.assertTrue(partner.wms_tier_locked)
        self.assertEqual(partner.wms_account_manager_id, self.cc_user)

    def test_internal_users_read_customer_care_fields(self):
        for user in (self.employee, self.contact_creator, self.stock_user):
            [values] = self.customer.with_user(user).read(GUARDED)
            self.assertEqual(values["wms_tier_id"][0], self.tier_vip.id, user.login)
            self.assertTrue(values["wms_tier_locked"])
            self.assertEqual(values["wms_account_manager_id"][0], self.cc_user.id)

    def test_contact_creation_cannot_change_customer_care_fields(self):
        customer = self.customer.with_user(self.contact_creator)
        contact = self.customer_contact.with_user(self.contact_creator)
        Partner = self.env["res.partner"].with_user(self.contact_creator)
        changes = [
            {"wms_tier_id": self.tier_normal.id},
            {"wms_tier_id": False},
            {"wms_tier_locked": False},
            {"wms_account_manager_id": self.cc_manager.id},
            {"wms_account_manager_id": False},
        ]
        for vals in changes:
            for partner in (customer, contact, customer | self.other_customer):
                with self.subTest(vals=vals, partner=partner.ids):
                    with self.assertRaises(AccessError):
                        partner.write(dict(vals, phone="+86 21 5555 0199"))
        self._assert_vip_unchanged()
        self._assert_vip_unchanged(self.customer_contact)
        self.assertFalse(self.customer.phone)
        new_values = [
            {"wms_tier_id": self.tier_vip.id},
            {"wms_tier_locked": True},
            {"wms_account_manager_id": self.cc_manager.id},
        ]
        for vals in new_values:
            with self.subTest(vals=vals):
                with self.assertRaises(AccessError):
                    Partner.create({"name": "Self-made VIP", **vals})
                with self.assertRaises(AccessError):
                    Partner.create(
                        {"name": "Self-made VIP", "parent_id": self.customer.id, **vals}
                    )
                # a default in the caller's context is a value too
                defaults = {f"default_{key}": value for key, value in vals.items()}
                with self.assertRaises(AccessError):
                    Partner.with_context(**defaults).create({"name": "Self-made VIP"})
        self.assertFalse(Partner.search([("name", "=", "Self-made VIP")]))

    def test_refusal_in_user_language(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(
            ["wms_customer_profile"], ["zh_CN"], overwrite=True
        )
        customer = self.other_customer.with_user(self.contact_creator).with_context(
            lang="zh_CN"
        )
        with self.assertRaisesRegex(
            AccessError, "只有客户服务用户才能修改以下字段：客户等级和客户经理。"
        ):
            customer.write(
                {
                    "wms_tier_id": self.tier_vip.id,
                    "wms_account_manager_id": self.cc_user.id,
                }
            )
        with self.assertRaisesRegex(
            AccessError, "只有客户服务经理才能修改以下字段：等级已锁定。"
        ):
            customer.write({"wms_tier_locked": True})

    def test_unchanged_values_pass(self):
        """A form or an import that sends the current values back (empty ones
        when creating) changes nothing, and passes."""
        customer = self.customer.with_user(self.contact_creator)
        customer.write(
            {
                "wms_tier_id": self.tier_vip.id,
                "wms_tier_locked": True,
                "wms_account_manager_id": self.cc_user.id,
                "phone": "+86 21 5555 0100",
            }
        )
        self.assertEqual(self.customer.phone, "+86 21 5555 0100")
        # the company and its contacts hold the same values
        (customer | self.customer_contact).write({"wms_tier_id": self.tier_vip.id})
        partner = (
            self.env["res.partner"]
            .with_user(self.contact_creator)
            .create(
                {
                    "name": "Plain Customer",
                    "wms_tier_id": False,
                    "wms_tier_locked": False,
                    "wms_account_manager_id": False,
                }
            )
        )
        self.assertFalse(partner.wms_tier_id)
        self._assert_vip_unchanged()

    def test_contact_creation_works_with_vip_customers(self):
        """Odoo's own contact syncing copies the three fields as superuser:
        contacts are created, moved and edited as before."""
        Partner = self.env["res.partner"].with_user(self.contact_creator)
        with Form(Partner) as form:
            form.name = "Acme Night Desk"
            form.parent_id = self.customer
        contact = form.record
        self._assert_vip_unchanged(contact)
        with Form(self.customer.with_user(self.contact_creator)) as form:
            form.phone = "+86 21 5555 0100"
            form.email = "care@acme.example.com"
        self.assertEqual(self.customer.phone, "+86 21 5555 0100")
        # an existing contact moved under the VIP company takes its values
        loner = Partner.create({"name": "Freelance Buyer"})
        with Form(loner) as form:
            form.parent_id = self.customer
        self._assert_vip_unchanged(loner)
        # a new company for a contact (the "Create company" button)
        person = Partner.create({"name": "Lone Trader", "company_name": "Trader Co"})
        person.create_company()
        self.assertTrue(person.parent_id)
        # contacts created with their company in one go
        Partner.create(
            {
                "name": "Initech",
                "is_company": True,
                "child_ids": [Command.create({"name": "Initech Front Desk"})],
            }
        )
        # a Customer Care user changes the company: contacts follow
        self.customer.with_user(self.cc_user).wms_tier_id = self.tier_core
        self.assertEqual(contact.wms_tier_id, self.tier_core)
        self.assertEqual(loner.wms_tier_id, self.tier_core)

    def test_contact_creation_import(self):
        """Import goes through create and write: a changed value is refused,
        an unchanged one passes (re-importing an export)."""
        Partner = self.env["res.partner"].with_user(self.contact_creator)
        fields = [".id", "phone", "wms_tier_id/.id", "wms_tier_locked"]
        result = Partner.load(
            fields,
            [[str(self.customer.id), "+86 21 5555 0100", str(self.tier_vip.id), "1"]],
        )
        self.assertEqual(result["ids"], self.customer.ids, result["messages"])
        self.assertEqual(self.customer.phone, "+86 21 5555 0100")
        for fields, row in (
            (
                [".id", "wms_tier_id/.id"],
                [str(self.customer.id), str(self.tier_normal.id)],
            ),
            ([".id", "wms_tier_locked"], [str(self.customer.id), "0"]),
            ([".id", "wms_account_manager_id/.id"], [str(self.customer.id), ""]),
            (["name", "wms_tier_id/.id"], ["Imported VIP", str(self.tier_vip.id)]),
            (["name", "wms_tier_locked"], ["Imported Lock", "1"]),
        ):
            with self.subTest(fields=fields):
                result = Partner.load(fields, [row])
                self.assertFalse(result["ids"])
                [message] = result["messages"]
                self.assertEqual(message["type"], "error")
                self.assertIn("Only Customer Care", message["message"])
        self._assert_vip_unchanged()
        self.assertFalse(Partner.search([("name", "like", "Imported")]))

    def test_customer_care_users_set_tiers_managers_lock_them(self):
        customer = self.customer.with_user(self.cc_user)
        customer.write(
            {
                "wms_tier_id": self.tier_core.id,
                "wms_account_manager_id": self.cc_manager.id,
                "wms_preferred_channel": "email",
                "wms_service_notes": "Call before 10:00.",
            }
        )
        self.assertEqual(self.customer_contact.wms_tier_id, self.tier_core)
        with self.assertRaisesRegex(AccessError, "Only Customer Care managers"):
            customer.write({"wms_tier_locked": False})
        with self.assertRaises(AccessError):
            self.env["res.partner"].with_user(self.cc_user).create(
                {"name": "Locked", "wms_tier_locked": True}
            )
        created = (
            self.env["res.partner"]
            .with_user(self.cc_user)
            .create(
                {
                    "name": "Umbrella Corp",
                    "is_company": True,
                    "wms_tier_id": self.tier_vip.id,
                    "wms_tier_locked": False,
                }
            )
        )
        self.assertEqual(created.wms_tier_id, self.tier_vip)
        self.customer.with_user(self.cc_manager).wms_tier_locked = False
        self.assertFalse(self.customer.wms_tier_locked)

    def test_customer_care_user_form(self):
        """The lock is read-only for users; the form saves their edits."""
        with Form(self.customer.with_user(self.cc_user)) as form:
            form.wms_tier_id = self.tier_core
            form.wms_service_notes = "Deliver at gate 2."
            self.assertTrue(form._get_modifier("wms_tier_locked", "readonly"))
        self.assertEqual(self.customer.wms_tier_id, self.tier_core)
        with Form(self.customer.with_user(self.cc_manager)) as form:
            self.assertFalse(form._get_modifier("wms_tier_locked", "readonly"))
            form.wms_tier_locked = False
        self.assertFalse(self.customer.wms_tier_locked)

    def test_customer_care_users_are_not_contact_creators(self):
        """Customer Care users edit and create customers with rights of their
        own (not Contact Creation): they cannot delete contacts."""
        group = self.env.ref(USER_GROUP)
        partner_manager = self.env.ref("base.group_partner_manager")
        self.assertNotIn(partner_manager, group.all_implied_ids)
        self.assertFalse(self.cc_user.has_group("base.group_partner_manager"))
        Partner = self.env["res.partner"].with_user(self.cc_user)
        self.assertTrue(Partner.has_access("write"))
        self.assertTrue(Partner.has_access("create"))
        with self.assertRaises(AccessError):
            self.other_customer.with_user(self.cc_user).unlink()

    def test_user_reads_tiers_but_cannot_change_them(self):
        Tier = self.Tier.with_user(self.cc_user)
        self.assertEqual(
            Tier.browse(self.tier_vip.id).read(["name", "code"])[0]["code"], "vip"
        )
        with self.assertRaises(AccessError):
            Tier.create({"name": "Platinum", "code": "platinum"})
        with self.assertRaises(AccessError):
            Tier.browse(self.tier_vip.id).write({"name": "Very Important"})
        with self.assertRaises(AccessError):
            Tier.browse(self.tier_normal.id).unlink()

    def test_manager_manages_tiers(self):
        Tier = self.Tier.with_user(self.cc_manager)
        tier = Tier.create({"name": "Platinum", "code": "platinum"})
        tier.write({"picking_priority": "1"})
        tier.unlink()
        self.assertFalse(tier.exists())

    def test_stock_user_reads_tiers(self):
        tiers = self.Tier.with_user(self.stock_user).search([])
        self.assertIn(self.tier_vip, tiers)
        with self.assertRaises(AccessError):
            tiers[:1].write({"name": "X"})

    def test_credit_rating_is_for_managers(self):
        self.customer.wms_credit_rating = "b"
        as_user = self.customer.with_user(self.cc_user)
        with self.assertRaises(AccessError):
            as_user.read(["wms_credit_rating"])
        with self.assertRaises(AccessError):
            as_user.write({"wms_credit_rating": "a"})
        # the rest of the profile stays readable
        self.assertEqual(
            as_user.read(["wms_tier_id"])[0]["wms_tier_id"][0], self.tier_vip.id
        )
        as_manager = self.customer.with_user(self.cc_manager)
        self.assertEqual(as_manager.wms_credit_rating, "b")
        as_manager.write({"wms_credit_rating": "d"})
        self.assertEqual(self.customer.wms_credit_rating, "d")
        # hidden from the form of non-managers
        arch = as_user.get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertNotIn('name="wms_credit_rating"', arch)
        arch = as_manager.get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn('name="wms_credit_rating"', arch)

    def test_kpis_are_read_only(self):
        self._deliver(self.customer)
        kpi = self._kpi(self.customer)
        for user in (self.cc_user, self.cc_manager, self.stock_user):
            self.assertEqual(kpi.with_user(user).delivery_count, 1)
            with self.assertRaises(AccessError):
                kpi.with_user(user).write({"delivery_count": 99})

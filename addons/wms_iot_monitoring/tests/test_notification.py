# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import re
from datetime import timedelta

from odoo.tests import tagged
from odoo.tests.common import freeze_time

from .common import NOW, WmsIotCase

# readings of these scenarios end shortly before NOW, so that the watch
# cron, which sends pending notifications, sees no offline sensor
BASE = NOW - timedelta(minutes=20)
CHINESE = re.compile(r"[\u4e00-\u9fff]")


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestAffectedCustomers(WmsIotCase):
    """Customers are the sensor's partner, else the owners of positive
    quants in its location and the children of that location."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.product = cls.env["product.product"].create(
            {"name": "Vaccine carton", "is_storable": True}
        )
        Partner = cls.env["res.partner"]
        cls.owner_room = Partner.create({"name": "Owner in the room"})
        cls.owner_shelf = Partner.create({"name": "Owner on the shelf"})
        cls.owner_empty = Partner.create({"name": "Owner with nothing left"})
        cls.owner_negative = Partner.create({"name": "Owner in the red"})
        cls.owner_elsewhere = Partner.create({"name": "Owner elsewhere"})
        Quant = cls.env["stock.quant"]
        Quant._update_available_quantity(
            cls.product, cls.cold_room, 10, owner_id=cls.owner_room
        )
        Quant._update_available_quantity(
            cls.product, cls.cold_shelf, 4, owner_id=cls.owner_shelf
        )
        Quant._update_available_quantity(
            cls.product, cls.cold_room, 3, owner_id=cls.owner_empty
        )
        Quant._update_available_quantity(
            cls.product, cls.cold_room, -3, owner_id=cls.owner_empty
        )
        Quant._update_available_quantity(
            cls.product, cls.cold_shelf, -2, owner_id=cls.owner_negative
        )
        Quant._update_available_quantity(
            cls.product, cls.other_room, 7, owner_id=cls.owner_elsewhere
        )

    def test_owners_of_positive_quants_in_the_location_and_children(self):
        self.assertEqual(
            self.sensor_now.affected_partner_ids, self.owner_room | self.owner_shelf
        )

    def test_sensor_partner_wins(self):
        self.sensor_now.partner_id = self.customer
        self.assertEqual(self.sensor_now.affected_partner_ids, self.customer)

    def test_sensor_on_a_child_location(self):
        sensor = self._sensor("SHELF-01", self.profile_now, location=self.cold_shelf)
        self.assertEqual(sensor.affected_partner_ids, self.owner_shelf)

    def test_alert_keeps_the_customers_at_opening(self):
        self._ingest(self.sensor_now, [(0, 9.0)], base=BASE)
        alert = self._alerts(self.sensor_now)
        self.assertEqual(alert.partner_ids, self.owner_room | self.owner_shelf)
        # stock moving out later does not rewrite who was affected
        self.env["stock.quant"]._update_available_quantity(
            self.product, self.cold_room, -10, owner_id=self.owner_room
        )
        self.sensor_now.invalidate_recordset(["affected_partner_ids"])
        self.assertEqual(self.sensor_now.affected_partner_ids, self.owner_shelf)
        self.assertEqual(alert.partner_ids, self.owner_room | self.owner_shelf)


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestAlarmNotification(WmsIotCase):
    """At alarm level, once per alert: a ticket, a mail to each affected
    customer in their language and timezone, an activity for their
    account manager."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sensor_now.partner_id = cls.customer
        cls.type_temperature = cls.env.ref(
            "wms_service_tickets.exception_type_temperature_excursion"
        )

    def _watch(self):
        """Pending notifications go at the latest with the next watch."""
        self.Alert._cron_wms_iot_watch()

    def test_alarm_opens_one_ticket_and_one_mail(self):
        self._ingest(self.sensor_now, [(0, 8.5), (5, 9.0)], base=BASE)
        self._watch()
        alert = self._alerts(self.sensor_now)
        self.assertEqual(len(alert), 1)
        ticket = alert.ticket_id
        self.assertTrue(ticket, "an alarm opens a ticket")
        self.assertEqual(self._exception_tickets(alert), ticket)
        self.assertEqual(ticket.wms_exception_type_id, self.type_temperature)
        self.assertEqual(ticket.partner_id, self.customer)
        mails = self._customer_messages(alert, self.customer)
        self.assertEqual(len(mails), 1, "the customer is told once")
        self.assertTrue(alert.customer_notified_date)
        notified = alert.customer_notified_date
        activity = self.env["mail.activity"].search(
            [("user_id", "=", self.account_manager.id)]
        )
        self.assertEqual(len(activity), 1, "the account manager gets an activity")
        # on a record the account manager (Customer Care, no IoT group) opens
        self.env[activity.res_model].browse(activity.res_id).with_user(
            self.account_manager
        ).check_access("read")
        # the customer gets an email, and only the customer
        self.assertEqual(
            mails.notification_ids.filtered(
                lambda n: n.notification_type == "email"
            ).res_partner_id,
            self.customer,
        )
        # the alarm goes on: no second ticket, no second mail
        self._ingest(self.sensor_now, [(10, 9.5), (15, 10.0)], base=BASE)
        self._watch()
        self.assertEqual(self._alerts(self.sensor_now), alert)
        self.assertEqual(self._exception_tickets(alert), ticket)
        self.assertEqual(len(self._customer_messages(alert, self.customer)), 1)
        self.assertEqual(alert.customer_notified_date, notified)
        self.assertEqual(
            len(
                self.env["mail.activity"].search(
                    [("user_id", "=", self.account_manager.id)]
                )
            ),
            len(activity),
        )

    def test_alarm_end_is_posted_on_the_ticket(self):
        self._ingest(self.sensor_now, [(0, 9.0)], base=BASE)
        self._watch()
        alert = self._alerts(self.sensor_now)
        ticket = alert.ticket_id
        before = ticket.message_ids
        self._ingest(self.sensor_now, [(10, 5.0)], base=BASE)
        self.assertFalse(alert.is_ongoing)
        self.assertTrue(ticket.message_ids - before, "the end is on the ticket")
        self.assertEqual(self._exception_tickets(alert), ticket)

    def test_warning_tells_nobody(self):
        self._ingest(self.sensor_now, [(0, 7.5), (5, 7.6)], base=BASE)
        self._watch()
        alert = self._alerts(self.sensor_now)
        self.assertEqual(alert.level, "warning")
        self.assertFalse(alert.ticket_id)
        self.assertFalse(self._exception_tickets(alert))
        self.assertFalse(self._customer_messages(alert, self.customer))
        self.assertFalse(alert.customer_notified_date)

    def test_mail_in_the_customer_timezone(self):
        # the excursion starts at 07:47 UTC, 08:47 in Brussels
        self._ingest(self.sensor_now, [(7, 9.0)], base=BASE)
        self._watch()
        alert = self._alerts(self.sensor_now)
        mail = self._customer_messages(alert, self.customer)
        self.assertEqual(len(mail), 1)
        body = str(mail.body)
        self.assertRegex(body, r"(?<!\d)0?8:47", "Brussels time")
        self.assertNotRegex(body, r"(?<!\d)0?7:47", "not UTC")
        self.assertIn(self.sensor_now.name, body)
        self.assertFalse(CHINESE.search(body), "an English mail")

    def _chinese_customer(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        chinese = self.env["res.partner"].create(
            {
                "name": "Shanghai Biotech",
                "email": "qa@shanghai-biotech.example.com",
                "lang": "zh_CN",
                "tz": "Asia/Shanghai",
            }
        )
        product = self.env["product.product"].create(
            {"name": "Insulin carton", "is_storable": True}
        )
        self.env["stock.quant"]._update_available_quantity(
            product, self.cold_room, 5, owner_id=chinese
        )
        self.env["stock.quant"]._update_available_quantity(
            product, self.cold_room, 5, owner_id=self.customer
        )
        self.sensor_now.partner_id = False
        return chinese

    def test_mail_to_every_affected_customer_in_their_language(self):
        """Each customer gets the template in their language and timezone
        (the translation set here; the shipped one is tested below)."""
        chinese = self._chinese_customer()
        template = self.env.ref("wms_iot_monitoring.mail_template_excursion")
        body_zh = template.body_html.replace("Hello,", "您好，")
        template.update_field_translations("body_html", {"zh_CN": body_zh})
        # the excursion starts at 07:47 UTC, 15:47 in Shanghai
        self._ingest(self.sensor_now, [(7, 9.0)], base=BASE)
        self._watch()
        alert = self._alerts(self.sensor_now)
        self.assertEqual(alert.partner_ids, chinese | self.customer)
        mail_zh = self._customer_messages(alert, chinese)
        mail_en = self._customer_messages(alert, self.customer)
        self.assertEqual(len(mail_zh), 1)
        self.assertEqual(len(mail_en), 1)
        self.assertNotEqual(mail_zh, mail_en, "one mail per customer")
        self.assertNotIn(self.customer, mail_zh.partner_ids, "no cross-copy")
        self.assertNotIn(chinese, mail_en.partner_ids, "no cross-copy")
        self.assertIn("您好", str(mail_zh.body))
        self.assertRegex(str(mail_zh.body), r"(?<!\d)15:47")
        self.assertNotIn("您好", str(mail_en.body))
        self.assertIn("Hello", str(mail_en.body))
        self.assertRegex(str(mail_en.body), r"(?<!\d)0?8:47")
        # still one ticket for the alert
        self.assertEqual(len(self._exception_tickets(alert)), 1)

    def test_shipped_chinese_mail(self):
        """zh_CN is complete, mails included: the module's own terms."""
        chinese = self._chinese_customer()
        self.env["ir.module.module"]._load_module_terms(
            ["mail", "wms_iot_monitoring"], ["zh_CN"], overwrite=True
        )
        self._ingest(self.sensor_now, [(7, 9.0)], base=BASE)
        self._watch()
        alert = self._alerts(self.sensor_now)
        mail_zh = self._customer_messages(alert, chinese)
        self.assertEqual(len(mail_zh), 1)
        self.assertTrue(CHINESE.search(str(mail_zh.subject)), mail_zh.subject)
        body = str(mail_zh.body)
        self.assertTrue(CHINESE.search(body), body)
        # no English sentence of the template left in the Chinese mail
        for english in ("Hello", "Out of range since", "account manager"):
            self.assertNotIn(english, body)
        self.assertRegex(body, r"(?<!\d)15:47")
        mail_en = self._customer_messages(alert, self.customer)
        self.assertFalse(CHINESE.search(str(mail_en.body)))

    def test_calibration_tells_nobody(self):
        self.sensor_now.state = "calibration"
        self._ingest(self.sensor_now, [(0, 9.0), (10, 9.0)], base=BASE)
        self._watch()
        self.assertFalse(self._alerts(self.sensor_now))
        self.assertFalse(
            self.env["mail.activity"].search(
                [("user_id", "=", self.account_manager.id)]
            )
        )
        self.assertEqual(self.sensor_now.last_reading_date, self._dt(10, base=BASE))

# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import timedelta

from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged
from odoo.tests.common import freeze_time

from .common import NOW, WmsIotCase


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestAcknowledge(WmsIotCase):
    """Acknowledging needs a comment and leaves who and when; the wizard
    checks the user's password every time."""

    def setUp(self):
        super().setUp()
        self._ingest(self.sensor_now, [(50, 9.0)])
        self.alert = self._alerts(self.sensor_now)
        self.assertEqual(len(self.alert), 1)

    def test_comment_required(self):
        alert = self.alert.with_user(self.iot_user)
        for comment in ("", "   ", False, None):
            with self.assertRaises(UserError):
                alert.action_wms_acknowledge(comment)
        self.assertFalse(self.alert.acknowledged)
        self.assertFalse(self.alert.ack_user_id)

    def test_acknowledge_records_who_and_when(self):
        with freeze_time(NOW + timedelta(minutes=7)):
            self.alert.with_user(self.iot_user).action_wms_acknowledge(
                "Door left open during loading; closed."
            )
        self.assertTrue(self.alert.acknowledged)
        self.assertEqual(self.alert.ack_user_id, self.iot_user)
        self.assertEqual(self.alert.ack_date, NOW + timedelta(minutes=7))
        self.assertEqual(
            self.alert.ack_comment, "Door left open during loading; closed."
        )
        # the alarm itself goes on until the readings say otherwise
        self.assertTrue(self.alert.is_ongoing)
        # once only
        with self.assertRaises(UserError):
            self.alert.with_user(self.iot_manager).action_wms_acknowledge("Again")
        self.assertEqual(self.alert.ack_user_id, self.iot_user)

    def test_acknowledgement_is_in_the_chatter(self):
        before = self.alert.message_ids
        self.alert.with_user(self.iot_user).action_wms_acknowledge("Checked the room")
        self._flush_tracking()
        new = self.alert.message_ids - before
        self.assertIn("Checked the room", " ".join(str(m.body) for m in new))
        self.assertEqual(new[:1].author_id, self.iot_user.partner_id)
        tracked = new.tracking_value_ids.filtered(
            lambda value: value.field_id.name == "ack_user_id"
        )
        self.assertEqual(tracked.new_value_integer, self.iot_user.id)

    def test_ack_fields_cannot_be_forged(self):
        with self.assertRaises(AccessError):
            self.alert.with_user(self.iot_user).write(
                {"acknowledged": True, "ack_user_id": self.iot_manager.id}
            )
        self.assertFalse(self.alert.acknowledged)

    def test_stock_user_without_iot_group_cannot(self):
        with self.assertRaises(AccessError):
            self.alert.with_user(self.stock_user).action_wms_acknowledge("Me")
        self.assertFalse(self.alert.acknowledged)

    def _wizard(self, user, password, comment="Compressor restarted"):
        action = self.alert.with_user(user).action_open_acknowledge_wizard()
        self.assertEqual(action["res_model"], "wms.iot.alert.ack")
        return (
            self.env["wms.iot.alert.ack"]
            .with_user(user)
            .with_context(**(action.get("context") or {}))
            .create(
                {
                    "alert_ids": [(6, 0, self.alert.ids)],
                    "comment": comment,
                    "password": password,
                }
            )
        )

    def test_wizard_refuses_a_wrong_password(self):
        wizard = self._wizard(self.iot_user, "not-my-password")
        with self.assertRaises(UserError):  # AccessDenied is one
            wizard.action_confirm()
        self.assertFalse(self.alert.acknowledged)
        wizard = self._wizard(self.iot_user, "")
        with self.assertRaises(UserError):  # AccessDenied is one
            wizard.action_confirm()
        self.assertFalse(self.alert.acknowledged)
        # another user's password is not this user's signature
        wizard = self._wizard(self.iot_user, "wms_iot_manager_pw")
        with self.assertRaises(UserError):  # AccessDenied is one
            wizard.action_confirm()
        self.assertFalse(self.alert.acknowledged)

    def test_wizard_with_the_password(self):
        wizard = self._wizard(self.iot_user, "wms_iot_user_pw")
        wizard.action_confirm()
        self.assertTrue(self.alert.acknowledged)
        self.assertEqual(self.alert.ack_user_id, self.iot_user)
        self.assertEqual(self.alert.ack_comment, "Compressor restarted")

    def test_wizard_as_the_web_client_uses_it(self):
        """The dialog opens on the alert, the button sends the password in
        its context, in a request of its own."""
        action = self.alert.with_user(self.iot_user).action_open_acknowledge_wizard()
        form = Form(
            self.env["wms.iot.alert.ack"]
            .with_user(self.iot_user)
            .with_context(**action["context"])
        )
        self.assertEqual(form.alert_ids[:], self.alert)
        form.comment = "Probe moved back into the room"
        form.password = "wms_iot_user_pw"
        wizard = form.save()
        self.assertFalse(wizard._fields["password"].store, "never in the database")
        self.env.invalidate_all()
        with self.assertRaises(UserError):
            wizard.with_context(password="wrong-password").action_confirm()
        self.assertFalse(self.alert.acknowledged)
        self.env.invalidate_all()
        wizard.with_context(password="wms_iot_user_pw").action_confirm()
        self.assertTrue(self.alert.acknowledged)
        self.assertEqual(self.alert.ack_comment, "Probe moved back into the room")

    def test_wizard_signs_every_time(self):
        """A right password once does not sign the next acknowledgement."""
        self._wizard(self.iot_user, "wms_iot_user_pw").action_confirm()
        self._ingest(self.sensor, [(0, 9.0), (20, 9.0)])
        second = self._alerts(self.sensor)
        self.assertTrue(second)
        wizard = (
            self.env["wms.iot.alert.ack"]
            .with_user(self.iot_user)
            .create({"alert_ids": [(6, 0, second.ids)], "comment": "Again"})
        )
        with self.assertRaises(UserError):
            wizard.action_confirm()
        self.assertFalse(second.acknowledged)

    def test_wizard_still_needs_a_comment(self):
        wizard = self._wizard(self.iot_user, "wms_iot_user_pw", comment=" ")
        with self.assertRaises(UserError):
            wizard.action_confirm()
        self.assertFalse(self.alert.acknowledged)

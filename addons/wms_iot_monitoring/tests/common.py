# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import datetime, timedelta

from odoo import Command
from odoo.tests import new_test_user
from odoo.tests.common import TransactionCase

IOT_USER = "wms_iot_monitoring.group_iot_user"
IOT_MANAGER = "wms_iot_monitoring.group_iot_manager"
CC_USER = "wms_customer_profile.wms_customer_profile_group_user"

# the tests' "now": readings are sent in device time relative to it
NOW = datetime(2026, 12, 1, 8, 0, 0)
# the first reading of a scenario, one hour before NOW
T0 = NOW - timedelta(hours=1)


class WmsIotCase(TransactionCase):
    """A cold room with a 2-8 °C sensor, a gateway, IoT users, customers.

    Scenarios send readings in device time (``T0`` + minutes) through the
    ingest engine, the way the endpoint does, with the clock frozen at
    ``NOW`` unless a test moves it.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # the ingest and the watch run on cursors of their own (READ
        # COMMITTED): in tests they must wrap the test's cursor, as HttpCase
        # does, or they would not see the test's data and would commit
        if not getattr(cls, "registry_test_mode", False):
            cls.registry_enter_test_mode_cls()
        cls.company = cls.env.company
        cls.Profile = cls.env["wms.iot.profile"]
        cls.Gateway = cls.env["wms.iot.gateway"]
        cls.Sensor = cls.env["wms.iot.sensor"]
        cls.Reading = cls.env["wms.iot.reading"]
        cls.Hourly = cls.env["wms.iot.reading.hourly"]
        cls.Alert = cls.env["wms.iot.alert"]
        cls.Ticket = cls.env["helpdesk.ticket"]
        cls.warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.company.id)], limit=1
        )
        cls.stock_location = cls.warehouse.lot_stock_id
        cls.cold_room = cls.env["stock.location"].create(
            {"name": "Cold room A", "location_id": cls.stock_location.id}
        )
        cls.cold_shelf = cls.env["stock.location"].create(
            {"name": "Shelf 1", "location_id": cls.cold_room.id}
        )
        cls.other_room = cls.env["stock.location"].create(
            {"name": "Ambient room", "location_id": cls.stock_location.id}
        )
        cls.iot_manager = new_test_user(
            cls.env,
            login="wms_iot_manager",
            password="wms_iot_manager_pw",
            groups=f"base.group_user,{IOT_MANAGER}",
        )
        cls.iot_user = new_test_user(
            cls.env,
            login="wms_iot_user",
            password="wms_iot_user_pw",
            groups=f"base.group_user,{IOT_USER}",
        )
        cls.stock_user = new_test_user(
            cls.env, login="wms_iot_stock_user", groups="stock.group_stock_user"
        )
        cls.account_manager = new_test_user(
            cls.env,
            login="wms_iot_account_manager",
            groups=f"base.group_user,{CC_USER}",
        )
        cls.customer = cls.env["res.partner"].create(
            {
                "name": "Nordic Pharma",
                "is_company": True,
                "email": "qa@nordic-pharma.example.com",
                "lang": "en_US",
                "tz": "Europe/Brussels",
                "wms_account_manager_id": cls.account_manager.id,
            }
        )
        # Pharma 2-8 °C with a warning band 3-7 °C and a 15 min delay
        cls.profile = cls._profile(
            "Test pharma 2-8",
            {
                ("temperature", "warning", "low"): 3.0,
                ("temperature", "warning", "high"): 7.0,
                ("temperature", "alarm", "low"): 2.0,
                ("temperature", "alarm", "high"): 8.0,
            },
            alarm_delay_minutes=15,
            hysteresis_temp=0.5,
        )
        # the same limits without a delay: one reading out opens an alert
        cls.profile_now = cls._profile(
            "Test pharma 2-8 immediate",
            {
                ("temperature", "warning", "low"): 3.0,
                ("temperature", "warning", "high"): 7.0,
                ("temperature", "alarm", "low"): 2.0,
                ("temperature", "alarm", "high"): 8.0,
                ("humidity", "alarm", "high"): 70.0,
            },
            hysteresis_temp=0.5,
            hysteresis_hum=2.0,
        )
        cls.gateway = cls.Gateway.create({"name": "Cold room gateway"})
        cls.other_gateway = cls.Gateway.create({"name": "Dock gateway"})
        cls.sensor = cls._sensor("CR-A-01", cls.profile)
        cls.sensor_now = cls._sensor("CR-A-02", cls.profile_now, measures="both")

    # ------------------------------------------------------------------
    @classmethod
    def _profile(cls, name, limits, **vals):
        """A profile; ``limits`` maps (measure, level, direction) to a value."""
        return cls.env["wms.iot.profile"].create(
            {
                "name": name,
                "limit_ids": [
                    Command.create(
                        {
                            "measure": measure,
                            "level": level,
                            "direction": direction,
                            "value": value,
                        }
                    )
                    for (measure, level, direction), value in limits.items()
                ],
                **vals,
            }
        )

    @classmethod
    def _sensor(cls, serial, profile, gateway=None, location=None, **vals):
        values = {
            "name": f"Sensor {serial}",
            "serial": serial,
            "gateway_id": (gateway or cls.gateway).id,
            "measures": "temperature",
            "location_id": (location or cls.cold_room).id,
            "profile_id": profile.id,
        }
        values.update(vals)
        return cls.env["wms.iot.sensor"].create(values)

    @classmethod
    def _company_b_manager(cls):
        """Another company, ``cls.company_b``, and an IoT Manager of it
        only, ``cls.manager_b``."""
        cls.company_b = cls.env["res.company"].create({"name": "IoT Company B"})
        cls.manager_b = new_test_user(
            cls.env,
            login="wms_iot_manager_b",
            groups=f"base.group_user,{IOT_MANAGER}",
            company_id=cls.company_b.id,
            company_ids=[Command.set(cls.company_b.ids)],
        )

    @classmethod
    def _company_sensor(cls, company, serial="B-01", **vals):
        """A sensor of ``profile_now`` in ``company``'s stock, on a gateway
        of that company (``sensor.gateway_id``)."""
        gateway = cls.env["wms.iot.gateway"].create(
            {"name": "B", "company_id": company.id}
        )
        location = (
            cls.env["stock.warehouse"]
            .search([("company_id", "=", company.id)], limit=1)
            .lot_stock_id
        )
        vals.setdefault("name", "B sensor")
        return cls._sensor(
            serial,
            cls.profile_now,
            gateway=gateway,
            location=location,
            company_id=company.id,
            **vals,
        )

    @staticmethod
    def _dt(minutes, base=T0):
        """The naive UTC datetime ``minutes`` after ``base``."""
        return base + timedelta(minutes=minutes)

    @classmethod
    def _ts(cls, minutes, base=T0):
        """ISO 8601 with an offset, as a gateway sends it."""
        return cls._dt(minutes, base).isoformat() + "+00:00"

    @classmethod
    def _item(cls, sensor, minutes, temperature=None, humidity=None, base=T0):
        item = {"sensor": sensor.serial, "ts": cls._ts(minutes, base)}
        if temperature is not None:
            item["temperature"] = temperature
        if humidity is not None:
            item["humidity"] = humidity
        return item

    def _ingest(self, sensor, points, gateway=None, base=T0):
        """Send ``points`` [(minutes, temperature)] or
        [(minutes, temperature, humidity)] of ``sensor`` in one batch."""
        items = [
            self._item(sensor, point[0], *point[1:], base=base) for point in points
        ]
        return self.Reading._wms_ingest_items(items, gateway=gateway)

    def _alerts(self, sensor, **domain):
        return self.Alert.search(
            [("sensor_id", "=", sensor.id)]
            + [(key, "=", value) for key, value in domain.items()],
            order="id",
        )

    def _readings(self, sensor):
        self.env.flush_all()
        return self.Reading.search([("sensor_id", "=", sensor.id)], order="ts")

    def _flush_tracking(self):
        """Tracking values are written at flush, before commit."""
        self.env.flush_all()
        self.env.cr.precommit.run()

    def _customer_messages(self, alert, partner):
        """Messages of ``alert`` addressed to ``partner``, whether posted
        with recipients or sent from a template."""
        self.env.flush_all()
        return self.env["mail.message"].search(
            [
                ("model", "=", alert._name),
                ("res_id", "=", alert.id),
                "|",
                "|",
                ("partner_ids", "in", partner.ids),
                ("notification_ids.res_partner_id", "in", partner.ids),
                ("mail_ids.recipient_ids", "in", partner.ids),
            ]
        )

    def _exception_tickets(self, alert):
        return self.Ticket.search(
            [
                ("wms_source_model", "=", "wms.iot.alert"),
                ("wms_source_id", "=", alert.id),
            ]
        )

    def _activities(self, record, user=None):
        domain = [("res_model", "=", record._name), ("res_id", "in", record.ids)]
        if user is not None:
            domain.append(("user_id", "=", user.id))
        return self.env["mail.activity"].search(domain)

# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

SENSOR_MEASURES = [
    ("temperature", "Temperature"),
    ("humidity", "Humidity"),
    ("both", "Temperature and Humidity"),
]
SENSOR_STATES = [
    ("active", "Active"),
    ("calibration", "Calibration"),
    ("retired", "Retired"),
]
SENSOR_STATUSES = [
    ("ok", "OK"),
    ("warning", "Warning"),
    ("alarm", "Alarm"),
    ("offline", "Offline"),
]
# kept up to date by the ingest and the watch, never by a user
SERVER_FIELDS = frozenset(
    {"last_reading_date", "last_temperature", "last_humidity", "status"}
)


class WmsIotSensor(models.Model):
    _name = "wms.iot.sensor"
    _description = "Cold-Chain Sensor"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "name, id"
    _check_company_auto = True

    name = fields.Char(required=True, tracking=True)
    serial = fields.Char(
        required=True,
        tracking=True,
        help="The identifier the gateway sends with each reading.",
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )
    gateway_id = fields.Many2one(
        "wms.iot.gateway",
        required=True,
        index=True,
        check_company=True,
        tracking=True,
        ondelete="restrict",
    )
    measures = fields.Selection(
        SENSOR_MEASURES, required=True, default="temperature", tracking=True
    )
    location_id = fields.Many2one(
        "stock.location",
        required=True,
        check_company=True,
        tracking=True,
        domain="[('usage', '=', 'internal')]",
    )
    profile_id = fields.Many2one(
        "wms.iot.profile",
        "Profile",
        required=True,
        check_company=True,
        tracking=True,
        ondelete="restrict",
    )
    partner_id = fields.Many2one(
        "res.partner",
        "Customer",
        check_company=True,
        tracking=True,
        help="The customer whose goods this sensor watches. Empty: the owners "
        "of the stock in its location.",
    )
    state = fields.Selection(
        SENSOR_STATES,
        required=True,
        default="active",
        tracking=True,
        help="Calibration: readings are stored but raise no alert. Retired: "
        "readings are refused.",
    )
    active = fields.Boolean(default=True)
    last_reading_date = fields.Datetime(readonly=True)
    last_temperature = fields.Float(readonly=True, digits=(16, 2))
    last_humidity = fields.Float(readonly=True, digits=(16, 1))
    status = fields.Selection(
        SENSOR_STATUSES, required=True, default="ok", readonly=True
    )
    alert_ids = fields.One2many("wms.iot.alert", "sensor_id", string="Alerts")
    alert_count = fields.Integer(compute="_compute_alert_count")
    open_alert_count = fields.Integer(compute="_compute_alert_count")
    affected_partner_ids = fields.Many2many(
        "res.partner",
        string="Affected Customers",
        compute="_compute_affected_partner_ids",
        help="The sensor's customer, else the owners of positive stock in its "
        "location and the locations inside it.",
    )

    _serial_uniq = models.Constraint(
        "UNIQUE(company_id, serial)", "A sensor serial is unique per company."
    )

    def init(self):
        # the alarm evaluation's state: no field, so no RPC reads or writes
        # it. Each batch updates its sensors' rows: room in each page keeps
        # those updates HOT (no index touched; no indexed column changes)
        self.env.cr.execute(
            SQL(
                """
                ALTER TABLE wms_iot_sensor
                    ADD COLUMN IF NOT EXISTS eval_ts timestamp,
                    ADD COLUMN IF NOT EXISTS eval_state jsonb,
                    ADD COLUMN IF NOT EXISTS seen_at timestamp;
                ALTER TABLE wms_iot_sensor SET (fillfactor = 50)
                """
            )
        )

    def _compute_alert_count(self):
        alerts = self.env["wms.iot.alert"]
        counts = dict(
            alerts._read_group(
                [("sensor_id", "in", self.ids)], ["sensor_id"], ["__count"]
            )
        )
        open_counts = dict(
            alerts._read_group(
                [("sensor_id", "in", self.ids), ("is_ongoing", "=", True)],
                ["sensor_id"],
                ["__count"],
            )
        )
        for sensor in self:
            sensor.alert_count = counts.get(sensor, 0)
            sensor.open_alert_count = open_counts.get(sensor, 0)

    @api.depends("partner_id", "location_id")
    def _compute_affected_partner_ids(self):
        affected = self._wms_affected_partners()
        for sensor in self:
            sensor.affected_partner_ids = affected.get(
                sensor.id, self.env["res.partner"]
            )

    def _wms_affected_partners(self):
        """{sensor id: customers} of the sensors: the sensor's customer, else
        the owners of positive quants in its location and below. One query
        for all the sensors without a customer."""
        Partner = self.env["res.partner"]
        result = {}
        by_location = defaultdict(list)
        for sensor in self:
            if sensor.partner_id:
                result[sensor.id] = sensor.partner_id
            elif sensor.location_id:
                by_location[sensor.location_id].append(sensor.id)
        if not by_location:
            return result
        # the stock may be another user's business: the owners of the goods
        # in a monitored location are who an excursion must reach
        Quant = self.env["stock.quant"].sudo()
        locations = self.env["stock.location"].browse([loc.id for loc in by_location])
        rows = Quant._read_group(
            [
                ("location_id", "child_of", locations.ids),
                ("quantity", ">", 0),
                ("owner_id", "!=", False),
            ],
            ["location_id", "owner_id"],
        )
        owners = defaultdict(set)
        for location, owner in rows:
            for monitored in by_location:
                if location.parent_path.startswith(monitored.sudo().parent_path):
                    owners[monitored].add(owner.id)
        for location, sensor_ids in by_location.items():
            for sensor_id in sensor_ids:
                result[sensor_id] = Partner.browse(sorted(owners[location]))
        return result

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_server_fields(vals)
        return super().create(vals_list)

    def write(self, vals):
        self._check_server_fields(vals)
        # put in calibration, retired or archived: monitoring stops
        leaving = (
            self.filtered(lambda s: s.state == "active" and s.active)
            if vals.get("state") in ("calibration", "retired")
            or ("active" in vals and not vals["active"])
            else self.browse()
        )
        result = super().write(vals)
        if leaving:
            leaving._wms_stop_monitoring()
        return result

    def _wms_stop_monitoring(self):
        """End the ongoing alerts of sensors put in calibration, retired or
        archived, and forget their alarm state: readings from now on raise
        nothing."""
        now = fields.Datetime.now()
        # the alerts are the system's: ending them is part of the state
        # change the user was allowed to make
        alerts = (
            self.env["wms.iot.alert"]
            .sudo()
            .search([("sensor_id", "in", self.ids), ("date_end", "=", False)])
        )
        for alert in alerts:
            alert.write(
                {
                    "date_end": now,
                    "duration_minutes": (now - alert.date_start).total_seconds() / 60,
                }
            )
            sensor = alert.sensor_id
            reason = (
                dict(self._fields["state"]._description_selection(self.env))[
                    sensor.state
                ]
                if sensor.state != "active"
                else self.env._("Archived")
            )
            alert.message_post(
                body=self.env._(
                    "Ended: the sensor stopped monitoring (%(reason)s).",
                    reason=reason,
                )
            )
        alerts.filtered(lambda a: a.level == "alarm")._wms_on_alarm_end()
        self.flush_recordset()
        self.env.cr.execute(
            SQL(
                "UPDATE wms_iot_sensor SET eval_state = NULL, status = 'ok' "
                "WHERE id IN %s",
                tuple(self.ids),
            )
        )
        self.invalidate_recordset(["status"])

    def _check_server_fields(self, vals):
        forbidden = SERVER_FIELDS.intersection(vals)
        if forbidden and not self.env.su:
            raise AccessError(
                self.env._(
                    "These sensor fields are set by the system only: %(fields)s",
                    fields=", ".join(sorted(forbidden)),
                )
            )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_alerts(self):
        if (
            self.env["wms.iot.alert"]
            .sudo()
            .search_count([("sensor_id", "in", self.ids)], limit=1)
        ):
            raise UserError(
                self.env._(
                    "A sensor with alerts cannot be deleted: its alerts are the "
                    "audit trail. Retire or archive it instead."
                )
            )

    def action_view_readings(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "wms_iot_monitoring.wms_iot_reading_action"
        )
        action["domain"] = [("sensor_id", "=", self.id)]
        action["context"] = {
            "default_sensor_id": self.id,
            "search_default_last_24h": 1,
        }
        action["display_name"] = self.env._("Readings of %(sensor)s", sensor=self.name)
        return action

    def action_view_alerts(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "wms_iot_monitoring.wms_iot_alert_action"
        )
        action["domain"] = [("sensor_id", "=", self.id)]
        action["context"] = {"search_default_sensor_id": self.id}
        return action

    def _wms_offline_cutoff(self, now):
        """The datetime before which an active sensor with this profile is
        offline, or None."""
        minutes = self.profile_id.offline_after_minutes
        return now - timedelta(minutes=minutes) if minutes else None

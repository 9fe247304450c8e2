# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import logging
import math
from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, format_datetime

from .wms_iot_profile import DIRECTIONS, MEASURES

_logger = logging.getLogger(__name__)

ALERT_LEVELS = [("warning", "Warning"), ("alarm", "Alarm"), ("offline", "Offline")]
DELTA_H_OVER_R = 10000.0  # K, USP <1160>
KELVIN = 273.15
ESCALATED_LEVELS = ("alarm", "offline")


def mean_kinetic_temperature(pairs):
    """Mean Kinetic Temperature (°C) of ``pairs`` (value in °C, weight),
    time-weighted, with ΔH/R = 10,000 K (USP <1160>); None without weight."""
    num = den = 0.0
    for value, weight in pairs:
        num += weight * math.exp(-DELTA_H_OVER_R / (value + KELVIN))
        den += weight
    return mkt_from_sums(num, den)


def mkt_from_sums(num, den):
    """MKT (°C) from the sums of wᵢ·exp(-ΔH/R/Tᵢ) and of wᵢ."""
    if den <= 0 or num <= 0:
        return None
    return DELTA_H_OVER_R / -math.log(num / den) - KELVIN


class WmsIotAlert(models.Model):
    """An excursion of one sensor's measure beyond a limit in one direction,
    or a communication loss (offline). Opened, raised and ended by the
    ingest and the watch; people acknowledge it."""

    _name = "wms.iot.alert"
    _description = "Cold-Chain Alert"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "is_ongoing desc, date_start desc, id desc"
    _check_company_auto = True

    # computed in the reader's language (a stored name would keep the
    # language of the ingest); searched through the sensor
    name = fields.Char(compute="_compute_name", search="_search_name")
    sensor_id = fields.Many2one(
        "wms.iot.sensor",
        required=True,
        index=True,
        readonly=True,
        # the alerts are the audit trail: retire or archive a sensor instead
        ondelete="restrict",
        check_company=True,
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, readonly=True
    )
    location_id = fields.Many2one("stock.location", readonly=True)
    partner_ids = fields.Many2many(
        "res.partner",
        string="Affected Customers",
        readonly=True,
        help="The customers whose goods the sensor watched when the alert opened.",
    )
    level = fields.Selection(ALERT_LEVELS, required=True, readonly=True, tracking=True)
    measure = fields.Selection(MEASURES, readonly=True)
    direction = fields.Selection(DIRECTIONS, readonly=True)
    limit_value = fields.Float(readonly=True, digits=(16, 2), tracking=True)
    date_start = fields.Datetime(
        "Start", required=True, readonly=True, help="The first reading out of range."
    )
    date_end = fields.Datetime("End", readonly=True, tracking=True)
    is_ongoing = fields.Boolean(
        "Ongoing", compute="_compute_is_ongoing", store=True, index=True
    )
    alarm_date = fields.Datetime(
        readonly=True, help="When the alert reached the alarm level."
    )
    peak_value = fields.Float("Peak", readonly=True, digits=(16, 2))
    duration_minutes = fields.Float("Duration (min)", readonly=True, digits=(16, 1))
    mkt = fields.Float(
        "MKT (°C)",
        readonly=True,
        digits=(16, 3),
        help="Mean Kinetic Temperature of the excursion's readings, "
        "time-weighted (USP <1160>, ΔH/R = 10,000 K).",
    )
    acknowledged = fields.Boolean(readonly=True, tracking=True, default=False)
    ack_user_id = fields.Many2one(
        "res.users", "Acknowledged By", readonly=True, tracking=True
    )
    ack_date = fields.Datetime("Acknowledged On", readonly=True)
    ack_comment = fields.Text("Acknowledgement Comment", readonly=True)
    escalated_date = fields.Datetime(readonly=True)
    ticket_id = fields.Many2one("helpdesk.ticket", readonly=True, tracking=True)
    customer_notified_date = fields.Datetime(readonly=True)

    # one ongoing alert per (sensor, measure, direction), one ongoing offline
    _ongoing_excursion_uniq = models.UniqueIndex(
        "(sensor_id, measure, direction) WHERE date_end IS NULL AND level != 'offline'"
    )
    _ongoing_offline_uniq = models.UniqueIndex(
        "(sensor_id) WHERE date_end IS NULL AND level = 'offline'"
    )

    @api.depends("date_end")
    def _compute_is_ongoing(self):
        for alert in self:
            alert.is_ongoing = not alert.date_end

    def _search_name(self, operator, value):
        return [("sensor_id", operator, value)]

    @api.depends("sensor_id.name", "level", "measure", "direction")
    @api.depends_context("lang")
    def _compute_name(self):
        levels = dict(self._fields["level"]._description_selection(self.env))
        measures = dict(self._fields["measure"]._description_selection(self.env))
        for alert in self:
            if alert.level == "offline":
                alert.name = self.env._(
                    "%(sensor)s: offline", sensor=alert.sensor_id.name or ""
                )
                continue
            alert.name = self.env._(
                "%(sensor)s: %(direction)s %(measure)s %(level)s",
                sensor=alert.sensor_id.name or "",
                direction=self.env._("high")
                if alert.direction == "high"
                else self.env._("low"),
                measure=(measures.get(alert.measure) or "").lower(),
                level=(levels.get(alert.level) or "").lower(),
            )

    # ------------------------------------------------------------------
    # Acknowledgement
    # ------------------------------------------------------------------
    def action_wms_acknowledge(self, comment):
        """Acknowledge the alerts with a comment (mandatory), recording who
        and when, in the chatter as well."""
        if not self.env.user.has_group("wms_iot_monitoring.group_iot_user"):
            raise AccessError(self.env._("Only IoT users acknowledge alerts."))
        self.check_access("read")
        comment = (comment or "").strip() if isinstance(comment, str) else ""
        if not comment:
            raise UserError(self.env._("Acknowledging an alert needs a comment."))
        done = self.filtered("acknowledged")
        if done:
            raise UserError(
                self.env._(
                    "Already acknowledged: %(alerts)s",
                    alerts=", ".join(done.mapped("name")),
                )
            )
        now = fields.Datetime.now()
        # IoT users read alerts only; the acknowledgement is the one thing
        # they record, checked above
        self.sudo().write(
            {
                "acknowledged": True,
                "ack_user_id": self.env.uid,
                "ack_date": now,
                "ack_comment": comment,
            }
        )
        for alert in self.sudo():
            alert.message_post(
                body=self.env._("Acknowledged: %(comment)s", comment=comment),
                author_id=self.env.user.partner_id.id,
            )
            alert.activity_ids.filtered(
                lambda a: (
                    a.activity_type_id
                    == self.env.ref("wms_iot_monitoring.mail_activity_type_escalation")
                )
            ).action_feedback(feedback=comment)
        return True

    def action_open_acknowledge_wizard(self):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Acknowledge"),
            "res_model": "wms.iot.alert.ack",
            "view_mode": "form",
            "target": "new",
            "context": {
                "active_model": "wms.iot.alert",
                "active_ids": self.ids,
                "default_alert_ids": self.ids,
            },
        }

    # ------------------------------------------------------------------
    # Alarm side effects (run as the ingest, once per alert)
    # ------------------------------------------------------------------
    def _wms_on_alarm(self):
        """Once per alert at alarm level: a temperature-excursion ticket, a
        mail to the affected customers in their language, an activity for
        their account managers. Each step in a savepoint: a failing one is
        logged and retried by the watch; the readings are kept anyway."""
        for record in self:
            alert = record._wms_in_company_lang()
            if not alert.ticket_id:
                alert._wms_safely(alert._wms_open_ticket)
            if not alert.customer_notified_date:
                alert._wms_safely(alert._wms_notify_customers)

    def _wms_in_company_lang(self):
        """The alert in the language of its company's address: the ticket,
        notes and activities are read by the warehouse's staff (the ingest
        and the watch run as technical users, in English)."""
        lang = self.company_id.partner_id.lang
        return self.with_context(lang=lang) if lang else self

    def _wms_safely(self, step):
        try:
            with self.env.cr.savepoint():
                step()
        except Exception:
            _logger.exception("Cold-chain alert %s: %s failed", self.id, step.__name__)

    def _wms_local_time(self, value):
        """``value`` (naive UTC) as the warehouse reads it: in the time zone
        of the company's address, named."""
        self.ensure_one()
        tz = self.env["res.partner"]._wms_tz(self.company_id)
        return f"{format_datetime(self.env, value, tz=tz)} ({tz})"

    def _wms_describe(self):
        self.ensure_one()
        return self.env._(
            "Sensor %(sensor)s (%(serial)s) in %(location)s: %(alert)s since "
            "%(start)s, limit %(limit)s, peak %(peak)s.",
            sensor=self.sensor_id.name,
            serial=self.sensor_id.serial,
            location=self.location_id.display_name or "",
            alert=self.name,
            start=self._wms_local_time(self.date_start),
            limit=self.limit_value,
            peak=self.peak_value,
        )

    def _wms_ticket_partner(self):
        """The ticket's customer: the sensor's, else the only affected one."""
        self.ensure_one()
        if self.sensor_id.partner_id:
            return self.sensor_id.partner_id
        return self.partner_ids if len(self.partner_ids) == 1 else self.partner_ids[:0]

    def _wms_open_ticket(self):
        self.ensure_one()
        description = self._wms_describe()
        if len(self.partner_ids) > 1:
            description += "\n" + self.env._(
                "Affected customers: %(names)s",
                names=", ".join(self.partner_ids.mapped("display_name")),
            )
        ticket_id = self.env["helpdesk.ticket"].wms_report_exception(
            "temperature_excursion",
            partner_id=self._wms_ticket_partner().id,
            description=description,
            source_model=self._name,
            source_id=self.id,
        )
        self.ticket_id = ticket_id

    def _wms_notify_customers(self):
        self.ensure_one()
        template = self.env.ref("wms_iot_monitoring.mail_template_excursion")
        for partner in self.partner_ids:
            tz = partner._wms_tz(self.company_id)
            # the context only chooses the language and timezone of the text
            self.with_context(
                wms_lang=partner.lang or "en_US",
                wms_tz=tz,
                mail_notify_force_send=False,
            ).message_post_with_source(
                template,
                # a note sent to the customer only: the alert's followers
                # do not get a copy per customer
                message_type="comment",
                subtype_xmlid="mail.mt_note",
                partner_ids=partner.ids,
            )
        managers = (
            self.partner_ids.commercial_partner_id.wms_account_manager_id
            | self.partner_ids.wms_account_manager_id
        )
        activity_type = self.env.ref("wms_iot_monitoring.mail_activity_type_excursion")
        # on the ticket, which account managers (Customer Care) can open;
        # on the alert when the ticket could not be made
        target = self.ticket_id or self
        # the customers' replies come back on the alert: their account
        # managers follow it
        self.message_subscribe(partner_ids=managers.partner_id.ids)
        for manager in managers:
            target.activity_schedule(
                activity_type_id=activity_type.id,
                user_id=manager.id,
                note=self._wms_describe(),
            )
        self.customer_notified_date = fields.Datetime.now()

    def _wms_on_alarm_end(self):
        """Post the end of the alarm on its ticket."""
        for record in self.filtered("ticket_id"):
            alert = record._wms_in_company_lang()
            alert._wms_safely(alert._wms_post_end_on_ticket)

    def _wms_post_end_on_ticket(self):
        self.ensure_one()
        body = self.env._(
            "The alarm of %(sensor)s ended at %(end)s after %(minutes)s "
            "minutes; peak %(peak)s, limit %(limit)s.",
            sensor=self.sensor_id.name,
            end=self._wms_local_time(self.date_end),
            minutes=round(self.duration_minutes),
            peak=self.peak_value,
            limit=self.limit_value,
        )
        if self.measure == "temperature" and self.mkt:
            body += " " + self.env._("MKT %(mkt).2f °C.", mkt=self.mkt)
        self.ticket_id.message_post(body=body, subtype_xmlid="mail.mt_note")

    # ------------------------------------------------------------------
    # The watch: offline sensors, escalations, pending notifications
    # ------------------------------------------------------------------
    @api.model
    def _cron_wms_iot_watch(self):
        # READ COMMITTED: every batch updates its ongoing alerts (peak,
        # duration, MKT); in the cron's REPEATABLE READ snapshot, escalating
        # one of them would fail with a serialization error for as long as
        # its sensor keeps sending
        with self.env["wms.iot.reading"]._wms_read_committed() as env:
            env["wms.iot.alert"]._wms_watch(fields.Datetime.now())

    @api.model
    def _wms_watch(self, now):
        # the watch acts for the system on every company's sensors
        alerts = self.sudo()
        # a gateway key is shown once: its record goes soon after, whatever
        # the dialog did (the daily vacuum of transient records is too late)
        alerts.env["wms.iot.gateway.key"].search(
            [("create_date", "<", now - timedelta(minutes=10))]
        ).unlink()
        alerts._wms_open_offline_alerts(now)
        alerts._wms_escalate(now)
        pending = alerts.search(
            [
                ("level", "=", "alarm"),
                "|",
                ("ticket_id", "=", False),
                ("customer_notified_date", "=", False),
                ("date_start", ">=", now - timedelta(days=2)),
            ]
        )
        pending._wms_on_alarm()

    def _wms_open_offline_alerts(self, now):
        Sensor = self.env["wms.iot.sensor"]
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT s.id
                  FROM wms_iot_sensor s
                  JOIN wms_iot_profile p ON p.id = s.profile_id
                 WHERE s.active AND s.state = 'active'
                   AND p.offline_after_minutes > 0
                   AND COALESCE(s.seen_at, s.last_reading_date, s.create_date)
                       < %(now)s - make_interval(mins => p.offline_after_minutes)
                   AND NOT EXISTS (
                        SELECT 1 FROM wms_iot_alert a
                         WHERE a.sensor_id = s.id AND a.level = 'offline'
                           AND a.date_end IS NULL)
                """,
                now=now,
            )
        )
        sensors = Sensor.browse([row[0] for row in self.env.cr.fetchall()])
        if not sensors:
            return self.browse()
        alerts = self.create(
            [
                {
                    "sensor_id": sensor.id,
                    "company_id": sensor.company_id.id,
                    "location_id": sensor.location_id.id,
                    "partner_ids": [(6, 0, sensor.affected_partner_ids.ids)],
                    "level": "offline",
                    "date_start": sensor.last_reading_date or sensor.create_date,
                    "duration_minutes": (
                        now - (sensor.last_reading_date or sensor.create_date)
                    ).total_seconds()
                    / 60,
                }
                for sensor in sensors
            ]
        )
        sensors.filtered(lambda s: s.status != "alarm").write({"status": "offline"})
        return alerts

    def _wms_escalate(self, now):
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT a.id
                  FROM wms_iot_alert a
                  JOIN wms_iot_sensor s ON s.id = a.sensor_id
                  JOIN wms_iot_profile p ON p.id = s.profile_id
                 WHERE a.level IN %(levels)s
                   AND (a.date_end IS NULL OR a.level = 'alarm')
                   AND a.acknowledged IS NOT TRUE
                   AND a.escalated_date IS NULL
                   AND p.escalate_after_minutes > 0
                   AND CASE WHEN a.level = 'offline' THEN a.create_date
                            ELSE COALESCE(a.alarm_date, a.date_start) END
                       < %(now)s - make_interval(mins => p.escalate_after_minutes)
                """,
                levels=ESCALATED_LEVELS,
                now=now,
            )
        )
        alerts = self.browse([row[0] for row in self.env.cr.fetchall()])
        if not alerts:
            return alerts
        activity_type = self.env.ref("wms_iot_monitoring.mail_activity_type_escalation")
        managers_by_company = defaultdict(lambda: self.env["res.users"])
        group = self.env.ref("wms_iot_monitoring.group_iot_manager")
        for user in group.all_user_ids.filtered(lambda u: u.active and not u.share):
            for company in user.company_ids:
                managers_by_company[company.id] |= user
        for alert in alerts:
            users = (
                alert.sensor_id.profile_id.escalation_user_ids.filtered(
                    lambda u, company=alert.company_id: company in u.company_ids
                )
                or managers_by_company[alert.company_id.id]
            )
            for user in users:
                alert.activity_schedule(
                    activity_type_id=activity_type.id,
                    user_id=user.id,
                    note=alert._wms_in_company_lang()._wms_describe(),
                )
        alerts.write({"escalated_date": now})
        return alerts

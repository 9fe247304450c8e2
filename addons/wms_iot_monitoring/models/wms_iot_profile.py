# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError

MEASURES = [("temperature", "Temperature"), ("humidity", "Humidity")]
LEVELS = [("warning", "Warning"), ("alarm", "Alarm")]
DIRECTIONS = [("low", "Low"), ("high", "High")]


class WmsIotProfile(models.Model):
    """A reusable set of limits, with the delay, hysteresis, offline and
    escalation settings of the sensors that use it."""

    _name = "wms.iot.profile"
    _description = "Sensor Profile"
    _inherit = ["mail.thread"]
    _order = "name, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True, tracking=True)
    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one(
        "res.company",
        index=True,
        help="Leave empty to share the profile between companies.",
    )
    limit_ids = fields.One2many("wms.iot.profile.limit", "profile_id", string="Limits")
    alarm_delay_minutes = fields.Integer(
        "Alarm Delay (min)",
        tracking=True,
        help="How long, in device time, a value must stay outside a limit "
        "before an alert opens. A reading back inside resets the delay.",
    )
    hysteresis_temp = fields.Float(
        "Temperature Hysteresis (°C)",
        digits=(16, 2),
        tracking=True,
        help="An alert ends once the temperature is back inside its limit by "
        "this margin: a high alert at 8 °C with 0.5 ends at 7.5 °C.",
    )
    hysteresis_hum = fields.Float(
        "Humidity Hysteresis (%RH)",
        digits=(16, 2),
        tracking=True,
    )
    offline_after_minutes = fields.Integer(
        "Offline After (min)",
        default=30,
        tracking=True,
        help="An offline alert opens when an active sensor has sent nothing "
        "for this long. 0: never.",
    )
    escalate_after_minutes = fields.Integer(
        "Escalate After (min)",
        tracking=True,
        help="An alarm still unacknowledged after this long gives each "
        "escalation user an activity. 0: never.",
    )
    escalation_user_ids = fields.Many2many(
        "res.users",
        string="Escalation Users",
        domain=[("share", "=", False)],
        help="Empty: the IoT Managers of the sensor's company.",
    )
    sensor_ids = fields.One2many("wms.iot.sensor", "profile_id", string="Sensors")
    sensor_count = fields.Integer(compute="_compute_sensor_count")

    _check_minutes = models.Constraint(
        "CHECK(alarm_delay_minutes >= 0 AND offline_after_minutes >= 0 "
        "AND escalate_after_minutes >= 0)",
        "Delays cannot be negative.",
    )
    _check_hysteresis = models.Constraint(
        "CHECK(hysteresis_temp >= 0 AND hysteresis_hum >= 0)",
        "A hysteresis cannot be negative.",
    )

    def _compute_sensor_count(self):
        counts = dict(
            self.env["wms.iot.sensor"]._read_group(
                [("profile_id", "in", self.ids)], ["profile_id"], ["__count"]
            )
        )
        for profile in self:
            profile.sensor_count = counts.get(profile, 0)

    @api.model_create_multi
    def create(self, vals_list):
        profiles = super().create(vals_list)
        profiles._check_shared_change()
        return profiles

    def write(self, vals):
        self._check_shared_change()
        result = super().write(vals)
        if "company_id" in vals:
            self._check_shared_change()
        return result

    def unlink(self):
        self._check_shared_change()
        return super().unlink()

    def _check_shared_change(self):
        """A shared profile (no company) serves every company: with several
        companies in the database, only administrators (Settings) change
        it, so that one company cannot loosen another's alarms; managers
        duplicate it into their company instead."""
        if (
            self.env.su
            or not self.filtered(lambda p: not p.company_id)
            or self.env.user.has_group("base.group_system")
        ):
            return
        if self.env["res.company"].sudo().search_count([], limit=2) > 1:
            raise AccessError(
                self.env._(
                    "Shared sensor profiles serve every company: duplicate "
                    "the profile into your company to change it."
                )
            )

    def _wms_limit(self, measure, level, direction):
        """The limit's value, or None when the profile has none."""
        self.ensure_one()
        for line in self.limit_ids:
            if (line.measure, line.level, line.direction) == (
                measure,
                level,
                direction,
            ):
                return line.value
        return None

    def _wms_limits(self):
        """{(measure, level, direction): value} of the profile's lines."""
        self.ensure_one()
        return {
            (line.measure, line.level, line.direction): line.value
            for line in self.limit_ids
        }

    @api.constrains("limit_ids")
    def _check_bands(self):
        for profile in self:
            limits = profile._wms_limits()
            for measure, label in MEASURES:
                for level in ("warning", "alarm"):
                    low = limits.get((measure, level, "low"))
                    high = limits.get((measure, level, "high"))
                    if low is not None and high is not None and low >= high:
                        raise ValidationError(
                            self.env._(
                                "%(profile)s: the low %(measure)s limit must be "
                                "below the high one at each level.",
                                profile=profile.name,
                                measure=label.lower(),
                            )
                        )
                for direction in ("low", "high"):
                    warning = limits.get((measure, "warning", direction))
                    alarm = limits.get((measure, "alarm", direction))
                    if warning is None or alarm is None:
                        continue
                    outside = warning < alarm if direction == "low" else warning > alarm
                    if outside:
                        raise ValidationError(
                            self.env._(
                                "%(profile)s: the warning limits of %(measure)s "
                                "must lie inside the alarm limits.",
                                profile=profile.name,
                                measure=label.lower(),
                            )
                        )


class WmsIotProfileLimit(models.Model):
    _name = "wms.iot.profile.limit"
    _description = "Sensor Profile Limit"
    _order = "profile_id, measure, level desc, direction"

    profile_id = fields.Many2one(
        "wms.iot.profile", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="profile_id.company_id", store=True)
    measure = fields.Selection(MEASURES, required=True, default="temperature")
    level = fields.Selection(LEVELS, required=True, default="alarm")
    direction = fields.Selection(DIRECTIONS, required=True, default="high")
    value = fields.Float(required=True, digits=(16, 2))

    @api.constrains("profile_id", "measure", "level", "direction", "value")
    def _check_bands(self):
        # a line written on its own (RPC, import) keeps the profile's bands
        self.profile_id._check_bands()

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        lines.profile_id._check_shared_change()
        return lines

    def write(self, vals):
        self.profile_id._check_shared_change()
        result = super().write(vals)
        self.profile_id._check_shared_change()
        return result

    def unlink(self):
        self.profile_id._check_shared_change()
        return super().unlink()

    _line_uniq = models.Constraint(
        "UNIQUE(profile_id, measure, level, direction)",
        "A profile has at most one limit per measure, level and direction.",
    )

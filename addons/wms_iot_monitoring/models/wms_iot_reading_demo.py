# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import logging
import math
import random
from datetime import UTC, timedelta

from odoo import api, fields, models

_logger = logging.getLogger(__name__)

STEP = timedelta(minutes=5)
DAY_STEPS = 24 * 12  # a day of readings, every 5 minutes
# Rack A of the cold room, every 5 minutes from EXCURSION_START before now:
# above the 7 °C warning limit for 25 minutes, above the 8 °C alarm limit
# for 40 minutes, then back below 7.5 °C (the alarm limit minus the
# hysteresis).
EXCURSION_START = timedelta(hours=5)
EXCURSION = [5.6, 6.5, 7.3, 7.8, 8.3, 8.9, 9.4, 9.6, 9.5, 9.1, 8.6, 8.2, 7.2, 6.3, 5.6]
# Freezer door sensor in calibration: a check with a warm probe, which
# raises nothing.
CALIBRATION_START = timedelta(hours=2)
CALIBRATION = [-19.0, -16.5, -15.8, -17.9, -20.6]


class WmsIotReading(models.Model):
    _inherit = "wms.iot.reading"

    @api.model
    def _wms_load_demo_readings(self):
        """Feed the demo gateway's sensors a day of readings, ending now,
        through the ingest, as the gateway would: the excursion of the cold
        room's Rack A opens an alarm (ticket, customer mail), and ends."""
        gateway = self.env.ref("wms_iot_monitoring.gateway_demo", False)
        if not gateway:
            return None
        now = fields.Datetime.now().replace(second=0, microsecond=0)
        now -= timedelta(minutes=now.minute % 5)
        start = now - STEP * (DAY_STEPS - 1)
        series = {
            "CR-001": self._wms_demo_series(start, 4.8, 0.4, 58.0, EXCURSION_START),
            "CR-002": self._wms_demo_series(start, 5.3, 0.3, 61.0),
            "FZ-001": self._wms_demo_series(start, -21.6, 0.4),
            "FZ-002": self._wms_demo_series(start, -22.0, 0.3),
        }
        calibration_index = DAY_STEPS - int(CALIBRATION_START / STEP)
        for offset, value in enumerate(CALIBRATION):
            series["FZ-002"][calibration_index + offset]["temperature"] = value
        serials = set(gateway.sensor_ids.mapped("serial"))
        items = []
        for step in range(DAY_STEPS):
            moment = start + STEP * step
            epoch = int(moment.replace(tzinfo=UTC).timestamp())
            for serial, values in series.items():
                if serial in serials:
                    items.append({"sensor": serial, "ts": epoch, **values[step]})
        result = self._wms_ingest_items(items, gateway=gateway)
        # the hourly readings of the day, as the hourly cron would roll them up
        self.env["wms.iot.reading.hourly"]._wms_rollup(fields.Datetime.now())
        _logger.info(
            "Cold-chain demo readings: %s accepted, %s duplicates, %s rejected",
            result["accepted"],
            result["duplicates"],
            len(result["rejected"]),
        )
        return result

    @api.model
    def _wms_demo_series(self, start, temp, swing, humidity=None, excursion=None):
        """A day of plausible values: a daily swing and some noise around
        ``temp`` (and ``humidity``), the excursion's values from ``excursion``
        before the end of the day."""
        rng = random.Random(f"{temp}/{humidity}")
        values = []
        for step in range(DAY_STEPS):
            moment = start + STEP * step
            phase = 2 * math.pi * (moment.hour * 60 + moment.minute) / 1440
            point = {
                "temperature": round(
                    temp + swing * math.sin(phase) + rng.uniform(-0.15, 0.15), 2
                )
            }
            if humidity is not None:
                point["humidity"] = round(
                    humidity + 3 * math.cos(phase) + rng.uniform(-0.8, 0.8), 1
                )
            values.append(point)
        if excursion:
            first = DAY_STEPS - int(excursion / STEP)
            for offset, value in enumerate(EXCURSION):
                values[first + offset]["temperature"] = value
                if humidity is not None:
                    # the door was left open: damp air came in with the heat
                    values[first + offset]["humidity"] = round(
                        humidity + 2.5 * min(offset, len(EXCURSION) - offset), 1
                    )
        return values

# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The alarm state machine of one sensor's measure in one direction, in
plain Python: the ingest feeds it each batch's new readings in device-time
order, with the state it left after the previous batch (stored as JSON on
the sensor) and the ongoing alert, and writes what it returns."""

import math
from datetime import datetime, timedelta

from .wms_iot_alert import DELTA_H_OVER_R, KELVIN, mkt_from_sums


def _beyond(value, limit, high):
    return limit is not None and (value > limit if high else value < limit)


def _back_inside(value, limit, hysteresis, high):
    return value <= limit - hysteresis if high else value >= limit + hysteresis


def load_state(data):
    """The JSON state with its datetimes parsed."""
    state = dict(data or {})
    for key in ("run_start", "alarm_since", "prev_ts"):
        if state.get(key):
            state[key] = datetime.fromisoformat(state[key])
    return state


def dump_state(state):
    return {
        key: value.isoformat() if isinstance(value, datetime) else value
        for key, value in state.items()
    }


def advance(series, state, alert, warning, alarm, hysteresis, delay_minutes, high):
    """Feed ``series`` [(ts, value)] (sorted) to the machine.

    :param state: the run's state (``load_state``), changed in place and
        returned: ``run_start`` (first reading beyond the lowest limit of the
        current run), ``alarm_since`` (first one beyond the alarm limit),
        ``peak``, ``prev_ts``/``prev_val`` (last reading of the run) and the
        MKT sums ``num``/``den`` over the run's completed intervals.
    :param alert: the ongoing alert as a dict (``level``, ``limit_value``,
        ``date_start``; ``id`` when stored) or None.
    :return: (state, ongoing alert or None, the alerts touched in order:
        dicts with ``level``, ``limit_value``, ``date_start``, ``date_end``,
        ``alarm_date``, ``peak_value``, ``duration_minutes``, ``mkt``,
        ``raised`` (reached the alarm level now)).
    """
    delay = timedelta(minutes=delay_minutes or 0)
    lowest = warning if warning is not None else alarm
    touched = [alert] if alert else []
    last_ts = None
    for ts, value in series:
        last_ts = ts
        if state.get("prev_ts") is not None:
            weight = (ts - state["prev_ts"]).total_seconds()
            state["num"] = state.get("num", 0.0) + weight * math.exp(
                -DELTA_H_OVER_R / (state["prev_val"] + KELVIN)
            )
            state["den"] = state.get("den", 0.0) + weight
        if alert:
            if _back_inside(value, alert["limit_value"], hysteresis, high):
                _close(alert, state, ts)
                alert = None
                state.clear()
                # the reading may start a new run (e.g. inside the alarm
                # limit, still beyond the warning one)
            else:
                _extend(state, ts, value, high)
                if alert["level"] == "warning" and alarm is not None:
                    if _beyond(value, alarm, high):
                        state["alarm_since"] = state.get("alarm_since") or ts
                        if ts - state["alarm_since"] >= delay:
                            alert.update(
                                level="alarm",
                                limit_value=alarm,
                                alarm_date=ts,
                                raised=True,
                            )
                    else:
                        state["alarm_since"] = None
                continue
        if not _beyond(value, lowest, high):
            state.clear()
            continue
        if not state.get("run_start"):
            state.clear()
            state.update(run_start=ts, peak=value, num=0.0, den=0.0)
        _extend(state, ts, value, high)
        if _beyond(value, alarm, high):
            state["alarm_since"] = state.get("alarm_since") or ts
        else:
            state["alarm_since"] = None
        level = None
        if state.get("alarm_since") and ts - state["alarm_since"] >= delay:
            level = "alarm"
        elif warning is not None and ts - state["run_start"] >= delay:
            level = "warning"
        if level:
            alert = {
                "id": None,
                "level": level,
                "limit_value": alarm if level == "alarm" else warning,
                "date_start": state["run_start"],
                "date_end": None,
                "alarm_date": ts if level == "alarm" else None,
                "raised": level == "alarm",
            }
            touched.append(alert)
    if alert and last_ts:
        _measure(alert, state, last_ts)
    return state, alert, touched


def _extend(state, ts, value, high):
    peak = state.get("peak")
    if peak is None or (value > peak if high else value < peak):
        state["peak"] = value
    state["prev_ts"] = ts
    state["prev_val"] = value


def _measure(alert, state, end):
    alert["peak_value"] = state.get("peak")
    alert["duration_minutes"] = (end - alert["date_start"]).total_seconds() / 60
    mkt = mkt_from_sums(state.get("num", 0.0), state.get("den", 0.0))
    if mkt is None and state.get("prev_val") is not None:
        mkt = state["prev_val"]
    alert["mkt"] = mkt


def _close(alert, state, end):
    _measure(alert, state, end)
    alert["date_end"] = end

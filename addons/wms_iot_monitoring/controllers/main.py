# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import json
import logging

from werkzeug.exceptions import RequestEntityTooLarge

from odoo import http
from odoo.http import request

from ..models.wms_iot_reading import MAX_ITEMS, IngestError

_logger = logging.getLogger(__name__)

MAX_BODY = 2 * 1024 * 1024  # bytes: 5,000 readings take about 500 KB
INGEST_USER = "wms_iot_monitoring.user_iot_ingest"


def _answer(status, data, headers=None):
    if status != 200 and isinstance(data, str):
        data = {"error": data}
    response = request.make_json_response(data, status=status)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


class WmsIotController(http.Controller):
    @http.route(
        "/wms/iot/v1/readings",
        type="http",
        auth="none",
        csrf=False,
        readonly=False,
        methods=["POST"],
        save_session=False,
    )
    def wms_iot_readings(self, **kwargs):
        """Store a gateway's batch of readings; always answers JSON."""
        try:
            return self._wms_iot_readings()
        except IngestError as error:
            return _answer(error.status, error.message, error.headers)
        except Exception:
            _logger.exception("Cold-chain ingest failed")
            return _answer(500, "Internal error: the batch was not stored.")

    def _wms_iot_readings(self):
        httprequest = request.httprequest
        length = httprequest.content_length
        if length is None:
            # a chunked body would be read whole before it could be measured
            raise IngestError(411, "Send the body with a Content-Length.")
        if length > MAX_BODY:
            raise IngestError(413, f"Body larger than {MAX_BODY} bytes.")
        if httprequest.mimetype != "application/json":
            raise IngestError(415, "Send application/json.")
        scheme, _sep, key = (httprequest.headers.get("Authorization") or "").partition(
            " "
        )
        # no user yet: the key is what authenticates, checked against the
        # gateways' hashes (a read of two columns)
        Gateway = request.env["wms.iot.gateway"].sudo()
        gateway = (
            Gateway._wms_authenticate(key.strip())
            if scheme.lower() == "bearer"
            else Gateway
        )
        if not gateway:
            raise IngestError(
                401,
                "Missing, unknown or revoked gateway key.",
                {"WWW-Authenticate": 'Bearer realm="wms-iot"'},
            )
        # a body sent without Content-Length (chunked) is cut at the same size
        httprequest.max_content_length = MAX_BODY
        try:
            body = httprequest.get_data(cache=False)
        except RequestEntityTooLarge:
            raise IngestError(413, f"Body larger than {MAX_BODY} bytes.") from None
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise IngestError(400, "The body is not JSON.") from None
        if not isinstance(payload, dict):
            raise IngestError(400, 'Send a JSON object: {"readings": [...]}.')
        readings = payload.get("readings")
        if not isinstance(readings, list):
            raise IngestError(400, 'The object needs a "readings" list.')
        if len(readings) > MAX_ITEMS:
            raise IngestError(
                400, f"At most {MAX_ITEMS} readings per batch, not {len(readings)}."
            )
        user_id = request.env["ir.model.data"]._xmlid_to_res_id(INGEST_USER)
        request.update_env(user=user_id)
        # the technical user only reads alerts; the ingest writes readings,
        # sensors and alerts for the gateway authenticated above
        Reading = (
            request.env["wms.iot.reading"].sudo().with_company(gateway.company_id.id)
        )
        result = Reading._wms_ingest_http(gateway.with_env(Reading.env), readings)
        return _answer(200, result)

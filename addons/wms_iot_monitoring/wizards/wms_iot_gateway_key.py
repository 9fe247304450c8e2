# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import json

from odoo import api, fields, models


class WmsIotGatewayKey(models.TransientModel):
    """Shows a gateway's new key once, to the IoT Manager who generated it.

    The gateway keeps only the key's lookup prefix and hash: this record is
    the one place the key can be read, until the dialog's Done button drops
    it, or the vacuum does.
    """

    _name = "wms.iot.gateway.key"
    _description = "Gateway Key"
    # Don't keep a plaintext key in the database longer than necessary.
    _transient_max_hours = 0.1

    gateway_id = fields.Many2one(
        "wms.iot.gateway", required=True, readonly=True, ondelete="cascade"
    )
    key = fields.Char(readonly=True)
    endpoint_url = fields.Char(compute="_compute_endpoint_url")
    curl_example = fields.Text(compute="_compute_endpoint_url")

    @api.depends("gateway_id")
    def _compute_endpoint_url(self):
        for wizard in self:
            wizard.endpoint_url = f"{wizard.get_base_url()}/wms/iot/v1/readings"
            serial = wizard.gateway_id.sensor_ids[:1].serial or "CR-001"
            body = json.dumps(
                {
                    "readings": [
                        {
                            "sensor": serial,
                            "ts": "2026-12-01T08:00:00+08:00",
                            "temperature": 4.2,
                        }
                    ]
                }
            )
            # the key stays out of the example, which may be pasted anywhere
            wizard.curl_example = "\n".join(
                [
                    f'curl -X POST "{wizard.endpoint_url}" \\',
                    '  -H "Authorization: Bearer $KEY" \\',
                    f'  -H "X-Odoo-Database: {self.env.cr.dbname}" \\',
                    '  -H "Content-Type: application/json" \\',
                    f"  -d '{body}'",
                ]
            )

    def action_done(self):
        """Close the dialog and drop the key it showed."""
        # The record rule lets users read only the keys they generated.
        self.check_access("read")
        # sudo: IoT Managers may only read keys; deleting the one they have
        # just copied shortens the life of the plaintext in the database.
        self.sudo().unlink()
        return {"type": "ir.actions.act_window_close"}

# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import hashlib
import hmac
import secrets

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL

KEY_PREFIX_BYTES = 6  # 12 hex characters, looked up by index
KEY_SECRET_BYTES = 32


def _hash_key(key):
    return hashlib.sha256(key.encode()).hexdigest()


class WmsIotGateway(models.Model):
    """What authenticates a batch of readings: one key per gateway.

    The key's lookup prefix and SHA-256 hash are columns of the table that
    are no fields (``init``), as Odoo does for API keys: no RPC call, not even
    an administrator's, reads them."""

    _name = "wms.iot.gateway"
    _description = "IoT Gateway"
    _inherit = ["mail.thread"]
    _order = "name, id"
    _check_company_auto = True

    name = fields.Char(required=True, tracking=True)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
        tracking=True,
    )
    active = fields.Boolean(
        default=True,
        tracking=True,
        help="An archived gateway's key is refused at once.",
    )
    last_seen = fields.Datetime(
        readonly=True,
        help="When the gateway last sent readings (updated at most once a minute).",
    )
    rate_limit = fields.Integer(
        "Rate Limit (readings/min)",
        default=60000,
        required=True,
        tracking=True,
        help="Readings accepted per minute; more are answered 429, with the "
        "seconds to wait.",
    )
    sensor_ids = fields.One2many("wms.iot.sensor", "gateway_id", string="Sensors")
    sensor_count = fields.Integer(compute="_compute_sensor_count")
    has_key = fields.Boolean(compute="_compute_has_key")

    _check_rate_limit = models.Constraint(
        "CHECK(rate_limit > 0)", "The rate limit must be positive."
    )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_last_seen(vals)
        return super().create(vals_list)

    def write(self, vals):
        self._check_last_seen(vals)
        return super().write(vals)

    def _check_last_seen(self, vals):
        if "last_seen" in vals and not self.env.su:
            raise AccessError(
                self.env._("When a gateway was last seen is set by the system only.")
            )

    def init(self):
        self.env.cr.execute(
            SQL(
                """
                ALTER TABLE wms_iot_gateway
                    ADD COLUMN IF NOT EXISTS key_prefix varchar,
                    ADD COLUMN IF NOT EXISTS key_hash varchar;
                CREATE UNIQUE INDEX IF NOT EXISTS wms_iot_gateway_key_prefix_uniq
                    ON wms_iot_gateway (key_prefix) WHERE key_prefix IS NOT NULL;
                CREATE TABLE IF NOT EXISTS wms_iot_gateway_rate (
                    gateway_id integer NOT NULL
                        REFERENCES wms_iot_gateway(id) ON DELETE CASCADE,
                    minute timestamp NOT NULL,
                    count integer NOT NULL,
                    PRIMARY KEY (gateway_id, minute)
                );
                """
            )
        )

    def _compute_sensor_count(self):
        counts = dict(
            self.env["wms.iot.sensor"]
            .with_context(active_test=False)
            ._read_group([("gateway_id", "in", self.ids)], ["gateway_id"], ["__count"])
        )
        for gateway in self:
            gateway.sensor_count = counts.get(gateway, 0)

    def _compute_has_key(self):
        with_key = set()
        if self.ids:
            self.env.cr.execute(
                SQL(
                    "SELECT id FROM wms_iot_gateway WHERE id IN %s "
                    "AND key_hash IS NOT NULL",
                    tuple(self.ids),
                )
            )
            with_key = {row[0] for row in self.env.cr.fetchall()}
        for gateway in self:
            gateway.has_key = gateway.id in with_key

    def _check_key_rights(self):
        if not self.env.user.has_group("wms_iot_monitoring.group_iot_manager"):
            raise AccessError(self.env._("Only IoT Managers manage gateway keys."))
        self.check_access("write")

    def action_generate_key(self):
        """Make a new random key, store its prefix and hash, and show the key
        once. The previous key is refused from now on."""
        self.ensure_one()
        self._check_key_rights()
        prefix = secrets.token_hex(KEY_PREFIX_BYTES)
        key = f"{prefix}.{secrets.token_urlsafe(KEY_SECRET_BYTES)}"
        self.env.cr.execute(
            SQL(
                "UPDATE wms_iot_gateway SET key_prefix = %s, key_hash = %s "
                "WHERE id = %s",
                prefix,
                _hash_key(key),
                self.id,
            )
        )
        self.invalidate_recordset(["has_key"])
        self.message_post(body=self.env._("A new key was generated."))
        wizard = self.env["wms.iot.gateway.key"].create(
            {"gateway_id": self.id, "key": key}
        )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Gateway Key"),
            "res_model": "wms.iot.gateway.key",
            "res_id": wizard.id,
            "view_mode": "form",
            "views": [
                (
                    self.env.ref("wms_iot_monitoring.wms_iot_gateway_key_view_form").id,
                    "form",
                )
            ],
            "target": "new",
        }

    def action_revoke_key(self):
        """Forget the gateway's key: it is refused from now on."""
        self._check_key_rights()
        self.env.cr.execute(
            SQL(
                "UPDATE wms_iot_gateway SET key_prefix = NULL, key_hash = NULL "
                "WHERE id IN %s",
                tuple(self.ids),
            )
        )
        self.invalidate_recordset(["has_key"])
        for gateway in self:
            gateway.message_post(body=self.env._("The key was revoked."))
        return True

    @api.model
    def _wms_authenticate(self, key):
        """The active gateway whose key ``key`` is, else an empty recordset.

        The prefix finds the row by index; the hash is compared in constant
        time. Reads the raw columns, whoever calls (the endpoint has no user
        yet)."""
        if not key or not isinstance(key, str) or key.count(".") != 1:
            return self.browse()
        prefix = key.split(".", 1)[0]
        self.env.cr.execute(
            SQL(
                "SELECT id, key_hash FROM wms_iot_gateway "
                "WHERE key_prefix = %s AND active",
                prefix,
            )
        )
        row = self.env.cr.fetchone()
        if not row or not hmac.compare_digest(row[1], _hash_key(key)):
            return self.browse()
        return self.browse(row[0])

# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models
from odoo.exceptions import AccessDenied, UserError


class WmsIotAlertAck(models.TransientModel):
    """Acknowledge cold-chain alerts with a comment, signed by the user's
    password.

    The password is asked and checked on every acknowledgement, as an
    electronic signature. Odoo's ``check_identity`` does not serve: it asks
    nothing for 10 minutes after a password check and refuses to run outside
    an HTTP request.
    """

    _name = "wms.iot.alert.ack"
    _description = "Acknowledge Cold-Chain Alerts"

    alert_ids = fields.Many2many(
        "wms.iot.alert",
        string="Alerts",
        required=True,
        default=lambda self: self._default_alert_ids(),
    )
    comment = fields.Text(
        required=True,
        help="What was found and what was done. Kept on each alert, with "
        "your name and the time.",
    )
    # Never stored: a web client sends it in the button's context, code sets
    # it on the record (kept in the transaction's cache by the no-op
    # inverse). Either way it never reaches the database.
    password = fields.Char(
        store=False,
        inverse="_inverse_password",
        copy=False,
        help="Your login password: it signs the acknowledgement.",
    )

    @api.model
    def _default_alert_ids(self):
        context = self.env.context
        if context.get("active_model") != "wms.iot.alert":
            return self.env["wms.iot.alert"]
        ids = context.get("active_ids") or (
            [context["active_id"]] if context.get("active_id") else []
        )
        return self.env["wms.iot.alert"].browse(ids).exists()

    def _inverse_password(self):
        """Keep the password in the cache only (see the field)."""

    def _wms_check_signature(self, password):
        """Check the current user's password; UserError when it is wrong.

        Failed attempts count towards the login cooldown of the client's
        address, as a login would.
        """
        if not password:
            raise UserError(
                self.env._("Enter your password to sign the acknowledgement.")
            )
        user = self.env.user
        credential = {"login": user.login, "password": password, "type": "password"}
        try:
            with user._assert_can_auth(user=user.login):
                user._check_credentials(credential, {"interactive": True})
        except AccessDenied:
            raise UserError(
                self.env._(
                    "Wrong password: the acknowledgement was not signed. Enter "
                    "the password you log in with."
                )
            ) from None

    def action_confirm(self):
        self.ensure_one()
        password = self.env.context.get("password") or self.password
        # Forget the password before anything else can fail.
        self.password = False
        self._wms_check_signature(password)
        if not (self.comment or "").strip():
            raise UserError(self.env._("An acknowledgement needs a comment."))
        self.alert_ids.action_wms_acknowledge(self.comment)
        return {"type": "ir.actions.act_window_close"}

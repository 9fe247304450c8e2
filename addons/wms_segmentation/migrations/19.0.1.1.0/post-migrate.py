# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""19.0.1.1.0: "new customer" is a segmentation rule like the others.

The period used to be a setting that overrode every rule; the shipped rule
``rule_new`` (created by this update) takes its value, and the setting goes.
Scores lose their ``is_new`` column and three indexes.
"""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    param = env["ir.config_parameter"].search(
        [("key", "=", "wms_segmentation.new_customer_days")]
    )
    rule = env.ref("wms_segmentation.rule_new", raise_if_not_found=False)
    if param and rule:
        try:
            days = int(param.value)
        except ValueError:
            days = None
        if days is not None and days >= 0:
            rule.customer_since_days = days
    param.unlink()
    cr.execute("ALTER TABLE wms_rfm_score DROP COLUMN IF EXISTS is_new")
    # indexes no query needs, which each run's insert had to maintain
    for column in ("run_id", "rfm_code", "changed"):
        cr.execute(f"DROP INDEX IF EXISTS wms_rfm_score__{column}_index")

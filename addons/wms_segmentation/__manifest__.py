# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
{
    "name": "WMS Customer Segmentation",
    "summary": "Weekly RFM scoring by quintiles, customer tiers from "
    "configurable rules, run history, previews and tier migration",
    "version": "19.0.1.1.0",
    "category": "Inventory/Inventory",
    "author": "WMS Customer Care contributors",
    "license": "AGPL-3",
    "depends": ["wms_customer_profile", "stock", "account", "mail"],
    "data": [
        "security/ir.model.access.csv",
        "security/wms_segmentation_security.xml",
        "data/wms_segmentation_rule_data.xml",
        "data/mail_activity_type_data.xml",
        "data/ir_cron_data.xml",
        "views/wms_segmentation_rule_views.xml",
        "views/wms_rfm_score_views.xml",
        "views/wms_segmentation_run_views.xml",
        "views/res_partner_views.xml",
        "views/res_config_settings_views.xml",
        "views/wms_segmentation_menus.xml",
    ],
    "demo": [
        "demo/wms_segmentation_demo.xml",
    ],
}

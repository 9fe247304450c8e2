# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
{
    "name": "WMS Customer Profile",
    "summary": "One customer view for warehouses: tiers, service preferences, "
    "account manager and delivery KPIs (on-time, accuracy, returns)",
    "version": "19.0.1.0.0",
    "category": "Inventory/Inventory",
    "author": "WMS Customer Care contributors",
    "license": "AGPL-3",
    "application": True,
    "depends": ["stock", "mail"],
    "external_dependencies": {"python": ["xlsxwriter"]},
    "data": [
        "security/wms_customer_profile_groups.xml",
        "security/ir.model.access.csv",
        "security/wms_customer_profile_security.xml",
        "data/wms_customer_tier_data.xml",
        "data/ir_cron_data.xml",
        "wizards/wms_customer_export_views.xml",
        "views/wms_customer_tier_views.xml",
        "views/wms_customer_kpi_views.xml",
        "views/res_partner_views.xml",
        "views/stock_picking_views.xml",
        "views/res_config_settings_views.xml",
        "views/wms_customer_profile_menus.xml",
    ],
    "demo": [
        "demo/wms_customer_profile_demo.xml",
    ],
}

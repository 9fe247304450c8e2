# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
{
    "name": "WMS Outbound Requirements",
    "summary": "Customers' special handling (packaging, labels, documents, "
    "temperature, delivery windows) on every delivery, acknowledged before "
    "validation, with reminders before deadlines and on stock shortage",
    "version": "19.0.1.0.0",
    "category": "Inventory/Inventory",
    "author": "WMS Customer Care contributors",
    "license": "AGPL-3",
    "depends": [
        "wms_customer_profile",
        "stock",
        "mail",
        "stock_partner_delivery_window",
    ],
    "data": [
        "security/ir.model.access.csv",
        "security/wms_outbound_requirements_security.xml",
        "data/wms_handling_requirement_type_data.xml",
        "data/mail_activity_type_data.xml",
        "data/ir_cron_data.xml",
        "wizards/wms_requirement_check_views.xml",
        "wizards/wms_requirement_waive_views.xml",
        "views/wms_handling_requirement_type_views.xml",
        "views/wms_handling_requirement_views.xml",
        "views/wms_picking_requirement_views.xml",
        "views/res_partner_views.xml",
        "views/stock_picking_views.xml",
        "views/res_config_settings_views.xml",
        "views/wms_outbound_requirements_menus.xml",
        "report/report_stock_picking.xml",
    ],
    "demo": [
        "demo/wms_outbound_requirements_demo.xml",
    ],
}

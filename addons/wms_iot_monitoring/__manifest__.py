# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
{
    "name": "WMS IoT Monitoring",
    "summary": "Cold-chain sensors: authenticated fast ingest of temperature and "
    "humidity readings, excursion alarms with delay and hysteresis, MKT, "
    "acknowledgement, escalation, customer notification and tickets",
    "version": "19.0.1.0.0",
    "category": "Inventory/Inventory",
    "author": "WMS Customer Care contributors",
    "license": "AGPL-3",
    "depends": [
        "stock",
        "mail",
        "wms_customer_profile",
        "wms_service_tickets",
    ],
    "data": [
        "security/wms_iot_monitoring_groups.xml",
        "security/ir.model.access.csv",
        "security/wms_iot_monitoring_security.xml",
        "data/res_users_data.xml",
        "data/mail_activity_type_data.xml",
        "data/mail_template_data.xml",
        "data/wms_iot_profile_data.xml",
        "data/ir_cron_data.xml",
        "wizards/wms_iot_gateway_key_views.xml",
        "wizards/wms_iot_alert_ack_views.xml",
        "views/wms_iot_profile_views.xml",
        "views/wms_iot_gateway_views.xml",
        "views/wms_iot_sensor_views.xml",
        "views/wms_iot_reading_views.xml",
        "views/wms_iot_alert_views.xml",
        "views/res_config_settings_views.xml",
        "views/wms_iot_monitoring_menus.xml",
    ],
    "demo": [
        "demo/wms_iot_monitoring_demo.xml",
    ],
}

# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
{
    "name": "WMS Service Tickets",
    "summary": "Delivery exceptions become helpdesk tickets, routed by customer "
    "tier, tracked against SLA with warnings before breach, closed with "
    "CSAT and NPS",
    "version": "19.0.1.0.0",
    "category": "After-Sales",
    "author": "WMS Customer Care contributors",
    "license": "AGPL-3",
    "depends": [
        "stock",
        "portal",
        "rating",
        "wms_customer_profile",
        "helpdesk_mgmt",
        "helpdesk_mgmt_sla",
        "helpdesk_mgmt_rating",
    ],
    "data": [
        "security/wms_service_tickets_groups.xml",
        "security/ir.model.access.csv",
        "security/wms_service_tickets_security.xml",
        "data/mail_activity_type_data.xml",
        "data/helpdesk_data.xml",
        "data/wms_exception_type_data.xml",
        "data/helpdesk_sla_data.xml",
        "data/mail_template_data.xml",
        "data/ir_cron_data.xml",
        "wizards/wms_exception_report_views.xml",
        "views/wms_exception_type_views.xml",
        "views/helpdesk_ticket_views.xml",
        "views/helpdesk_sla_views.xml",
        "views/helpdesk_sla_report_views.xml",
        "views/wms_customer_tier_views.xml",
        "views/stock_picking_views.xml",
        "views/res_partner_views.xml",
        "views/wms_customer_kpi_views.xml",
        "views/res_config_settings_views.xml",
        "views/helpdesk_portal_templates.xml",
        "views/rating_templates.xml",
        "views/rating_rating_views.xml",
        "views/wms_service_tickets_menus.xml",
    ],
    "demo": [
        "demo/wms_service_tickets_demo.xml",
    ],
}

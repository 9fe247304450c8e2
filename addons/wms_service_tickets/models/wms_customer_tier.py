# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models

from .wms_exception_type import TICKET_PRIORITIES


class WmsCustomerTier(models.Model):
    _inherit = "wms.customer.tier"

    ticket_priority = fields.Selection(
        TICKET_PRIORITIES,
        default="1",
        required=True,
        help="Lowest priority of this tier's tickets: the higher of this and "
        "the exception type's priority applies.",
    )
    route_to_account_manager = fields.Boolean(
        help="Assign this tier's tickets to the customer's account manager "
        "when the account manager is a member of the ticket's team.",
    )
    auto_exception_ticket = fields.Boolean(
        string="Automatic Late/Short Tickets",
        help="Open a ticket by itself when a delivery of a customer in this "
        "tier is validated late, or short without a backorder.",
    )

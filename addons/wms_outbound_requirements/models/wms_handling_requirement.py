# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import float_compare


class WmsHandlingRequirement(models.Model):
    """What a customer (or one of its delivery addresses) asks of every
    delivery: copied onto each outgoing transfer when it is confirmed."""

    _name = "wms.handling.requirement"
    _description = "Customer Handling Requirement"
    _inherit = ["mail.thread"]
    _order = "partner_id, sequence, id"
    _check_company_auto = True

    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        ondelete="cascade",
        check_company=True,
        tracking=True,
        help="The customer (company), or one of its delivery addresses: an "
        "address's own requirements add to its company's.",
    )
    company_id = fields.Many2one(
        "res.company",
        default=lambda self: self.env.company,
        index=True,
        help="Company whose deliveries this requirement applies to; empty "
        "for every company.",
    )
    type_id = fields.Many2one(
        "wms.handling.requirement.type",
        string="Type",
        required=True,
        ondelete="restrict",
        tracking=True,
    )
    category = fields.Selection(related="type_id.category", store=True)
    icon = fields.Char(related="type_id.icon")
    color = fields.Integer(related="type_id.color", string="Color")
    name = fields.Char(
        compute="_compute_name",
        store=True,
        precompute=True,
        readonly=False,
        required=True,
        translate=False,
        tracking=True,
    )
    instructions = fields.Text(
        tracking=True, help="What the picker must do: printed on the picking list."
    )
    blocking = fields.Boolean(
        compute="_compute_blocking",
        store=True,
        precompute=True,
        readonly=False,
        tracking=True,
        help="The delivery cannot be validated until a warehouse user has "
        "acknowledged this requirement.",
    )
    product_category_ids = fields.Many2many(
        "product.category",
        string="Product Categories",
        help="Applies only to deliveries containing products of these "
        "categories (or their sub-categories). Empty: every delivery.",
    )
    product_ids = fields.Many2many(
        "product.product",
        string="Products",
        check_company=True,
        help="Applies only to deliveries containing these products. Empty: "
        "every delivery.",
    )
    temperature_min = fields.Float(string="Min. Temperature (°C)", tracking=True)
    temperature_max = fields.Float(string="Max. Temperature (°C)", tracking=True)
    date_start = fields.Date(
        string="Valid From", help="Applies to deliveries scheduled from this day."
    )
    date_end = fields.Date(
        string="Valid Until", help="Applies to deliveries scheduled until this day."
    )
    active = fields.Boolean(default=True, tracking=True)
    sequence = fields.Integer(default=10)

    @api.depends("type_id")
    def _compute_name(self):
        for requirement in self:
            if not requirement.name and requirement.type_id:
                requirement.name = requirement.type_id.name

    @api.depends("type_id")
    def _compute_blocking(self):
        for requirement in self:
            requirement.blocking = requirement.type_id.default_blocking

    @api.constrains("category", "temperature_min", "temperature_max")
    def _check_temperature(self):
        for requirement in self:
            if requirement.category != "temperature":
                continue
            if (
                float_compare(
                    requirement.temperature_min,
                    requirement.temperature_max,
                    precision_digits=2,
                )
                >= 0
            ):
                raise ValidationError(
                    self.env._(
                        "The minimum temperature (%(min)s °C) of requirement "
                        "'%(name)s' must be lower than its maximum (%(max)s °C).",
                        min=requirement.temperature_min,
                        max=requirement.temperature_max,
                        name=requirement.name,
                    )
                )

    @api.constrains("date_start", "date_end")
    def _check_dates(self):
        for requirement in self:
            if (
                requirement.date_start
                and requirement.date_end
                and requirement.date_start > requirement.date_end
            ):
                raise ValidationError(
                    self.env._(
                        "Requirement '%(name)s' ends before it starts.",
                        name=requirement.name,
                    )
                )

    def _wms_temperature_text(self):
        """'2 to 8 °C' for temperature requirements, else ''."""
        self.ensure_one()
        if self.category != "temperature":
            return ""
        return self.env._(
            "%(min)s to %(max)s °C",
            min=f"{self.temperature_min:g}",
            max=f"{self.temperature_max:g}",
        )

    def _wms_applies_to(self, picking):
        """Whether this requirement applies to ``picking`` (its company, the
        validity dates around its scheduled date, its products).

        Validity days are local: the day of the scheduled date in the
        delivery's time zone (``stock.picking._wms_delivery_tz``)."""
        self.ensure_one()
        if self.company_id and self.company_id != picking.company_id:
            return False
        day = self.env["res.partner"]._wms_local_date(
            picking.scheduled_date or fields.Datetime.now(),
            picking._wms_delivery_tz(),
        )
        if (self.date_start and day < self.date_start) or (
            self.date_end and day > self.date_end
        ):
            return False
        if not self.product_ids and not self.product_category_ids:
            return True
        products = picking.move_ids.filtered(lambda m: m.state != "cancel").product_id
        if self.product_ids & products:
            return True
        # a category matches its products and those of its sub-categories
        categories = {
            int(categ_id)
            for path in products.categ_id.mapped("parent_path")
            for categ_id in path.split("/")
            if categ_id
        }
        return bool(categories.intersection(self.product_category_ids.ids))

    def _wms_snapshot_values(self, picking):
        self.ensure_one()
        return {
            "picking_id": picking.id,
            "requirement_id": self.id,
            "sequence": self.sequence,
            "name": self.name,
            "type_id": self.type_id.id,
            "instructions": self.instructions,
            "temperature_text": self._wms_temperature_text(),
            "blocking": self.blocking,
        }

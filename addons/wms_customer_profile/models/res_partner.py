# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import operator as py_operator
from collections.abc import Collection
from datetime import date, datetime

import pytz

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.fields import Domain
from odoo.tools import format_list

# partner field -> wms.customer.kpi field
KPI_FIELDS = {
    "wms_delivery_count": "delivery_count",
    "wms_on_time_rate": "on_time_rate",
    "wms_accuracy_rate": "accuracy_rate",
    "wms_return_rate": "return_rate",
    "wms_last_delivery_date": "last_delivery_date",
}


def kpi_search(fname):
    """The ``search=`` of the partner KPI field ``fname`` (a key of
    ``res.partner._wms_kpi_fields``): a condition on the current company's
    KPI row, through ``_search_wms_kpi``."""

    def search(partners, operator, value):
        return partners._search_wms_kpi(fname, operator, value)

    return search


USER_GROUP = "wms_customer_profile.wms_customer_profile_group_user"
MANAGER_GROUP = "wms_customer_profile.wms_customer_profile_group_manager"

# Customer Care fields and the group that may change them (all internal users
# read them: field ``groups=`` would hide them too, so create/write check them)
GUARDED_FIELDS = {
    "wms_tier_id": USER_GROUP,
    "wms_account_manager_id": USER_GROUP,
    "wms_tier_locked": MANAGER_GROUP,
}

_OPERATORS = {
    "=": py_operator.eq,
    "!=": py_operator.ne,
    "<": py_operator.lt,
    "<=": py_operator.le,
    ">": py_operator.gt,
    ">=": py_operator.ge,
}


def _matches_empty(operator, value, empty):
    """Whether a customer without a KPI row (every figure empty) matches."""
    if operator in ("in", "not in"):
        values = (
            value
            if isinstance(value, Collection) and not isinstance(value, str)
            else [value]
        )
        hit = any(v is False or v is None or v == empty for v in values)
        return hit if operator == "in" else not hit
    if empty is False or value is False or value is None:
        return False  # an empty date is neither before nor after anything
    return _OPERATORS[operator](empty, value)


class ResPartner(models.Model):
    _inherit = "res.partner"

    wms_tier_id = fields.Many2one(
        "wms.customer.tier",
        string="Customer Tier",
        company_dependent=True,
        tracking=True,
        ondelete="restrict",
        help="How this company serves the customer. Each company tiers its "
        "customers for itself.",
    )
    wms_tier_locked = fields.Boolean(
        string="Tier Locked",
        company_dependent=True,
        help="Keep the tier set by hand: automatic segmentation never changes "
        "a locked tier.",
    )
    wms_tier_color = fields.Integer(related="wms_tier_id.color", string="Tier Color")
    wms_account_manager_id = fields.Many2one(
        "res.users",
        string="Account Manager",
        domain=[("share", "=", False)],
        tracking=True,
        help="Customer Care contact in charge of this customer.",
    )
    wms_credit_rating = fields.Selection(
        [
            ("a", "A - Excellent"),
            ("b", "B - Good"),
            ("c", "C - Watch"),
            ("d", "D - Prepayment only"),
        ],
        string="Credit Rating",
        groups="wms_customer_profile.wms_customer_profile_group_manager",
        tracking=True,
    )
    wms_preferred_channel = fields.Selection(
        [
            ("phone", "Phone"),
            ("email", "Email"),
            ("wechat", "WeChat"),
            ("portal", "Portal"),
            ("sms", "SMS"),
            ("other", "Other"),
        ],
        string="Preferred Channel",
    )
    wms_service_notes = fields.Text(
        string="Service Notes",
        help="How this customer wants to be served: contacts, habits, things to avoid.",
    )
    wms_customer_since = fields.Date(
        string="Customer Since",
        help="Date of the first delivery, filled automatically unless set by hand.",
    )
    # current company's delivery KPIs (rows of wms.customer.kpi)
    wms_delivery_count = fields.Integer(
        string="Deliveries",
        compute="_compute_wms_kpi",
        search=kpi_search("wms_delivery_count"),
    )
    wms_on_time_rate = fields.Float(
        string="On-Time Rate (%)",
        digits=(5, 2),
        compute="_compute_wms_kpi",
        search=kpi_search("wms_on_time_rate"),
    )
    wms_accuracy_rate = fields.Float(
        string="Accuracy Rate (%)",
        digits=(5, 2),
        compute="_compute_wms_kpi",
        search=kpi_search("wms_accuracy_rate"),
    )
    wms_return_rate = fields.Float(
        string="Return Rate (%)",
        digits=(5, 2),
        compute="_compute_wms_kpi",
        search=kpi_search("wms_return_rate"),
    )
    wms_last_delivery_date = fields.Datetime(
        string="Last Delivery",
        compute="_compute_wms_kpi",
        search=kpi_search("wms_last_delivery_date"),
    )
    wms_kpi_date_refreshed = fields.Datetime(
        string="KPIs Refreshed On", compute="_compute_wms_kpi"
    )
    # smart buttons
    wms_open_delivery_count = fields.Integer(
        string="Open Delivery Count", compute="_compute_wms_picking_counts"
    )
    wms_late_delivery_count = fields.Integer(
        string="Late Delivery Count", compute="_compute_wms_picking_counts"
    )
    wms_done_delivery_count = fields.Integer(
        string="Done Delivery Count", compute="_compute_wms_picking_counts"
    )
    wms_return_picking_count = fields.Integer(
        string="Return Count", compute="_compute_wms_picking_counts"
    )

    @api.model
    def _commercial_fields(self):
        return super()._commercial_fields() + [
            "wms_tier_id",
            "wms_tier_locked",
            "wms_account_manager_id",
            "wms_credit_rating",
            "wms_preferred_channel",
            "wms_service_notes",
            "wms_customer_since",
        ]

    # ------------------------------------------------------------------
    # Local dates: the one timezone chain of every WMS module
    # ------------------------------------------------------------------
    def _wms_tz(self, company=None):
        """The timezone of dates concerning deliveries to this address: the
        address's own, else its commercial partner's, else the company
        partner's (``company``, default the current one), else UTC.

        Unknown names (a stale ``tz``) are skipped, as the KPI statements
        skip them (``wms.customer.kpi._tz_sql``). ``self`` may be empty (no
        address): the company's, else UTC.
        """
        # self itself when it is one record: a slice would lose the prefetch
        # of the recordset it was browsed in (one query per record)
        partner = self if len(self) <= 1 else self[:1]
        company = company or self.env.company
        valid = self.env["wms.customer.kpi"]._valid_timezones()
        for name in (
            partner.tz,
            partner.commercial_partner_id.tz,
            company.partner_id.tz,
        ):
            if name in valid:
                return name
        return "UTC"

    @api.model
    def _wms_local_date(self, value, tz):
        """The local date in ``tz`` (a name; unknown names read as UTC) of
        ``value``: a naive UTC datetime (as Odoo stores them) or its string,
        or an aware datetime. A date is local already and comes back as it
        is; no value gives False."""
        if not value:
            return False
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        if not isinstance(value, datetime):
            value = fields.Datetime.to_datetime(value)
        if not value.tzinfo:
            value = pytz.utc.localize(value)
        valid = self.env["wms.customer.kpi"]._valid_timezones()
        zone = pytz.timezone(tz) if tz in valid else pytz.utc
        return value.astimezone(zone).date()

    @api.model
    def _wms_user_tz(self, user, fallback):
        """The timezone of dates ``user`` reads (an activity's deadline):
        theirs, else ``fallback`` (a stale name of theirs is skipped)."""
        if user and user.tz in self.env["wms.customer.kpi"]._valid_timezones():
            return user.tz
        return fallback

    @api.model
    def _wms_kpi_fields(self):
        """{partner field: ``wms.customer.kpi`` column}: the current
        company's KPI figures shown and searched on the customer. A module
        that adds KPI columns adds its fields here (computed by
        ``_compute_wms_kpi``, searched through ``_search_wms_kpi``)."""
        return dict(KPI_FIELDS)

    @api.model
    def _wms_kpi_field_names(self):
        return list(self._wms_kpi_fields()) + ["wms_kpi_date_refreshed"]

    @api.depends_context("company")
    def _compute_wms_kpi(self):
        Kpi = self.env["wms.customer.kpi"]
        kpis = Kpi.search(
            [
                ("partner_id", "in", self.commercial_partner_id.ids),
                ("company_id", "=", self.env.company.id),
            ]
        )
        by_partner = {kpi.partner_id.id: kpi for kpi in kpis}
        last_full_refresh = Kpi._get_last_full_refresh()
        kpi_fields = self._wms_kpi_fields()
        for partner in self:
            kpi = by_partner.get(partner.commercial_partner_id.id)
            for fname, kpi_fname in kpi_fields.items():
                partner[fname] = kpi[kpi_fname] if kpi else False
            # figures are as of the last change or the last full recompute
            dates = [d for d in (kpi and kpi.date_refreshed, last_full_refresh) if d]
            partner.wms_kpi_date_refreshed = max(dates) if dates else False

    @api.model
    def _wms_tier_search_domain(self, partner_path, operator, value):
        """Domain on a model with ``company_id`` whose records match when the
        partner at ``partner_path`` has the tier condition in the record's
        company (tiers are company-dependent)."""
        Partner = self.with_context(active_test=False)
        return Domain.OR(
            Domain("company_id", "=", company.id)
            & Domain(
                partner_path,
                "in",
                Partner.with_company(company)._search(
                    [("wms_tier_id", operator, value)]
                ),
            )
            for company in self.env.companies
        )

    def _search_wms_kpi(self, fname, operator, value):
        kpi_fname = self._wms_kpi_fields()[fname]
        Kpi = self.env["wms.customer.kpi"]
        if operator not in _OPERATORS and operator not in ("in", "not in"):
            return NotImplemented
        company = Domain("company_id", "=", self.env.company.id)
        condition = Domain(kpi_fname, operator, value)
        field = Kpi._fields[kpi_fname]
        empty = False if field.type == "datetime" else 0
        if _matches_empty(operator, value, empty):
            # customers without a row match too: exclude the rows that don't
            failing = Kpi._search(company & ~condition)
            return Domain(
                "commercial_partner_id", "not in", failing.subselect("partner_id")
            )
        matching = Kpi._search(company & condition)
        return Domain("commercial_partner_id", "in", matching.subselect("partner_id"))

    def _wms_picking_domains(self):
        """Transfer domains behind the smart buttons, by counter field: the
        buttons count them and open them.

        Deliveries are outgoing transfers that are not returns, counted for
        the commercial partner of their contact, as the KPIs count them: a
        sub-company (a company whose parent is the customer) is a customer
        of its own, its deliveries are not its parent's. Returns are those
        of such deliveries.
        """
        customers = self.commercial_partner_id.ids
        deliveries = Domain(
            [
                ("partner_id.commercial_partner_id", "in", customers),
                ("picking_type_code", "=", "outgoing"),
                ("return_id", "=", False),
            ]
        )
        open_ = Domain("state", "not in", ("done", "cancel"))
        now = fields.Datetime.now()
        late = Domain("date_deadline", "<", now) | (
            Domain("date_deadline", "=", False) & Domain("scheduled_date", "<", now)
        )
        return {
            "wms_open_delivery_count": deliveries & open_,
            "wms_late_delivery_count": deliveries & open_ & late,
            "wms_done_delivery_count": deliveries & Domain("state", "=", "done"),
            "wms_return_picking_count": Domain(
                [
                    ("return_id.partner_id.commercial_partner_id", "in", customers),
                    ("return_id.picking_type_code", "=", "outgoing"),
                    ("state", "!=", "cancel"),
                ]
            ),
        }

    @api.depends_context("company", "uid")
    def _compute_wms_picking_counts(self):
        Picking = self.env["stock.picking"]
        counters = {}
        if self.commercial_partner_id and Picking.has_access("read"):
            for fname, domain in self._wms_picking_domains().items():
                customer = (
                    "return_id.partner_id.commercial_partner_id"
                    if fname == "wms_return_picking_count"
                    else "partner_id.commercial_partner_id"
                )
                counters[fname] = dict(
                    Picking._read_group(domain, [customer], ["__count"])
                )
        for partner in self:
            for fname in (
                "wms_open_delivery_count",
                "wms_late_delivery_count",
                "wms_done_delivery_count",
                "wms_return_picking_count",
            ):
                counter = counters.get(fname, {})
                partner[fname] = counter.get(partner.commercial_partner_id, 0)

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._wms_check_guarded_fields(vals, creating=True)
        return super().create(vals_list)

    def write(self, vals):
        if self:
            self._wms_check_guarded_fields(vals)
        return super().write(vals)

    def _wms_check_guarded_fields(self, vals, creating=False):
        """Refuse a change of a Customer Care field (``GUARDED_FIELDS``) by a
        user outside the group that owns it. Import goes through here too.

        A field's current value sent back unchanged (an empty one when
        creating) passes: a form or an import that re-sends it changes
        nothing. When creating, the caller's ``default_*`` context keys
        count as values. The superuser passes: Odoo copies these commercial
        fields from a company to its contacts as superuser (``_fields_sync``).
        """
        if self.env.su:
            return
        context = self.env.context
        denied = {}
        for fname, group in GUARDED_FIELDS.items():
            if fname in vals:
                value = vals[fname]
            elif creating and f"default_{fname}" in context:
                value = context[f"default_{fname}"]
            else:
                continue
            if self.env.user.has_group(group):
                continue
            field = self._fields[fname]
            new = field.convert_to_record(field.convert_to_cache(value, self), self)
            if creating:
                unchanged = not new
            else:
                unchanged = all(partner[fname] == new for partner in self)
            if not unchanged:
                denied.setdefault(group, []).append(field._description_string(self.env))
        if not denied:
            return
        messages = []
        if USER_GROUP in denied:
            messages.append(
                self.env._(
                    "Only Customer Care users can change these fields: %(fields)s.",
                    fields=format_list(self.env, denied[USER_GROUP]),
                )
            )
        if MANAGER_GROUP in denied:
            messages.append(
                self.env._(
                    "Only Customer Care managers can change these fields: %(fields)s.",
                    fields=format_list(self.env, denied[MANAGER_GROUP]),
                )
            )
        raise AccessError("\n".join(messages))

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def wms_refresh_kpi(self):
        """Recompute the delivery KPIs of these customers now (all companies).

        Customer Care managers only; callable over XML-RPC and /json/2.
        """
        if not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(
                self.env._("Only Customer Care managers can refresh delivery KPIs.")
            )
        self.check_access("read")
        # Access checked above; the refresh writes derived rows of every
        # company of these customers, which the manager may not all see.
        self.env["wms.customer.kpi"].sudo()._refresh(
            partner_ids=self.commercial_partner_id.ids
        )
        return True

    def _wms_picking_action(self, counter, name):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "stock.action_picking_tree_all"
        )
        action.update(
            {
                "name": name,
                "domain": list(self._wms_picking_domains()[counter]),
                "context": {"create": False, "default_partner_id": self.id},
            }
        )
        return action

    def action_wms_view_open_deliveries(self):
        return self._wms_picking_action(
            "wms_open_delivery_count", self.env._("Open Deliveries")
        )

    def action_wms_view_late_deliveries(self):
        return self._wms_picking_action(
            "wms_late_delivery_count", self.env._("Late Deliveries")
        )

    def action_wms_view_done_deliveries(self):
        return self._wms_picking_action(
            "wms_done_delivery_count", self.env._("Done Deliveries")
        )

    def action_wms_view_returns(self):
        return self._wms_picking_action(
            "wms_return_picking_count", self.env._("Returns")
        )

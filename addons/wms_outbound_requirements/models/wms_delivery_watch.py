# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import logging
from collections import defaultdict
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import SQL, float_round
from odoo.tools.misc import format_datetime

_logger = logging.getLogger(__name__)

HORIZON_PARAM = "wms_outbound_requirements.watch_horizon_hours"
DEFAULT_HORIZON_HOURS = 4.0
# activities created or closed per committed batch when run as a cron
BATCH_SIZE = 500
ACTIVITY_TYPES = {
    "late": "wms_outbound_requirements.mail_activity_type_late_risk",
    "shortage": "wms_outbound_requirements.mail_activity_type_stock_shortage",
    "window": "wms_outbound_requirements.mail_activity_type_outside_window",
}
# alternatives suggested per short product
MAX_ALTERNATIVES = 3


class WmsDeliveryWatch(models.AbstractModel):
    """The proactive watch over open deliveries (scheduled action, every 15
    minutes): one activity per delivery and condition (late risk, stock
    shortage, outside the delivery window), closed when the condition
    clears. Conditions are found with set-based queries."""

    _name = "wms.delivery.watch"
    _description = "Delivery Watch"

    @api.model
    def _horizon_hours(self):
        value = self.env["ir.config_parameter"].sudo().get_param(HORIZON_PARAM)
        try:
            hours = float(value) if value else DEFAULT_HORIZON_HOURS
        except ValueError:
            hours = DEFAULT_HORIZON_HOURS
        return hours if hours >= 0 else DEFAULT_HORIZON_HOURS

    @api.model
    def _activity_types(self):
        return {
            kind: self.env.ref(xmlid, raise_if_not_found=False)
            for kind, xmlid in ACTIVITY_TYPES.items()
        }

    # ------------------------------------------------------------------
    # Conditions: each returns {picking id: activity values}, with "due"
    # (naive UTC) for the deadline, made a local date once the assignee is
    # known (see _run)
    # ------------------------------------------------------------------
    @api.model
    def _open_delivery_sql(self, *conditions):
        return SQL(
            """
            SELECT p.id
              FROM stock_picking p
              JOIN stock_picking_type t ON t.id = p.picking_type_id
             WHERE t.code = 'outgoing'
               AND p.state NOT IN ('draft', 'done', 'cancel')
               AND %s
             ORDER BY p.id
            """,
            SQL(" AND ").join(conditions),
        )

    @api.model
    def _query_ids(self, query):
        return [row[0] for row in self.env.execute_query(query)]

    @api.model
    def _late_risk(self, limit):
        Picking = self.env["stock.picking"]
        pickings = Picking.browse(
            self._query_ids(
                self._open_delivery_sql(
                    SQL("COALESCE(p.date_deadline, p.scheduled_date) <= %s", limit)
                )
            )
        )
        # the flag behind the "Late risk" filter
        stale = Picking.search(
            [("wms_late_risk", "=", True), ("id", "not in", pickings.ids)]
        )
        stale.write({"wms_late_risk": False})
        pickings.filtered(lambda p: not p.wms_late_risk).write({"wms_late_risk": True})
        result = {}
        for picking in pickings:
            due = picking.date_deadline or picking.scheduled_date
            tz = picking._wms_delivery_tz()
            result[picking.id] = {
                "summary": self.env._("Delivery at risk of being late"),
                "note": Markup("<p>%s</p>")
                % self.env._(
                    "%(picking)s for %(customer)s is due %(due)s (%(tz)s) and "
                    "is not done yet.",
                    picking=picking.name,
                    customer=picking.partner_id.commercial_partner_id.display_name,
                    due=format_datetime(self.env, due, tz=tz),
                    tz=tz,
                ),
                "due": due,
            }
        return result

    @api.model
    def _shortage(self, limit):
        """Deliveries due within the horizon that still wait for stock, with
        each short product, the quantity still needed, its free quantity in
        the warehouse's stock location and products of the same category
        with enough free stock there."""
        pickings = self.env["stock.picking"].browse(
            self._query_ids(
                self._open_delivery_sql(
                    SQL("COALESCE(p.date_deadline, p.scheduled_date) <= %s", limit),
                    SQL(
                        """(p.state IN ('confirmed', 'waiting') OR EXISTS (
                            SELECT 1 FROM stock_move m
                             WHERE m.picking_id = p.id
                               AND m.state IN ('confirmed', 'partially_available')))
                        """
                    ),
                )
            )
        )
        shorts = {}  # picking -> [(product, needed)]
        for picking in pickings:
            needed = defaultdict(float)
            for move in picking.move_ids:
                qty = self._short_qty(move)
                if qty > 0:
                    needed[move.product_id] += qty
            if needed:
                shorts[picking] = list(needed.items())
        if not shorts:
            return {}
        stock_location = {
            picking: picking.picking_type_id.warehouse_id.lot_stock_id
            or picking.location_id
            for picking in shorts
        }
        products = self.env["product.product"].union(
            *(product for lines in shorts.values() for product, _qty in lines)
        )
        free = self._free_stock(
            self.env["stock.location"].union(*stock_location.values()),
            products.categ_id,
        )
        items_by_picking = {}
        for picking, lines in shorts.items():
            location_free = free.get(stock_location[picking].id, {})
            items_by_picking[picking] = [
                (
                    product,
                    qty,
                    location_free.get(product.id, (0.0, False))[0],
                    sorted(
                        (
                            (free_qty, alt_id)
                            for alt_id, (free_qty, categ_id) in location_free.items()
                            if categ_id == product.categ_id.id
                            and alt_id != product.id
                            and free_qty >= qty
                        ),
                        reverse=True,
                    )[:MAX_ALTERNATIVES],
                )
                for product, qty in lines
            ]
        # every alternative of the batch in one recordset: their names are
        # read together, not one query per product
        alternative_ids = {
            alt_id
            for items in items_by_picking.values()
            for _product, _qty, _free, alternatives in items
            for _free_qty, alt_id in alternatives
        }
        alternative_products = {
            product.id: product
            for product in self.env["product.product"].browse(sorted(alternative_ids))
        }
        result = {}
        for picking, lines in items_by_picking.items():
            location = stock_location[picking]
            items = [
                self._shortage_item(
                    product,
                    qty,
                    product_free,
                    [
                        (free_qty, alternative_products[alt_id])
                        for free_qty, alt_id in alternatives
                    ],
                )
                for product, qty, product_free, alternatives in lines
            ]
            result[picking.id] = {
                "summary": self.env._("Stock shortage"),
                "note": Markup("<p>%s</p><ul>%s</ul>")
                % (
                    self.env._(
                        "%(picking)s cannot be fully reserved in %(location)s:",
                        picking=picking.name,
                        location=location.display_name,
                    ),
                    Markup().join(items),
                ),
                "due": picking.date_deadline or picking.scheduled_date,
            }
        return result

    @api.model
    def _short_qty(self, move):
        """Quantity of ``move`` (in its product's unit) not reserved yet; for
        a move waiting for an earlier step (2- and 3-step delivery), what that
        step still lacks."""
        if move.state in ("confirmed", "partially_available"):
            missing = move.product_uom._compute_quantity(
                max(move.product_uom_qty - move.quantity, 0.0), move.product_id.uom_id
            )
        elif move.state == "waiting":
            missing = min(
                sum(
                    self._short_qty(orig)
                    for orig in move.move_orig_ids
                    if orig.product_id == move.product_id
                ),
                move.product_qty,
            )
        else:
            missing = 0.0
        return float_round(missing, precision_rounding=move.product_id.uom_id.rounding)

    @api.model
    def _free_stock(self, locations, categories):
        """{location id: {product id: (free qty, category id)}} for the
        products of ``categories`` with free stock in ``locations`` (and
        their sub-locations): one query."""
        if not locations or not categories:
            return {}
        self.env["stock.quant"].flush_model(
            ["product_id", "location_id", "quantity", "reserved_quantity"]
        )
        rows = self.env.execute_query(
            SQL(
                """
                SELECT root.id, q.product_id, pt.categ_id,
                       SUM(q.quantity - q.reserved_quantity)
                  FROM stock_location root
                  JOIN stock_location loc
                    ON loc.parent_path LIKE root.parent_path || '%%'
                  JOIN stock_quant q ON q.location_id = loc.id
                  JOIN product_product pp ON pp.id = q.product_id
                  JOIN product_template pt ON pt.id = pp.product_tmpl_id
                 WHERE root.id = ANY(%s)
                   AND pt.categ_id = ANY(%s)
                   AND pp.active AND pt.active
                 GROUP BY root.id, q.product_id, pt.categ_id
                HAVING SUM(q.quantity - q.reserved_quantity) > 0
                """,
                locations.ids,
                categories.ids,
            )
        )
        free = defaultdict(dict)
        for location_id, product_id, categ_id, qty in rows:
            free[location_id][product_id] = (qty, categ_id)
        return free

    @api.model
    def _shortage_item(self, product, needed, free, alternatives):
        """One short product of a delivery; ``alternatives``: [(free
        quantity, product)], products of one recordset (prefetched)."""
        uom = product.uom_id.name
        text = self.env._(
            "%(product)s: %(needed)s %(uom)s still needed, %(free)s %(uom)s free.",
            product=product.display_name,
            needed=f"{needed:g}",
            free=f"{free:g}",
            uom=uom,
        )
        if alternatives:
            suggestion = self.env._(
                "Alternatives with enough free stock: %(products)s",
                products=", ".join(
                    f"{alternative.display_name} ({qty:g} {uom})"
                    for qty, alternative in alternatives
                ),
            )
        else:
            suggestion = self.env._(
                "No product of the same category has enough free stock."
            )
        return Markup("<li>%s<br/>%s</li>") % (text, suggestion)

    @api.model
    def _outside_window(self):
        now = fields.Datetime.now()
        pickings = self.env["stock.picking"].browse(
            self._query_ids(
                self._open_delivery_sql(
                    SQL("p.wms_window_ok IS NOT TRUE"),
                    SQL("p.scheduled_date IS NOT NULL"),
                )
            )
        )
        result = {}
        for picking in pickings:
            partner = picking._wms_window_partner()
            result[picking.id] = {
                "summary": self.env._("Outside the delivery window"),
                "note": Markup("<p>%s</p>")
                % picking._wms_window_message(partner, picking.wms_next_window_start),
                "due": now,  # today, in the assignee's time zone
            }
        return result

    # ------------------------------------------------------------------
    # Activities
    # ------------------------------------------------------------------
    @api.model
    def _run(self, in_cron=False):
        """Find every condition, then create the missing activities, update
        changed ones and close those whose condition cleared. Re-runs create
        nothing twice.

        :param in_cron: run by the scheduled action
            (``stock.picking._cron_wms_watch_deliveries``): progress is
            committed in batches. Never read from the context, which any
            RPC caller sets.
        """
        self.env["stock.picking"].flush_model()
        self.env["stock.move"].flush_model()
        limit = fields.Datetime.now() + timedelta(hours=self._horizon_hours())
        wanted = {
            "late": self._late_risk(limit),
            "shortage": self._shortage(limit),
            "window": self._outside_window(),
        }
        types = self._activity_types()
        Activity = self.env["mail.activity"].with_context(
            mail_activity_quick_update=True  # no e-mail per assignment
        )
        existing = Activity.search(
            [
                ("res_model", "=", "stock.picking"),
                ("activity_type_id", "in", [t.id for t in types.values() if t]),
            ]
        )
        by_key = {(a.activity_type_id.id, a.res_id): a for a in existing}
        to_create, to_close = [], Activity
        model_id = self.env["ir.model"]._get_id("stock.picking")
        Partner = self.env["res.partner"]
        for kind, values_by_id in wanted.items():
            activity_type = types[kind]
            if not activity_type:
                continue
            pickings = self.env["stock.picking"].browse(values_by_id)
            users = self._assignees(pickings)
            for picking in pickings:
                values = dict(values_by_id[picking.id])
                due = values.pop("due")
                activity = by_key.pop((activity_type.id, picking.id), None)
                if activity:
                    if activity.note != values["note"]:
                        activity.note = values["note"]
                    continue
                user = users.get(picking.id) or self.env["res.users"]
                # the deadline is a day of the assignee's calendar
                tz = Partner._wms_user_tz(user, picking._wms_delivery_tz())
                to_create.append(
                    dict(
                        values,
                        date_deadline=Partner._wms_local_date(due, tz),
                        res_model_id=model_id,
                        res_id=picking.id,
                        activity_type_id=activity_type.id,
                        user_id=user.id,
                    )
                )
        to_close = Activity.union(*by_key.values())
        total = len(to_create) + len(to_close)
        done = 0
        for start in range(0, len(to_create), BATCH_SIZE):
            batch = to_create[start : start + BATCH_SIZE]
            Activity.create(batch)
            done += len(batch)
            if in_cron and self._progress(len(batch), total - done) <= 0:
                return
        for start in range(0, len(to_close), BATCH_SIZE):
            batch = to_close[start : start + BATCH_SIZE]
            batch._action_done(
                feedback=self.env._("Closed automatically: the condition cleared.")
            )
            done += len(batch)
            if in_cron and self._progress(len(batch), total - done) <= 0:
                return
        _logger.info(
            "Delivery watch: %s late risk, %s shortage, %s outside window; "
            "%s activities created, %s closed",
            len(wanted["late"]),
            len(wanted["shortage"]),
            len(wanted["window"]),
            len(to_create),
            len(to_close),
        )

    @api.model
    def _progress(self, processed, remaining):
        return self.env["ir.cron"]._commit_progress(processed, remaining=remaining)

    @api.model
    def _assignees(self, pickings):
        """{picking id: user}: the customer's account manager, else the
        transfer's responsible, whoever of them may read the transfer."""
        candidates = {}
        for picking in pickings:
            manager = picking.partner_id.commercial_partner_id.wms_account_manager_id
            candidates[picking.id] = [u for u in (manager, picking.user_id) if u]
        readable = {}
        for user in {u for users in candidates.values() for u in users}:
            readable[user] = set(pickings.with_user(user)._filtered_access("read").ids)
        return {
            picking_id: next((u for u in users if picking_id in readable[u]), False)
            for picking_id, users in candidates.items()
        }

    @api.model
    def _close(self, pickings, kinds=None):
        """Close the watch activities of ``pickings`` (done, cancelled or
        rescheduled), of the given kinds or all."""
        if not pickings:
            return
        types = self._activity_types()
        type_ids = [t.id for kind, t in types.items() if t and kind in (kinds or types)]
        activities = (
            self.env["mail.activity"]
            .sudo()  # the user finishing the transfer may not own the activity
            .search(
                [
                    ("res_model", "=", "stock.picking"),
                    ("res_id", "in", pickings.ids),
                    ("activity_type_id", "in", type_ids),
                ]
            )
        )
        if activities:
            activities._action_done(
                feedback=self.env._("Closed automatically: the condition cleared.")
            )
        if not kinds or "late" in kinds:
            pickings.filtered(
                lambda p: p.wms_late_risk and p.state in ("done", "cancel")
            ).sudo().write({"wms_late_risk": False})

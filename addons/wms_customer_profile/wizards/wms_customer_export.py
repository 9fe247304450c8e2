# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import base64
import tempfile

import xlsxwriter

from odoo import api, fields, models
from odoo.exceptions import UserError

# partners read per batch: bounds the memory used for 100k customers
READ_BATCH = 2000


class WmsCustomerExport(models.TransientModel):
    _name = "wms.customer.export"
    _description = "Export Customer Profiles (XLSX)"

    partner_ids = fields.Many2many("res.partner", string="Customers")
    include_kpi = fields.Boolean(
        string="Include Delivery KPIs",
        default=True,
        help="Add the current company's delivery KPIs to each customer.",
    )
    file_data = fields.Binary(string="File", readonly=True, attachment=False)
    file_name = fields.Char(readonly=True)

    @api.model
    def default_get(self, fields_list):
        res = super().default_get(fields_list)
        ctx = self.env.context
        if (
            "partner_ids" in fields_list
            and not res.get("partner_ids")
            and ctx.get("active_model") == "res.partner"
            and ctx.get("active_ids")
        ):
            res["partner_ids"] = [fields.Command.set(ctx["active_ids"])]
        return res

    def _columns(self):
        """(header, kind, width) of each column, in order."""
        columns = [
            (self.env._("Customer"), "text", 36),
            (self.env._("Reference"), "text", 14),
            (self.env._("Tier"), "text", 16),
            (self.env._("Tier Locked"), "text", 11),
            (self.env._("Account Manager"), "text", 22),
        ]
        if self._can_read_credit_rating():
            columns.append((self.env._("Credit Rating"), "text", 20))
        columns += [
            (self.env._("Preferred Channel"), "text", 16),
            (self.env._("Customer Since"), "date", 14),
            (self.env._("Email"), "text", 28),
            (self.env._("Phone"), "text", 18),
            (self.env._("Service Notes"), "text", 40),
        ]
        if self.include_kpi:
            columns += [
                (self.env._("Deliveries"), "int", 11),
                (self.env._("On-Time Rate"), "pct", 13),
                (self.env._("Accuracy Rate"), "pct", 13),
                (self.env._("Return Rate"), "pct", 12),
                (self.env._("Last Delivery"), "date", 14),
            ]
        return columns

    def _can_read_credit_rating(self):
        return self.env.user.has_group(
            "wms_customer_profile.wms_customer_profile_group_manager"
        )

    def _selection_labels(self, fname):
        field = self.env["res.partner"]._fields[fname]
        return dict(field._description_selection(self.env))

    def action_export(self):
        self.ensure_one()
        # ids only: the batches below read the rest, applying record rules
        ids = self.with_context(active_test=False).partner_ids.ids
        if not ids:
            raise UserError(self.env._("Select at least one customer to export."))
        lang = self.env.user.lang or self.env.lang
        Partner = self.env["res.partner"].with_context(lang=lang, active_test=False)
        columns = self._columns()
        with_rating = self._can_read_credit_rating()
        channels = self._selection_labels("wms_preferred_channel")
        ratings = self._selection_labels("wms_credit_rating") if with_rating else {}
        yes, no = self.env._("Yes"), self.env._("No")
        tier_names = {
            tier.id: tier.name
            for tier in self.env["wms.customer.tier"]
            .with_context(lang=lang, active_test=False)
            .search([])
        }
        kpi_fnames = [
            "partner_id",
            "delivery_count",
            "on_time_rate",
            "accuracy_rate",
            "return_rate",
            "last_delivery_date",
        ]
        with tempfile.TemporaryDirectory() as tmpdir:
            path = f"{tmpdir}/export.xlsx"
            workbook = xlsxwriter.Workbook(
                path, {"constant_memory": True, "tmpdir": tmpdir}
            )
            sheet = workbook.add_worksheet(self.env._("Customers")[:31])
            formats = {
                "header": workbook.add_format({"bold": True, "bottom": 1}),
                "text": None,
                "int": workbook.add_format({"num_format": "0"}),
                "pct": workbook.add_format({"num_format": "0.0%"}),
                "date": workbook.add_format({"num_format": "yyyy-mm-dd"}),
            }
            for col, (header, kind, width) in enumerate(columns):
                sheet.set_column(col, col, width, formats[kind])
                sheet.write_string(0, col, header, formats["header"])
            sheet.freeze_panes(1, 0)

            fnames = [
                "complete_name",
                "ref",
                "commercial_partner_id",
                "wms_tier_id",
                "wms_tier_locked",
                "wms_account_manager_id",
                "wms_preferred_channel",
                "wms_customer_since",
                "email",
                "phone",
                "wms_service_notes",
            ]
            if with_rating:
                fnames.append("wms_credit_rating")
            managers = {}
            row_index = 0
            for start in range(0, len(ids), READ_BATCH):
                rows = self._select(
                    Partner,
                    [("id", "in", ids[start : start + READ_BATCH])],
                    fnames,
                    order=Partner._order,
                )
                kpis, tzs = {}, {}
                if self.include_kpi:
                    kpi_rows = self._select(
                        self.env["wms.customer.kpi"],
                        [
                            ("partner_id", "in", list({row[2] for row in rows})),
                            ("company_id", "=", self.env.company.id),
                        ],
                        kpi_fnames,
                    )
                    kpis = {
                        row[0]: dict(zip(kpi_fnames, row, strict=True))
                        for row in kpi_rows
                    }
                    # the last delivery is dated as "customer since" is: in
                    # the customer's timezone chain, not the reader's. Only
                    # timezone names are read (sudo): a customer's company
                    # may be one the user does not work in.
                    customers = Partner.sudo().browse(list(kpis))
                    tzs = {customer.id: customer._wms_tz() for customer in customers}
                new_managers = {row[5] for row in rows} - managers.keys() - {None}
                if new_managers:
                    # display names only: managers may belong to other companies
                    users = self.env["res.users"].sudo().browse(new_managers)
                    managers.update((user.id, user.name) for user in users)
                for row in rows:
                    rec = dict(zip(fnames, row, strict=True))
                    row_index += 1
                    values = [
                        rec["complete_name"],
                        rec["ref"] or "",
                        tier_names.get(rec["wms_tier_id"], ""),
                        yes if rec["wms_tier_locked"] else no,
                        managers.get(rec["wms_account_manager_id"], ""),
                    ]
                    if with_rating:
                        values.append(ratings.get(rec["wms_credit_rating"], ""))
                    values += [
                        channels.get(rec["wms_preferred_channel"], ""),
                        rec["wms_customer_since"],
                        rec["email"] or "",
                        rec["phone"] or "",
                        rec["wms_service_notes"] or "",
                    ]
                    if self.include_kpi:
                        kpi = kpis.get(rec["commercial_partner_id"]) or {}
                        last = Partner._wms_local_date(
                            kpi.get("last_delivery_date"),
                            tzs.get(rec["commercial_partner_id"]),
                        )
                        values += [
                            kpi.get("delivery_count", 0),
                            float(kpi.get("on_time_rate", 0.0)) / 100.0,
                            float(kpi.get("accuracy_rate", 0.0)) / 100.0,
                            float(kpi.get("return_rate", 0.0)) / 100.0,
                            last or None,
                        ]
                    self._write_row(sheet, row_index, values, columns, formats)
            sheet.autofilter(0, 0, max(row_index, 1), len(columns) - 1)
            workbook.close()
            with open(path, "rb") as xlsx:
                data = xlsx.read()
        self.write(
            {
                "file_data": base64.b64encode(data),
                "file_name": (
                    f"customer_profiles_{fields.Date.context_today(self)}.xlsx"
                ),
            }
        )
        return {
            "type": "ir.actions.act_url",
            "url": (
                f"/web/content/{self._name}/{self.id}/file_data/"
                f"{self.file_name}?download=true"
            ),
            "target": "self",
        }

    @api.model
    def _select(self, model, domain, fnames, order="id"):
        """Rows of ``fnames`` for the records of ``domain``, in one query.

        The query is built by the ORM (``_search``, ``_field_to_sql``): record
        rules and field access apply as for ``read``, without building a
        record per customer (20,000 customers export in seconds).
        """
        query = model._search(domain, order=order)
        return self.env.execute_query(
            query.select(*(model._field_to_sql(model._table, f, query) for f in fnames))
        )

    @staticmethod
    def _write_row(sheet, row, values, columns, formats):
        for col, (value, (_header, kind, _width)) in enumerate(
            zip(values, columns, strict=True)
        ):
            if value is None or value == "":
                continue  # the column carries the format already
            if kind == "date":
                sheet.write_datetime(row, col, value, formats[kind])
            elif kind in ("int", "pct"):
                sheet.write_number(row, col, value, formats[kind])
            else:
                sheet.write_string(row, col, str(value))

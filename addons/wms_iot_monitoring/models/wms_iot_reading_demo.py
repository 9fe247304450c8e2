# Copyright 2026 WMS Customer Care contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).

"""Fields of Odoo's own models that 19.0 renamed, under the name of the running series.

Values for `create`/`write` and domains must use the field's current name; the names follow
`odoo.release`, like compat/groups.py, so that they are known before any model is loaded.
"""

from odoo import release

_NINETEEN = release.version_info[0] >= 19

#: sale.order.line → account.tax (Many2many): `tax_id` until 18.0, `tax_ids` since 19.0
SALE_LINE_TAXES = "tax_ids" if _NINETEEN else "tax_id"

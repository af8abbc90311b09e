/** @odoo-module */

import { session } from "@web/session";

/**
 * Steps that choose `label` (value `value`) in the selection field `name` of a form, on Odoo
 * 18.0 (a native <select>) as on 19.0 (a SelectMenu: a toggler, then an item of its menu).
 */
export function chooseInSelection(name, value, label) {
    if ((session.server_version_info || [18])[0] < 19) {
        return [{ trigger: `div[name='${name}'] select`, run: `select "${value}"` }];
    }
    return [
        { trigger: `div[name='${name}'] .o_select_menu_toggler`, run: "click" },
        { trigger: `.o_select_menu_item:contains('${label}')`, run: "click" },
    ];
}

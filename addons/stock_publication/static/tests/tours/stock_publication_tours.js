/** @odoo-module */

import { registry } from "@web/core/registry";

// An operations user, during an incident, opens a channel, freezes its publication (the
// switch asks for confirmation and saves at once) and sees in the chatter who froze it and when.
registry.category("web_tour.tours").add("stock_publication_ops_freeze", {
    url: "/odoo/action-stock_publication.stock_publication_channel_action",
    steps: () => [
        {
            content: "Open the channel",
            trigger: ".o_kanban_record:contains('Tour Webshop stock')",
            run: "click",
        },
        {
            content: "It publishes normally",
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains('Live')",
        },
        {
            content: "The incident switch is off",
            trigger: ".o_field_widget[name='frozen'] input:not(:checked)",
        },
        {
            content: "Freeze publication",
            trigger: "button[name='action_freeze']",
            run: "click",
        },
        {
            content: "Confirm: nothing will be published until unfrozen",
            trigger: ".modal:contains('until you unfreeze it') .modal-footer button.btn-primary",
            run: "click",
        },
        {
            content: "Saved and frozen: the switch is on",
            trigger: ".o_form_saved .o_field_widget[name='frozen'] input:checked",
        },
        {
            content: "The statusbar says Frozen",
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains('Frozen')",
        },
        {
            content: "The ribbon says Frozen",
            trigger: ".ribbon:contains('Frozen')",
        },
        {
            content: "The freeze button gave way to Unfreeze",
            trigger: ".o_form_view:not(:has(button[name='action_freeze'])) button[name='action_unfreeze']",
        },
        {
            content: "The chatter says who froze it and when",
            trigger:
                ".o-mail-Message:has(.o-mail-Message-author:contains('Oscar Operations')) .o-mail-Message-body:contains('Incident switches changed by Oscar Operations at'):contains('UTC: publication frozen')",
        },
        {
            content: "And tracks the switch, by the same user",
            trigger:
                ".o-mail-Message:has(.o-mail-Message-author:contains('Oscar Operations')) .o-mail-Message-tracking:has(.o-mail-Message-trackingField:contains('Publication frozen')) .o-mail-Message-trackingNew:contains('Yes')",
        },
    ],
});

/** @odoo-module */

import { registry } from "@web/core/registry";

function addLine(product, pricelist, price) {
    return [
        {
            content: "Add a price line",
            trigger: ".o_field_widget[name='line_ids'] .o_field_x2many_list_row_add > a",
            run: "click",
        },
        {
            content: `Pick the product ${product}`,
            trigger: ".o_field_widget[name='line_ids'] .o_selected_row .o_field_widget[name='product_id'] input",
            run: `edit ${product}`,
        },
        {
            trigger: `.o-autocomplete--dropdown-item > a:contains('${product}')`,
            run: "click",
        },
        {
            content: `Pick the pricelist ${pricelist}`,
            trigger: ".o_field_widget[name='line_ids'] .o_selected_row .o_field_widget[name='pricelist_id'] input",
            run: `edit ${pricelist}`,
        },
        {
            trigger: `.o-autocomplete--dropdown-item > a:contains('${pricelist}')`,
            run: "click",
        },
        {
            content: `Type the new price ${price}`,
            trigger: ".o_field_widget[name='line_ids'] .o_selected_row .o_field_widget[name='fixed_price'] input",
            run: `edit ${price}`,
        },
    ];
}

// A pricing user prepares a price change from the Price Changes list: a reason, two lines
// (product, pricelist, new price), saves it and submits it for approval.
registry.category("web_tour.tours").add("price_governance_requester_submits", {
    url: "/odoo/action-price_governance.price_change_action",
    steps: () => [
        {
            content: "Switch the Price Changes to the list",
            trigger: "button.o_switch_view.o_list",
            run: "click",
        },
        {
            content: "Create a price change",
            trigger: ".o_list_view .o_list_button_add, .o_control_panel .o_list_button_add",
            run: "click",
        },
        {
            content: "Say why the prices change",
            trigger: ".o_form_view .o_field_widget[name='description'] input",
            run: "edit Tour spring increase",
        },
        ...addLine("Tour Kettle", "Tour Retail", "125"),
        ...addLine("Tour Toaster", "Tour Retail", "65"),
        {
            content: "Save",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "Saved with its two lines",
            trigger:
                ".o_form_saved .o_field_widget[name='line_ids'] .o_data_row:contains('Tour Kettle') ~ .o_data_row:contains('Tour Toaster')",
        },
        {
            content: "Submit it for approval",
            trigger: "button[name='action_submit']",
            run: "click",
        },
        {
            content: "It waits for approval",
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains('To Approve')",
        },
        {
            content: "The form says who must approve, and that it cannot be the requester",
            trigger: ".alert-info:contains('Waiting for approval by'):contains('Pricing User')",
        },
        {
            content: "The chatter notes the submission",
            trigger: ".o-mail-Message-body:contains('Submitted for approval by Tour Requester')",
        },
    ],
});

// The pricing manager finds the change in "To Approve", opens it, approves it, and checks
// the chatter and the versions the approval created.
registry.category("web_tour.tours").add("price_governance_manager_approves", {
    url: "/odoo/action-price_governance.price_change_action_to_approve",
    steps: () => [
        {
            content: "Open the change waiting for approval",
            trigger: ".o_list_view .o_data_row:contains('Tour spring increase') td[name='description']",
            run: "click",
        },
        {
            content: "It is waiting for approval",
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains('To Approve')",
        },
        {
            content: "No version yet",
            trigger: ".o_form_view:not(:has(button[name='action_open_versions']))",
        },
        {
            content: "Approve it",
            trigger: "button[name='action_approve']",
            run: "click",
        },
        {
            content: "The statusbar shows Approved",
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains('Approved')",
        },
        {
            content: "The chatter shows the approval and who gave it",
            trigger: ".o-mail-Message-body:contains('Approved by Mitchell Admin')",
        },
        {
            content: "The approval history lists both decisions",
            trigger: ".o_notebook a.nav-link:contains('Approval history')",
            run: "click",
        },
        {
            trigger:
                ".o_field_widget[name='approval_decision_ids'] .o_data_row:contains('Approved'):contains('Mitchell Admin')",
        },
        {
            trigger:
                ".o_field_widget[name='approval_decision_ids'] .o_data_row:contains('Submitted for approval'):contains('Tour Requester')",
        },
        {
            content: "Two versions were created: open them",
            trigger: "button[name='action_open_versions']:contains('2'):contains('Versions')",
            run: "click",
        },
        {
            content: "The kettle's version",
            trigger:
                ".o_list_view .o_data_row:contains('Tour Kettle'):contains('Tour Retail'):contains('125.00')",
        },
        {
            content: "The toaster's version, scheduled",
            trigger:
                ".o_list_view .o_data_row:contains('Tour Toaster'):contains('Tour Retail'):contains('65.00')",
        },
        {
            content: "Exactly two versions",
            trigger: ".o_list_view:not(:has(.o_data_row:nth-child(3))):has(.o_data_row:nth-child(2))",
        },
    ],
});

// A pricing manager opens a change in effect and reads, per channel, which version each one
// applied and which rejected it, and why.
registry.category("web_tour.tours").add("price_governance_channels_of_a_change", {
    url: "/odoo/action-price_governance.price_change_action",
    steps: () => [
        {
            content: "Switch the Price Changes to the list",
            trigger: "button.o_switch_view.o_list",
            run: "click",
        },
        {
            content: "Open the change",
            trigger: ".o_list_view .o_data_row:contains('Tour channel check') td[name='description']",
            run: "click",
        },
        {
            content: "Not published: a channel rejected it",
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains('Effective')",
        },
        {
            content: "Open the channels of the change",
            trigger: ".o_notebook a.nav-link:contains('Channels')",
            run: "click",
        },
        {
            content: "The tab says how many a channel rejected",
            trigger: ".o_notebook .text-danger:contains('rejected by a channel')",
        },
        {
            content: "Tour Shop applied version 1 of the kettle",
            trigger:
                ".o_field_widget[name='publication_ids'] .o_data_row:contains('Tour Shop'):contains('Tour Kettle'):contains('Applied') td[name='version_sent']:contains('1')",
        },
        {
            content: "Tour Market rejected it, and says why",
            trigger:
                ".o_field_widget[name='publication_ids'] .o_data_row:contains('Tour Market'):contains('Rejected'):contains('Below the minimum advertised price')",
        },
        {
            content: "Tour Outlet has not confirmed yet",
            trigger:
                ".o_field_widget[name='publication_ids'] .o_data_row:contains('Tour Outlet'):contains('Waiting for confirmation')",
        },
        {
            content: "The chatter tells the same",
            trigger: ".o-mail-Message-body:contains('Tour Market rejected')",
        },
    ],
});

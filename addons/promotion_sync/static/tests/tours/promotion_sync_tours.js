/** @odoo-module */

import { registry } from "@web/core/registry";

// A marketing user goes Sales > Products > Promotion Releases, opens their draft promotion, sees that
// it overlaps a live non-combinable promotion (warning and list), and sends it for approval.
registry.category("web_tour.tours").add("promotion_sync_marketing_submits", {
    url: "/odoo",
    steps: () => [
        {
            content: "Open the apps menu",
            trigger: ".o_navbar_apps_menu button",
            run: "click",
        },
        {
            content: "Go to Sales",
            trigger: ".o_app[data-menu-xmlid='sale.sale_menu_root']",
            run: "click",
        },
        {
            content: "Open Products",
            trigger: ".o_menu_sections [data-menu-xmlid='sale.product_menu_catalog']",
            run: "click",
        },
        {
            content: "Open Promotion Releases",
            trigger: ".dropdown-item[data-menu-xmlid='promotion_sync.menu_promotion_release']",
            run: "click",
        },
        {
            content: "Open the draft promotion in the Draft column",
            trigger:
                ".o_kanban_group:has(.o_column_title:contains('Draft')) .o_kanban_record:contains('Tour spring desks')",
            run: "click",
        },
        {
            content: "It is a draft",
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains('Draft')",
        },
        {
            content: "The form warns of the duplicate discount risk and names the other program",
            trigger:
                ".alert-warning:contains('Duplicate discount risk') .o_field_widget[name='conflict_program_ids'] .o_tag:contains('Tour live desks')",
        },
        {
            content: "Open the Release tab",
            trigger: ".o_notebook a.nav-link:contains('Release')",
            run: "click",
        },
        {
            content: "The conflict is listed with its release state",
            trigger:
                ".tab-pane.active .o_field_widget[name='conflict_program_ids'] .o_data_row:contains('Tour live desks'):contains('Active')",
        },
        {
            content: "Send it for approval",
            trigger: "button[name='action_submit']",
            run: "click",
        },
        {
            content: "It waits for approval",
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains('To Approve')",
        },
        {
            content: "By a Promotion Manager, not by who submitted it",
            trigger: ".alert-info:contains('Waiting for approval by'):contains('Promotion Manager')",
        },
        {
            content: "The submission is in the approval history",
            trigger:
                ".o_field_widget[name='approval_decision_ids'] .o_data_row:contains('Submitted for approval'):contains('Marta Marketing')",
        },
        {
            content: "The conflict is still shown after submission",
            trigger: ".alert-warning:contains('Duplicate discount risk') .o_tag:contains('Tour live desks')",
        },
        {
            content: "The chatter notes the submission",
            trigger: ".o-mail-Message-body:contains('Submitted for approval by Marta Marketing')",
        },
    ],
});

// The first steps of every tour here: Sales > Products > Promotion Releases.
const openPromotionReleases = () => [
    {
        content: "Open the apps menu",
        trigger: ".o_navbar_apps_menu button",
        run: "click",
    },
    {
        content: "Go to Sales",
        trigger: ".o_app[data-menu-xmlid='sale.sale_menu_root']",
        run: "click",
    },
    {
        content: "Open Products",
        trigger: ".o_menu_sections [data-menu-xmlid='sale.product_menu_catalog']",
        run: "click",
    },
    {
        content: "Open Promotion Releases",
        trigger: ".dropdown-item[data-menu-xmlid='promotion_sync.menu_promotion_release']",
        run: "click",
    },
];

// A marketing user schedules their campaign for the day after tomorrow at 18:00 in the shop's
// time zone (the company's, whatever the browser's), and sends it for approval.
registry.category("web_tour.tours").add("promotion_sync_marketing_schedules", {
    url: "/odoo",
    steps: () => {
        const releaseDay = luxon.DateTime.now().plus({ days: 2 }).toFormat("MM/dd/yyyy");
        return [
            ...openPromotionReleases(),
            {
                content: "Open the draft campaign",
                trigger:
                    ".o_kanban_group:has(.o_column_title:contains('Draft')) .o_kanban_record:contains('Tour flash lamps')",
                run: "click",
            },
            {
                content: "Open the Release tab",
                trigger: ".o_notebook a.nav-link:contains('Release')",
                run: "click",
            },
            {
                content: "Times are meant in the company's time zone",
                trigger: ".o_field_widget[name='release_tz']:contains('Europe/Brussels')",
            },
            {
                content: "Release on the day after tomorrow",
                trigger: ".o_field_widget[name='release_date'] input",
                run: `edit ${releaseDay}`,
            },
            {
                content: "Close the date picker",
                trigger: ".o_field_widget[name='combinable']",
                run: "click",
            },
            {
                content: "At 18:00",
                trigger: ".o_field_widget[name='release_time'] input",
                run: "edit 18:00",
            },
            {
                content: "Save",
                trigger: ".o_form_button_save",
                run: "click",
            },
            {
                content: "Saved",
                trigger: ".o_form_saved",
            },
            {
                content: "The release at 18:00 is kept",
                trigger: ".o_field_widget[name='release_time'] input:value('18:00')",
            },
            {
                content: "Send it for approval",
                trigger: "button[name='action_submit']",
                run: "click",
            },
            {
                content: "It waits for approval",
                trigger: ".o_statusbar_status button.o_arrow_button_current:contains('To Approve')",
            },
        ];
    },
});

// Approved, and its release time come: the marketing user sees the campaign live.
registry.category("web_tour.tours").add("promotion_sync_marketing_sees_it_live", {
    url: "/odoo",
    steps: () => [
        ...openPromotionReleases(),
        {
            content: "The campaign is in the Active column, labelled Active",
            trigger:
                ".o_kanban_group:has(.o_column_title:contains('Active')) .o_kanban_record:contains('Tour flash lamps') .o_field_label_selection:contains('Active')",
            run: "click",
        },
        {
            content: "Its release is Active",
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains('Active')",
        },
        {
            content: "Open the Release tab",
            trigger: ".o_notebook a.nav-link:contains('Release')",
            run: "click",
        },
        {
            content: "Released at 18:00, shop time",
            trigger:
                ".o_field_widget[name='release_time']:has(input:value('18:00')), .o_field_widget[name='release_time']:contains('18:00')",
        },
    ],
});

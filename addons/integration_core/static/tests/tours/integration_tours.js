/** @odoo-module */

import { registry } from "@web/core/registry";
import { chooseInSelection } from "./tour_steps";

// A warehouse clerk on the queue board: finds the dead letters, reads why one failed,
// replays it and sees it move to the Pending column.
registry.category("web_tour.tours").add("integration_core_clerk_replay", {
    url: "/odoo/action-integration_core.integration_message_action",
    steps: () => [
        {
            content: "The queue board shows one column per state",
            trigger: ".o_kanban_view .o_kanban_group .o_column_title:contains('Dead letter')",
        },
        {
            content: "Open the filters",
            trigger: ".o_searchview_dropdown_toggler",
            run: "click",
        },
        {
            content: "Show only dead letters",
            trigger: ".o_filter_menu .o-dropdown-item:contains('Dead letters')",
            run: "click",
        },
        {
            content: "Open the dead letter of the Tour Shop",
            trigger: ".o_kanban_record:contains('Tour Shop')",
            run: "click",
        },
        {
            content: "The error is said in words",
            trigger: ".alert-danger:contains('Rejected by the remote'):contains('unknown SKU TOUR-1')",
        },
        {
            content: "And what to do about it",
            trigger: ".alert-danger:contains('fix, then replay')",
        },
        {
            content: "Replay it",
            trigger: "button[name='action_replay']",
            run: "click",
        },
        {
            content: "It is pending again",
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains('Pending')",
        },
        {
            content: "Back to the board",
            trigger: ".o_breadcrumb .o_back_button a, .o_breadcrumb .breadcrumb-item a",
            run: "click",
        },
        {
            content: "Drop the dead-letter filter",
            trigger: ".o_searchview_facet:contains('Dead letters') .o_facet_remove",
            run: "click",
        },
        {
            content: "The message now waits in the Pending column",
            trigger:
                ".o_kanban_group:has(.o_column_title:contains('Pending')) .o_kanban_record:contains('Tour Shop')",
        },
    ],
});

// An admin in Settings: opens the connectors, creates one, stores a secret (shown as set,
// never shown back) and tests the connection against the local receiver.
registry.category("web_tour.tours").add("integration_core_admin_connector", {
    url: "/odoo/action-integration_core.integration_settings_action",
    steps: () => [
        {
            content: "The Integration section of Settings",
            trigger: "button[name='action_open_integration_connectors']",
            run: "click",
        },
        {
            content: "Create a connector",
            trigger: ".o-kanban-button-new, .o_list_button_add",
            run: "click",
        },
        {
            trigger: "div[name='name'] input",
            run: "edit Tour Webshop",
        },
        {
            trigger: "div[name='code'] input",
            run: "edit tour-webshop",
        },
        {
            trigger: "div[name='base_url'] input",
            run: "edit http://127.0.0.1:18099",
        },
        ...chooseInSelection("auth_type", "api_key", "API key header"),
        {
            content: "Type the secret",
            trigger: "div[name='secret_input'] input",
            run: "edit tour-api-key",
        },
        {
            content: "Save",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "Saved: the form says a secret is set",
            trigger: ".o_form_saved div[name='secret_is_set'] input:checked",
        },
        {
            content: "Test the connection",
            trigger: "button[name='action_test_connection']",
            run: "click",
        },
        {
            content: "The local receiver answered",
            trigger: ".o_notification:contains('Connection to Tour Webshop works')",
        },
    ],
});

// An operations lead on the dashboard: sees the dead letters counted, clicks the counter and
// lands on the list of exactly those messages.
registry.category("web_tour.tours").add("integration_core_operations_dashboard", {
    url: "/odoo/action-integration_core.integration_operations_dashboard_action",
    steps: () => [
        {
            content: "The dashboard shows its charts",
            trigger: ".o_integration_dashboard .o_integration_chart[data-chart='throughput']",
        },
        {
            content: "The connector is in the table with its dead letter",
            trigger: ".o_integration_dashboard_connectors tr:contains('Tour Dashboard Shop')",
        },
        {
            content: "Open the dead letters from their counter",
            trigger: ".o_integration_counter[data-counter='dead']:contains('Dead letters')",
            run: "click",
        },
        {
            content: "The list of dead letters opens, with the connector's one",
            trigger: ".o_list_view .o_data_row:contains('Tour Dashboard Shop')",
        },
        {
            content: "Its breadcrumb says what it is",
            trigger: ".o_breadcrumb:contains('Dead letters')",
        },
        {
            content: "Back to the dashboard",
            trigger: ".o_breadcrumb .breadcrumb-item a",
            run: "click",
        },
        {
            content: "The dashboard is back",
            trigger: ".o_integration_dashboard .o_integration_dashboard_refresh",
        },
    ],
});

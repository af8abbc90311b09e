/** @odoo-module */

import { Component, onWillStart, useEffect, useRef, useState } from "@odoo/owl";
import { loadBundle } from "@web/core/assets";
import { getColor } from "@web/core/colors/colors";
import { cookie } from "@web/core/browser/cookie";
import { deserializeDateTime, formatDateTime } from "@web/core/l10n/dates";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { standardActionServiceProps } from "@web/webclient/actions/action_service";

// One meaning, one colour, on every chart of the screen.
const COLORS = {
    sent: "#017e84",
    waiting: "#f0ad4e",
    dead: "#d44c59",
    inbound: "#6c757d",
};

/** "3 min", "2 h 5 min", "4 d 3 h": an age a person reads at a glance. */
export function formatAge(seconds) {
    if (seconds === null || seconds === undefined || seconds === false) {
        return "";
    }
    const minutes = Math.floor(seconds / 60);
    const hours = Math.floor(minutes / 60);
    const days = Math.floor(hours / 24);
    if (days) {
        return _t("%(days)s d %(hours)s h", { days, hours: hours % 24 });
    }
    if (hours) {
        return _t("%(hours)s h %(minutes)s min", { hours, minutes: minutes % 60 });
    }
    return minutes ? _t("%s min", minutes) : _t("%s s", Math.max(0, seconds));
}

/**
 * The operations dashboard: the figures of integration.dashboard.get_operations_data as
 * counters and charts; every counter, bar and number opens the list behind it, so the
 * screen is where people start, not where they stop.
 */
export class OperationsDashboard extends Component {
    static template = "integration_core.OperationsDashboard";
    static props = { ...standardActionServiceProps };

    setup() {
        this.orm = useService("orm");
        this.actionService = useService("action");
        this.state = useState({ data: null, loading: true });
        this.formatAge = formatAge;
        this.charts = [];
        this.canvases = {
            throughput: useRef("throughput"),
            queue: useRef("queue"),
            failures: useRef("failures"),
            exceptions: useRef("exceptions"),
        };
        onWillStart(async () => {
            await loadBundle("web.chartjs_lib");
            await this.load();
        });
        useEffect(
            () => {
                this.renderCharts();
                return () => this.destroyCharts();
            },
            () => [this.state.data]
        );
    }

    async load() {
        this.state.loading = true;
        try {
            this.state.data = await this.orm.call(
                "integration.dashboard",
                "get_operations_data",
                []
            );
        } finally {
            this.state.loading = false;
        }
    }

    get updatedAt() {
        return formatDateTime(deserializeDateTime(this.state.data.generated_at));
    }

    get emptyCharts() {
        const data = this.state.data;
        return {
            throughput: !data.throughput.some((hour) => hour.count),
            queue: !data.connectors.some((row) => row.waiting || row.dead),
            failures: !data.failure_categories.length,
            exceptions: !data.exceptions_by_age.some((b) => b.outbound || b.inbound),
        };
    }

    /** Open the list behind a figure (the caller's own rights apply to it). */
    open(action) {
        if (!action) {
            return;
        }
        return this.actionService.doAction({
            type: "ir.actions.act_window",
            name: action.name,
            res_model: action.res_model,
            domain: action.domain,
            views: [
                [false, "list"],
                [false, "form"],
            ],
            target: "current",
        });
    }

    counterClass(counter) {
        return {
            danger: "border-danger text-danger",
            warning: "border-warning",
            ok: "",
        }[counter.severity];
    }

    // ------------------------------------------------------------------ charts

    renderCharts() {
        this.destroyCharts();
        if (!this.state.data) {
            return;
        }
        for (const [name, ref] of Object.entries(this.canvases)) {
            if (ref.el) {
                this.charts.push(new Chart(ref.el, this[`${name}Config`]()));
            }
        }
    }

    destroyCharts() {
        for (const chart of this.charts) {
            chart.destroy();
        }
        this.charts = [];
    }

    baseOptions(extra = {}) {
        return {
            maintainAspectRatio: false,
            animation: false,
            plugins: { legend: { display: false } },
            ...extra,
        };
    }

    throughputConfig() {
        const hours = this.state.data.throughput;
        return {
            type: "bar",
            data: {
                labels: hours.map((h) => deserializeDateTime(h.hour).toFormat("HH:mm")),
                datasets: [
                    {
                        label: _t("Messages sent"),
                        data: hours.map((h) => h.count),
                        backgroundColor: COLORS.sent,
                    },
                ],
            },
            options: this.baseOptions({
                scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
            }),
        };
    }

    queueConfig() {
        const rows = this.state.data.connectors;
        return {
            type: "bar",
            data: {
                labels: rows.map((row) => row.name),
                datasets: [
                    {
                        label: _t("Waiting"),
                        data: rows.map((row) => row.waiting),
                        backgroundColor: COLORS.waiting,
                    },
                    {
                        label: _t("Dead letters"),
                        data: rows.map((row) => row.dead),
                        backgroundColor: COLORS.dead,
                    },
                ],
            },
            options: this.baseOptions({
                indexAxis: "y",
                plugins: { legend: { display: true, position: "bottom" } },
                scales: {
                    x: { stacked: true, beginAtZero: true, ticks: { precision: 0 } },
                    y: { stacked: true },
                },
                onClick: (event, elements) => {
                    const [element] = elements;
                    if (element) {
                        const row = rows[element.index];
                        this.open(element.datasetIndex ? row.dead_action : row.waiting_action);
                    }
                },
            }),
        };
    }

    failuresConfig() {
        const categories = this.state.data.failure_categories;
        const scheme = cookie.get("color_scheme");
        return {
            type: "doughnut",
            data: {
                labels: categories.map((c) => c.label),
                datasets: [
                    {
                        data: categories.map((c) => c.count),
                        backgroundColor: categories.map((_c, i) => getColor(i, scheme, "odoo")),
                    },
                ],
            },
            options: this.baseOptions({
                plugins: { legend: { display: true, position: "right" } },
            }),
        };
    }

    exceptionsConfig() {
        const buckets = this.state.data.exceptions_by_age;
        return {
            type: "bar",
            data: {
                labels: buckets.map((b) => b.label),
                datasets: [
                    {
                        label: _t("Dead letters (outbound)"),
                        data: buckets.map((b) => b.outbound),
                        backgroundColor: COLORS.dead,
                    },
                    {
                        label: _t("Inbound events set aside"),
                        data: buckets.map((b) => b.inbound),
                        backgroundColor: COLORS.inbound,
                    },
                ],
            },
            options: this.baseOptions({
                plugins: { legend: { display: true, position: "bottom" } },
                scales: {
                    x: { stacked: true },
                    y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } },
                },
            }),
        };
    }
}

registry.category("actions").add("integration_core.operations_dashboard", OperationsDashboard);

"""The scrape as Prometheus' own tools see it: `promtool check metrics`, a real Prometheus
server scraping the test's Odoo, and the Grafana dashboard's queries."""

import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import requests
from prometheus_client.parser import text_string_to_metric_families

from odoo.tests import HttpCase, tagged

from ..compat.testing import outside_clients
from .test_metrics import TOKEN, populate

DASHBOARD = Path(__file__).resolve().parents[3] / "docs" / "grafana" / "integration_dashboard.json"
METRIC_NAME = re.compile(r"\bintegration_[a-z0-9_]+")
# Grafana's interval variables, as Prometheus' API cannot read them.
GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$__interval": "1m", "$__range": "1h"}
DEADLINE_SECONDS = 45


def exposed_names(families):
    """Sample names a scrape can hold, from the collector's metric families."""
    suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count")}
    return {
        family.name + suffix for family in families for suffix in suffixes.get(family.type, ("",))
    }


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@tagged("post_install", "-at_install")
class TestPrometheusTools(HttpCase):
    def setUp(self):
        super().setUp()
        self.env["res.config.settings"].create({"integration_metrics_token": TOKEN})
        self.connector = populate(self.env, "prom-shop", dead=3)
        # The server's requests share this transaction, not this environment's cache.
        self.env.flush_all()

    def tool(self, name):
        path = shutil.which(name)
        if not path:
            self.fail(f"{name} is not installed: apt-get install prometheus (./suite test does)")
        return path

    def test_promtool_accepts_the_scrape(self):
        response = self.url_open(
            "/integration/metrics", headers={"Authorization": f"Bearer {TOKEN}"}
        )
        self.assertEqual(response.status_code, 200)
        families = {f.name for f in text_string_to_metric_families(response.text)}
        expected = {f.name for f in self.env["integration.metric"]._metric_families()}
        self.assertEqual(families, expected, "every family is in the scrape")
        check = subprocess.run(
            [self.tool("promtool"), "check", "metrics"],
            input=response.text,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        complaints = (check.stdout + check.stderr).strip()
        self.assertEqual((check.returncode, complaints), (0, ""), complaints)
        # And it does complain about what it should: the old name with an abbreviated unit.
        bad = subprocess.run(
            [self.tool("promtool"), "check", "metrics"],
            input="# HELP x_latency_ms L.\n# TYPE x_latency_ms gauge\nx_latency_ms 1\n",
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        self.assertNotEqual(bad.returncode, 0)

    def test_dashboard_names_only_exposed_metrics(self):
        dashboard = json.loads(DASHBOARD.read_text())
        self.assertEqual(
            [i["name"] for i in dashboard["__inputs"] if i["pluginId"] == "prometheus"],
            ["DS_PROMETHEUS"],
        )
        exposed = exposed_names(self.env["integration.metric"]._metric_families())
        titles = set()
        for panel in dashboard["panels"]:
            if panel["type"] == "row":
                continue
            titles.add(panel["title"])
            self.assertEqual(panel["datasource"]["uid"], "${DS_PROMETHEUS}", panel["title"])
            self.assertTrue(panel["targets"], panel["title"])
            for target in panel["targets"]:
                names = set(METRIC_NAME.findall(target["expr"]))
                self.assertTrue(names, target["expr"])
                self.assertLessEqual(names, exposed, f"{panel['title']}: {target['expr']}")
        for word in ("Throughput", "Failure rate", "Queue", "Dead letters", "Approvals", "Stale"):
            self.assertTrue(any(word in t for t in titles), f"a panel on {word}")

    def test_real_prometheus_scrapes_the_endpoint_and_answers_promql(self):
        started = time.monotonic()
        self.enterContext(outside_clients(self))  # Prometheus scrapes without the test's cookie
        api = self.start_prometheus()
        target = self.wait_for(api, "/api/v1/targets", self.target_up)
        self.assertEqual(target["health"], "up", target)
        result = self.wait_for(
            api,
            "/api/v1/query",
            lambda data: data["result"],
            query='integration_messages{connector="prom-shop",state="dead"}',
        )
        self.assertEqual(len(result), 1, result)
        self.assertEqual(result[0]["metric"]["domain"], "stock")
        self.assertEqual(float(result[0]["value"][1]), 3.0)
        depth = self.query(api, 'sum by (connector) (integration_queue_depth{state="dead"})')
        self.assertIn(
            ({"connector": "prom-shop"}, 3.0),
            [(r["metric"], float(r["value"][1])) for r in depth],
        )
        # Every query of the dashboard is valid PromQL for this Prometheus.
        dashboard = json.loads(DASHBOARD.read_text())
        for panel in dashboard["panels"]:
            for target in panel.get("targets", []):
                expr = target["expr"]
                for variable, replacement in GRAFANA_VARIABLES.items():
                    expr = expr.replace(variable, replacement)
                self.query(api, expr)
        self.assertLess(time.monotonic() - started, 60)

    # ------------------------------------------------------------------ helpers

    def start_prometheus(self):
        """Start Prometheus on a free port with its own data dir and a configuration that
        scrapes this test's Odoo every second; stopped at clean-up. Returns its URL."""
        workdir = Path(tempfile.mkdtemp(prefix="prometheus-test-"))
        self.addCleanup(shutil.rmtree, workdir, ignore_errors=True)
        odoo = self.base_url().split("://", 1)[1]
        config = workdir / "prometheus.yml"
        config.write_text(
            json.dumps(  # YAML is a superset of JSON
                {
                    "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                    "scrape_configs": [
                        {
                            "job_name": "odoo",
                            "scrape_interval": "1s",
                            "scrape_timeout": "1s",
                            "metrics_path": "/integration/metrics",
                            "authorization": {"type": "Bearer", "credentials": TOKEN},
                            "static_configs": [{"targets": [odoo]}],
                        }
                    ],
                }
            )
        )
        port = free_port()
        log = (workdir / "prometheus.log").open("w")
        self.addCleanup(log.close)
        process = subprocess.Popen(
            [
                self.tool("prometheus"),
                f"--config.file={config}",
                f"--storage.tsdb.path={workdir / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--log.level=warn",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=workdir,
            env={**os.environ, "HOME": str(workdir)},
        )
        self.addCleanup(self.stop, process)
        self.prometheus_log = workdir / "prometheus.log"
        self.deadline = time.monotonic() + DEADLINE_SECONDS
        return f"http://127.0.0.1:{port}"

    def stop(self, process):
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)

    def target_up(self, data):
        targets = [t for t in data["activeTargets"] if t["labels"]["job"] == "odoo"]
        return targets[0] if targets and targets[0]["health"] == "up" else None

    def wait_for(self, api, path, found, **params):
        """Poll Prometheus' API until `found(data)` is true; fail with its log at the
        deadline."""
        last = None
        while time.monotonic() < self.deadline:
            try:
                answer = requests.get(api + path, params=params, timeout=2)
                last = answer.text
                if answer.status_code == 200:
                    result = found(answer.json()["data"])
                    if result:
                        return result
            except requests.ConnectionError as error:
                last = str(error)
            time.sleep(0.25)
        self.fail(f"Prometheus never answered {path} {params}: {last}\n{self.log_tail()}")

    def query(self, api, expr):
        answer = requests.get(api + "/api/v1/query", params={"query": expr}, timeout=5)
        body = answer.json()
        self.assertEqual(body["status"], "success", f"{expr}: {body}")
        return body["data"]["result"]

    def log_tail(self):
        return self.prometheus_log.read_text()[-3000:]

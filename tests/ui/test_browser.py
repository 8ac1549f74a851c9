"""The dashboard's main journeys in Debian's Chromium, driven by Playwright against the app
served on a loopback port: sign in, add a domain and see its records, verify it against the
loopback DNS server, create a key, send through the API and follow the message to delivered,
see it in the stats chart, resend a webhook, launch and pause a campaign.

Every page visited is checked at 1280 px and 390 px wide (no sideways scrolling), screenshotted
at both widths (var/screenshots/, or GATEPOST_SCREENSHOTS), and run through axe-core (vendored
in tests/ui/vendor) with no serious or critical finding."""
from __future__ import annotations

import os
import shutil
import subprocess
import threading
from pathlib import Path

import pytest
import requests
from werkzeug.serving import make_server

from models import SenderDomain
from services import accounts, campaigns, contacts, domains, suppressions, templates
from tests.conftest import publish
from tests.ui.conftest import post_webhooks

ROOT = Path(__file__).resolve().parents[2]
AXE = Path(__file__).with_name("vendor") / "axe.min.js"
WIDTHS = (1280, 390)
BLOCKING = ("serious", "critical")


def _chromium() -> str:
    """Debian's Chromium, installed here if `make test` did not (Playwright's own browser
    download is not used)."""
    found = shutil.which("chromium")
    if found is None and hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=True, env=env)
        found = shutil.which("chromium")
    if found is None:
        pytest.fail("Chromium is not installed: `make test` installs it (apt-get install chromium)")
    return found


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=_chromium())
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    folder = Path(os.environ.get("GATEPOST_SCREENSHOTS") or ROOT / "var" / "screenshots")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


@pytest.fixture
def live(app):
    """The app on a loopback port, in a thread of this process (same settings, same database)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


class Tour:
    """A page of the browser, and the checks every visited page gets."""

    def __init__(self, page, base: str, folder: Path):
        self.page, self.base, self.folder, self.shots = page, base, folder, 0

    def go(self, path: str):
        self.page.goto(self.base + path)
        return self.page

    def check(self, name: str) -> None:
        page = self.page
        self.shots += 1
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {width}px wide"
            page.screenshot(path=self.folder / f"{self.shots:02d}-{name}-{width}.png", full_page=True)
        page.set_viewport_size({"width": WIDTHS[0], "height": 900})
        if not page.evaluate("() => 'axe' in window"):
            page.evaluate(AXE.read_text())  # through the debugging protocol: the page's CSP does not apply
        found = page.evaluate("""async () => (await axe.run(document, {resultTypes: ['violations']})).violations
            .map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))""")
        blocking = [v for v in found if v["impact"] in BLOCKING]
        assert not blocking, f"{name}: accessibility findings {blocking}"


def test_the_main_journeys(browser, live, screenshots, alice, dns_server, deliver, receiver):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tour = Tour(context.new_page(), live, screenshots)
    page = tour.go("/")
    try:
        # sign in
        assert page.url.endswith("/ui/login?next=/ui/")
        tour.check("login")
        page.fill("input[name=email]", alice.user.email)
        page.fill("input[name=password]", alice.password)
        page.click("button:has-text('Sign in')")
        page.wait_for_url("**/ui/domains")
        tour.check("domains-empty")

        # a domain, its records, verified against the loopback DNS server
        page.fill("#name", "example.com")
        page.click("button:has-text('Add domain')")
        page.wait_for_selector("table.records")
        assert page.locator("table.records tbody tr").count() == 6
        assert page.locator("text=not checked").count() == 6
        tour.check("domain-records")
        publish(dns_server.zone, SenderDomain.get(SenderDomain.name == "example.com"))
        page.click("button:has-text('Verify now')")
        page.wait_for_selector("#domain-status:has-text('Enabled')")
        assert page.locator("table.records .ok").count() == 6
        tour.check("domain-verified")

        # a key, shown once
        page.click("text=API keys and SMTP credentials")
        page.fill("#description", "shop")
        page.click("button:has-text('Create API key')")
        key = page.locator(".secret-value").inner_text().strip()
        tour.check("key-created")

        # a webhook for delivered events, to the loopback receiver
        tour.go(f"/ui/domains/{SenderDomain.get().id}/webhooks")
        page.fill("#url", f"{receiver.url}/hook")
        page.click("button:has-text('Add webhook')")
        page.wait_for_selector("text=No deliveries yet.")
        tour.check("webhook")

        # a message through the API, followed to delivered
        answer = requests.post(f"{live}/api/v1/email", headers={"Authorization": f"Bearer {key}"}, timeout=10, json={
            "Subject": "Browser journey", "ContentType": "html", "HTMLContent": "<p>Hi</p>",
            "From": {"email": "alice@example.com"}, "To": [{"email": "rob@example.net"}], "Tags": ["journey"]})
        assert answer.status_code == 200, answer.text
        ident = answer.json()["MessageID"]
        tour.go("/ui/queue")
        assert page.locator(f"text=rob@example.net").count() == 1
        tour.check("queue")
        deliver()
        tour.go("/ui/messages")
        page.fill("#recipient", "rob@example.net")
        page.click("button:has-text('Search')")
        tour.check("messages")
        page.locator(f"a[href='/ui/messages/{ident}']").first.click()
        page.wait_for_selector(".delivery-status:has-text('delivered')")
        assert "250" in page.locator("ol.timeline").inner_text()
        tour.check("timeline")

        # counted in the stats chart
        tour.go("/ui/stats")
        assert page.locator("svg.chart polyline[data-series='Sent']").count() == 1
        assert "Sent: 1 in total" in page.locator("svg.chart desc").text_content()
        assert page.locator("[data-total=Delivered]").inner_text().strip() == "1"
        tour.check("stats")

        # the webhook's delivery, then sent again
        assert post_webhooks() == 1
        tour.go("/ui/domains")
        page.click("a:text-is('example.com')")
        page.click("a:text-is('Webhooks')")
        page.click(f"a:text-is('{receiver.url}/hook')")
        page.wait_for_selector("td.webhook-status:has-text('delivered')")
        page.click("button:has-text('Send again')")
        page.wait_for_selector("text=Queued to be sent again.")
        assert post_webhooks() == 1 and len(receiver.received) == 2
        page.reload()
        assert page.locator("td.webhook-status").inner_text().strip() == "delivered"
        tour.check("webhook-deliveries")

        # a campaign: a list with a contact, launched, paused, resumed with live progress
        tour.go("/ui/lists")
        page.fill("#l-name", "News")
        page.click("button:has-text('Create list')")
        page.fill("#c-email", "ann@example.org")
        page.fill("#c-name", "Ann")
        page.click("button:has-text('Add contact')")
        page.wait_for_selector("text=Contact added.")
        tour.check("list")
        tour.go("/ui/campaigns")
        page.fill("#cp-name", "Spring")
        page.fill("#cp-from", "news@example.com")
        page.fill("#cp-subject", "Hello {{ name }}")
        page.fill("#cp-html", "<p>Spring news for {{ name }}</p>")
        page.click("button:has-text('Create draft')")
        page.wait_for_selector("#campaign-status:has-text('draft')")
        tour.check("campaign-draft")
        page.click("button:has-text('Launch')")
        page.wait_for_selector("#campaign-status:has-text('scheduled')")
        page.click("button:has-text('Pause')")
        page.wait_for_selector("#campaign-status:has-text('paused')")
        tour.check("campaign-paused")
        page.click("button:has-text('Resume')")
        page.wait_for_selector("#campaign-status:has-text('scheduled')")
        campaigns.run_due()  # the worker's runner chore, here in the test's thread
        page.wait_for_selector("[data-field=queued]:has-text('1')")  # the page's poll brings it
        tour.check("campaign-progress")

        page.click("button:has-text('Sign out')")
        page.wait_for_url("**/ui/login")
    except Exception:
        page.screenshot(path=screenshots / "failure.png", full_page=True)
        raise
    finally:
        context.close()


def test_the_other_pages_fit_and_pass_the_accessibility_check(browser, live, screenshots, make_user, sender, send):
    """The pages the journey does not reach, with rows in them, seen by an operator."""
    operator = make_user("root@example.com", group=accounts.create_group("Admins", permissions="*"))
    user = operator.user
    domains.add(user, "root.example")
    suppressions.add(user, "gone@example.net", "hard-bounce", "userunknown: 550 5.1.1 no such user")
    template = templates.create(user, "Welcome", "Hi {{ name }}", "<h1>Hello {{ name }}</h1><p>Welcome aboard.</p>", "Hi")
    news = contacts.create_list(user, "News")
    contacts.add(news, "ann@example.org", "Ann", {"plan": "pro"})
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tour = Tour(context.new_page(), live, screenshots)
    tour.shots = 50
    page = tour.go("/ui/login")
    try:
        page.fill("input[name=email]", user.email)
        page.fill("input[name=password]", operator.password)
        page.click("button:has-text('Sign in')")
        page.wait_for_url("**/ui/domains")
        tour.check("domains")
        tour.go("/ui/credentials")
        page.select_option("#kind", "sendpulse")
        page.click("button:has-text('Create credential')")
        page.wait_for_selector(".secret-value")
        tour.check("credentials")
        tour.go("/ui/suppressions")
        tour.check("suppressions")
        tour.go("/ui/templates")
        tour.check("templates")
        tour.go(f"/ui/templates/{template.id}?vars=" + '{"name": "Ada"}')
        assert "Hello Ada" in page.frame_locator("iframe.preview").locator("h1").inner_text()
        tour.check("template")
        tour.go(f"/ui/lists/{news.id}")
        page.set_input_files("#c-file", files=[{"name": "people.csv", "mimeType": "text/csv",
                                                "buffer": b"email,name\nbob@example.org,Bob\nbad,Bad\n"}])
        page.click("button:has-text('Import')")
        page.wait_for_selector("text=Finished.")  # the page's own polling shows the end
        tour.check("import")
        tour.go("/ui/lists")
        tour.check("lists")
        tour.go("/ui/campaigns")
        tour.check("campaigns")
        tour.go("/ui/operator")
        assert page.locator("text=alice@example.com").count() == 1
        tour.check("operator")
        tour.go("/ui/no-such-page")
        tour.check("not-found")
    except Exception:
        page.screenshot(path=screenshots / "failure-other-pages.png", full_page=True)
        raise
    finally:
        context.close()

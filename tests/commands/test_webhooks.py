"""AddWebhook, GetWebhooks, DeleteWebhook; the SSRF rules through the loopback DNS server."""
import pytest

import config


@pytest.fixture
def public_host(dns_server):
    dns_server.zone.add("hooks.example.net", "A", "93.184.216.34")
    return "https://hooks.example.net/gatepost"


def test_add_and_get_webhooks(api, alice, add_domain, public_host):
    domain = add_domain(alice)
    first = api(alice, "EmailGateway.AddWebhook", DomainID=domain["DomainID"], Event="bounce", WebhookURL=public_host)
    assert first["Success"] and isinstance(first["NewWebhookID"], str)
    second = api(alice, "EmailGateway.AddWebhook", DomainID=domain["DomainID"], Event="Delivered",
                 WebhookURL=public_host + "/2")
    answer = api(alice, "EmailGateway.GetWebhooks", DomainID=domain["DomainID"])
    assert len(answer["SigningKey"]) == 64
    assert answer["Webhooks"] == [
        {"WebhookID": first["NewWebhookID"], "DomainID": str(domain["DomainID"]), "Event": "bounce", "Events": ["bounce"],
         "URL": public_host, "WebhookURL": public_host, "Status": "Enabled", "StatusReason": "",
         "ConsecutiveFailures": 0},
        {"WebhookID": second["NewWebhookID"], "DomainID": str(domain["DomainID"]), "Event": "delivery",
         "Events": ["delivery"], "URL": public_host + "/2", "WebhookURL": public_host + "/2", "Status": "Enabled",
         "StatusReason": "", "ConsecutiveFailures": 0}]


def test_add_webhook_errors_come_as_a_list(api, alice, add_domain, public_host, dns_server):
    domain = add_domain(alice)
    d = domain["DomainID"]

    def code(**params):
        answer = api(alice, "EmailGateway.AddWebhook", **params)
        assert answer["Success"] is False and isinstance(answer["ErrorCode"], list)
        return answer["ErrorCode"][0]

    assert code(Event="bounce", WebhookURL=public_host) == 1
    assert code(DomainID=d, WebhookURL=public_host) == 2
    assert code(DomainID=d, Event="sent", WebhookURL=public_host) == 3
    assert code(DomainID=999999, Event="open", WebhookURL=public_host) == 4
    assert code(DomainID=d, Event="open") == 5
    assert code(DomainID=d, Event="open", WebhookURL="ftp://hooks.example.net/x") == 6
    assert code(DomainID=d, Event="open", WebhookURL="not a url") == 6
    dns_server.zone.add("internal.example.net", "A", "10.1.2.3")
    dns_server.zone.add("mixed.example.net", "A", "93.184.216.34", "192.168.0.1")
    dns_server.zone.add("v6.example.net", "AAAA", "::1")
    for url in ("http://127.0.0.1/hook", "http://localhost:8080/", "http://[::1]/", "http://169.254.169.254/",
                "http://printer.local/", "https://internal.example.net/", "https://mixed.example.net/",
                "https://v6.example.net/", "https://nowhere.example.net/"):
        assert code(DomainID=d, Event="open", WebhookURL=url) == 7, url
    assert api(alice, "EmailGateway.GetWebhooks", DomainID=d)["Webhooks"] == []


def test_urls_parsers_disagree_on_are_6_and_hidden_loopback_is_7(api, alice, add_domain, public_host, dns_server,
                                                                  settings):
    """Issue 16: the check and the HTTP client must read one host; IPv6 forms that embed IPv4
    count as what they embed; overlong names are a clear 6, not a 500 from the resolver."""
    d = add_domain(alice)["DomainID"]

    def code(url):
        answer = api(alice, "EmailGateway.AddWebhook", DomainID=d, Event="open", WebhookURL=url)
        return True if answer["Success"] else answer["ErrorCode"][0]

    for url in ("http://127.0.0.1:8080\\@hooks.example.net/h", "http://user:pw@hooks.example.net/h",
                "http://hooks.example.net@127.0.0.1/h", "http://2130706433/", "http://0x7f.0.0.1/", "http://127.1/",
                "http://localhost./", "http://ho%6fks.example.net/", "http://hooks.example.net/a\x0bb",
                "http://" + "a" * 64 + ".example.net/", "http://" + "abcdefghi." * 26 + "net/"):
        assert code(url) == 6, url
    for number, address in enumerate(("::7f00:1", "64:ff9b::7f00:1", "::ffff:7f00:1", "2002:7f00:1::")):
        dns_server.zone.add(f"v6-{number}.example.net", "AAAA", address)
        assert code(f"https://v6-{number}.example.net/") == 7, address
    for literal in ("[::127.0.0.1]", "[64:ff9b::127.0.0.1]", "[::ffff:127.0.0.1]", "[::ffff:a9fe:a9fe]",
                    "[2001:0:4136:e378:8000:63bf:80ff:fffe]", "[fe80::1]", "[fd00::1]"):
        assert code(f"http://{literal}/") == 7, literal
    assert api(alice, "EmailGateway.GetWebhooks", DomainID=d)["Webhooks"] == []
    config.use(settings.replace(webhook_allow_private=True))  # strictness does not depend on the setting
    assert code("http://127.0.0.1:8080\\@hooks.example.net/h") == 6
    assert code(public_host) is True


def test_private_hosts_are_allowed_when_the_operator_says_so(api, alice, add_domain, settings):
    domain = add_domain(alice)
    config.use(settings.replace(webhook_allow_private=True))
    answer = api(alice, "EmailGateway.AddWebhook", DomainID=domain["DomainID"], Event="click",
                 WebhookURL="http://127.0.0.1:9000/hook")
    assert answer["Success"]


def test_get_webhooks_errors(api, alice):
    assert api(alice, "EmailGateway.GetWebhooks")["ErrorCode"] == 1
    assert api(alice, "EmailGateway.GetWebhooks", DomainID=999999)["ErrorCode"] == 2


def test_delete_webhook_and_its_seed_error_codes(api, alice, add_domain, public_host):
    domain = add_domain(alice)
    other = add_domain(alice, "other.example.com")
    hook = api(alice, "EmailGateway.AddWebhook", DomainID=domain["DomainID"], Event="open",
               WebhookURL=public_host)["NewWebhookID"]
    assert api(alice, "EmailGateway.DeleteWebhook", DomainID=domain["DomainID"])["ErrorCode"] == 1
    assert api(alice, "EmailGateway.DeleteWebhook", WebhookID=hook)["ErrorCode"] == 1
    assert api(alice, "EmailGateway.DeleteWebhook", WebhookID=hook, DomainID="abc")["ErrorCode"] == 2
    assert api(alice, "EmailGateway.DeleteWebhook", WebhookID=hook, DomainID=999999)["ErrorCode"] == 2
    assert api(alice, "EmailGateway.DeleteWebhook", WebhookID=hook, DomainID=other["DomainID"])["ErrorCode"] == 3
    assert api(alice, "EmailGateway.DeleteWebhook", WebhookID=999999, DomainID=domain["DomainID"])["ErrorCode"] == 4
    assert api(alice, "EmailGateway.DeleteWebhook", WebhookID=hook, DomainID=domain["DomainID"])["Success"]
    assert api(alice, "EmailGateway.GetWebhooks", DomainID=domain["DomainID"])["Webhooks"] == []


def test_an_overlong_webhook_url_is_6(api, alice, add_domain, public_host):
    domain = add_domain(alice)
    answer = api(alice, "EmailGateway.AddWebhook", DomainID=domain["DomainID"], Event="open",
                 WebhookURL=public_host + "/" + "a" * 2100)
    assert answer["ErrorCode"] == [6]


def test_add_webhook_from_a_php_form_body_last_value_wins(client, alice, add_domain, public_host):
    """A PHP client posts a form; a repeated plain key counts by its last value, as PHP reads it."""
    domain = add_domain(alice)
    body = (f"Command=EmailGateway.AddWebhook&APIKey={alice.api_key}&DomainID=999999&DomainID={domain['DomainID']}"
            f"&Event=open&Event=click&WebhookURL={public_host}")
    answer = client.post("/api.php", data=body, content_type="application/x-www-form-urlencoded").json
    assert answer["Success"], answer
    hooks = client.post("/api.php", data={"Command": "EmailGateway.GetWebhooks", "APIKey": alice.api_key,
                                          "DomainID": domain["DomainID"]}).json["Webhooks"]
    assert [(h["WebhookID"], h["Event"]) for h in hooks] == [(answer["NewWebhookID"], "click")]

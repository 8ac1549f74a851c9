"""Signing in and out, the session cookie, CSRF on every form, rate-limited failures, and
pages answering in the dashboard's own shape."""
from __future__ import annotations

import config
from models import SenderDomain
from models.vocabulary import Switch
from services import accounts
from tests.ui.conftest import Dashboard


def test_the_root_leads_to_the_sign_in_page_then_to_the_dashboard(client, alice):
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/ui/")
    response = client.get("/ui/domains")
    assert response.status_code == 302 and "/ui/login?next=/ui/domains" in response.headers["Location"]
    page = client.get("/ui/login").get_data(as_text=True)
    assert 'name="email"' in page and 'name="password"' in page and 'name="csrf_token"' in page

    board = Dashboard(client)
    response = board.sign_in("Alice@Example.com", alice.password)
    assert response.status_code == 302 and response.headers["Location"] == "/ui/"
    cookie = response.headers["Set-Cookie"]
    assert "gatepost_session=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "alice@example.com" in board.text("/ui/domains")


def test_a_wrong_password_is_refused_and_says_nothing_of_the_account(client, alice):
    board = Dashboard(client)
    wrong = board.sign_in(alice.user.email, "not-it")
    nobody = board.sign_in("nobody@example.com", "not-it")
    assert wrong.status_code == nobody.status_code == 401
    assert "Wrong email or password" in wrong.get_data(as_text=True)
    assert board.get("/ui/domains").status_code == 302


def test_failed_sign_ins_are_limited_even_with_the_right_password_after(settings, make_user):
    config.use(config.current().replace(login_failures_per_user="3 per 15 minutes"))
    from app import create_app

    account = make_user("carol@example.com")
    board = Dashboard(create_app(config.current()).test_client())
    for _ in range(3):
        assert board.sign_in(account.user.email, "guess").status_code == 401
    refused = board.sign_in(account.user.email, account.password)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "Too many failed sign-ins" in refused.get_data(as_text=True)
    assert board.get("/ui/domains").status_code == 302


def test_every_form_needs_the_csrf_token(dash, alice):
    refused = dash.client.post("/ui/domains", data={"name": "example.com"})
    assert refused.status_code == 400 and "form has expired" in refused.get_data(as_text=True)
    forged = dash.client.post("/ui/domains", data={"name": "example.com", "csrf_token": "x" * 43})
    assert forged.status_code == 400
    assert not SenderDomain.select().where(SenderDomain.user == alice.user).exists()
    assert dash.post("/ui/domains", {"name": "example.com"}).status_code == 302
    assert SenderDomain.select().where(SenderDomain.user == alice.user).count() == 1


def test_the_sign_in_form_needs_its_token_too(client, alice):
    response = client.post("/ui/login", data={"email": alice.user.email, "password": alice.password})
    assert response.status_code == 400


def test_signing_out_ends_the_session_on_the_server(dash, app):
    with dash.client.session_transaction() as session:
        stolen = dict(session)
    assert dash.post("/ui/logout").headers["Location"].endswith("/ui/login")
    assert dash.get("/ui/domains").status_code == 302
    replay = app.test_client()
    with replay.session_transaction() as session:
        session.update(stolen)  # the old signed cookie, presented again
    assert replay.get("/ui/domains").status_code == 302


def test_a_disabled_user_is_signed_out(dash, alice):
    accounts.set_status(alice.user, Switch.DISABLED)
    assert dash.get("/ui/domains").status_code == 302


def test_after_sign_in_only_a_dashboard_path_is_followed(client, alice):
    board = Dashboard(client)
    for target, expected in (("/ui/stats?days=30", "/ui/stats?days=30"), ("//evil.example/ui/", "/ui/"),
                             ("https://evil.example/", "/ui/")):
        client.get("/ui/login")
        response = board.post("/ui/login", {"email": alice.user.email, "password": alice.password, "next": target})
        assert response.headers["Location"] == expected
        board.post("/ui/logout")


def test_pages_are_not_cached_and_cannot_be_framed_elsewhere(dash):
    response = dash.get("/ui/domains")
    assert response.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_errors_under_ui_are_pages(dash):
    missing = dash.get("/ui/no-such-page")
    assert missing.status_code == 404 and missing.mimetype == "text/html"
    assert "Not found" in missing.get_data(as_text=True)
    assert dash.get("/ui/domains/999999").status_code == 404
    bad = dash.get("/ui/stats?days=abc")
    assert bad.status_code == 400 and "whole number" in bad.get_data(as_text=True)

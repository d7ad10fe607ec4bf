"""The role decision: who is an officer, from the signed-in identity and the officers' list (pure, no Streamlit)."""

from __future__ import annotations

import pytest

from ui.access import OFFICER, PUBLIC, SIGNIN_BROKEN, SIGNIN_OFF, SIGNIN_ON, auth_problems, decide, is_officer

AUTH = {
    "redirect_uri": "https://dash.example.gov.uk/oauth2callback",
    "cookie_secret": "k" * 32,
    "client_id": "client",
    "client_secret": "secret",
    "server_metadata_url": "https://login.example.com/.well-known/openid-configuration",
}
LIST = {"emails": ["Chair@Partner.org.uk"], "domains": ["bury.gov.uk", "@nhs.net"]}


def user(email, **claims):
    return {"is_logged_in": True, "email": email, "name": "Someone", **claims}


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        (user("chair@partner.org.uk"), True),  # listed email, case differs in the list
        (user("CHAIR@PARTNER.ORG.UK"), True),  # and in the claim
        (user(" data.officer@Bury.Gov.UK "), True),  # listed domain, any case, stray spaces
        (user("nurse@nhs.net"), True),  # a domain written with its @
        (user("someone@partner.org.uk"), False),  # the email is listed, not its domain
        (user("x@evil-bury.gov.uk"), False),  # a domain that only ends like a listed one
        (user("x@sub.bury.gov.uk"), False),  # subdomains are not the domain
        (user("bury.gov.uk"), False),  # no @ at all
        (user("@bury.gov.uk"), False),  # nothing before the @
        (user("x@bury.gov.uk@attacker.com"), False),  # the domain is what follows the last @
        ({"is_logged_in": True, "name": "No email"}, False),
        (user(None), False),
        (user(["x@bury.gov.uk"]), False),  # not a string
        (user("x@bury.gov.uk", email_verified=False), False),
        (user("x@bury.gov.uk", email_verified="false"), False),
        (user("x@bury.gov.uk", email_verified=True), True),
        (user("x@bury.gov.uk", email_verified="true"), True),
        ({"is_logged_in": False, "email": "x@bury.gov.uk"}, False),  # claims without a sign-in
        ({}, False),
    ],
)
def test_officer_by_email_and_by_domain(who, expected):
    assert is_officer(who, LIST) is expected


@pytest.mark.parametrize("officers", [None, {}, {"emails": [], "domains": []}, {"emails": "", "domains": [3, None]}])
def test_an_empty_or_missing_list_has_no_officers(officers):
    assert not is_officer(user("x@bury.gov.uk"), officers)


def test_a_lone_string_is_read_as_a_list_of_one():
    assert is_officer(user("x@bury.gov.uk"), {"domains": "bury.gov.uk"})


def test_without_auth_the_local_user_is_an_officer():
    access = decide({}, None)
    assert (access.role, access.signin) == (OFFICER, SIGNIN_OFF)
    assert decide({}, {"officers": LIST}).role == OFFICER  # a list alone configures nothing
    assert access.publisher == {"name": "local user", "email": ""}


@pytest.mark.parametrize(
    ("who", "role", "signed_in"),
    [({}, PUBLIC, False), (user("x@bury.gov.uk"), OFFICER, True), (user("x@example.com"), PUBLIC, True)],
)
def test_with_auth_the_role_follows_the_list(who, role, signed_in):
    access = decide(who, {"auth": AUTH, "officers": LIST})
    assert (access.role, access.signin, access.signed_in) == (role, SIGNIN_ON, signed_in)
    assert access.metadata_url == AUTH["server_metadata_url"]


def test_with_auth_and_no_list_nobody_is_an_officer():
    assert decide(user("x@bury.gov.uk"), {"auth": AUTH}).role == PUBLIC


def test_the_publisher_is_the_signed_in_officer():
    access = decide(user("x@bury.gov.uk", name="Data officer"), {"auth": AUTH, "officers": LIST})
    assert access.publisher == {"name": "Data officer", "email": "x@bury.gov.uk"}


@pytest.mark.parametrize(
    ("auth", "problems"),
    [
        ({k: v for k, v in AUTH.items() if k != "client_secret"}, ["[auth] has no client_secret"]),
        ({**AUTH, "client_id": ""}, ["[auth] has no client_id"]),
        (
            {**AUTH, "redirect_uri": "https://dash.example.gov.uk/"},
            ["[auth] redirect_uri must end with /oauth2callback"],
        ),
        ({**AUTH, "cookie_secret": "short"}, ["[auth] cookie_secret must be at least 32 characters long"]),
        (
            {**AUTH, "server_metadata_url": "file:///etc/passwd"},
            ["[auth] server_metadata_url must be an http or https address"],
        ),
        ("not a table", ["[auth] in the secrets file is not a table of settings"]),
        (AUTH, []),
    ],
)
def test_auth_problems_are_named_without_quoting_secrets(auth, problems):
    assert auth_problems(auth) == problems


def test_a_broken_auth_or_unreadable_secrets_gives_the_public_view_never_the_officer_view():
    officer = user("x@bury.gov.uk")
    broken = decide(officer, {"auth": {"client_id": "c"}, "officers": LIST})
    assert (broken.role, broken.signin) == (PUBLIC, SIGNIN_BROKEN)
    assert "has no redirect_uri" in broken.problem and "c" not in broken.problem.split()
    unreadable = decide(officer, None, secrets_error="the secrets file could not be read")
    assert (unreadable.role, unreadable.signin) == (PUBLIC, SIGNIN_BROKEN)


def test_the_provider_check_is_shared_and_retried(monkeypatch):
    """The identity provider's configuration is fetched once for every session; an answer is trusted for ten
    minutes, a failure is asked again after twenty seconds (on loopback only)."""
    import http.server
    import threading

    import ui.signin as signin

    class Handler(http.server.BaseHTTPRequestHandler):
        calls = 0

        def do_GET(self):
            Handler.calls += 1
            body = b'{"authorization_endpoint": "http://127.0.0.1/authorize"}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/.well-known/openid-configuration"
    clock = [1000.0]
    monkeypatch.setattr(signin.time, "monotonic", lambda: clock[0])
    signin._CHECKED.clear()
    assert signin.provider_problem(url) == "" and signin.provider_problem(url) == "" and Handler.calls == 1
    server.shutdown()
    server.server_close()
    clock[0] += 599
    assert signin.provider_problem(url) == ""  # still trusted
    clock[0] += 2
    assert signin.provider_problem(url) == "the identity provider cannot be reached just now"
    clock[0] += 10
    assert signin.provider_problem(url) != "" and Handler.calls == 1  # the failure is remembered for a while
    signin._CHECKED.clear()

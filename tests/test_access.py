"""The role decision: who is an officer, from the signed-in identity and the officers' list (pure, no Streamlit);
what a secrets file between "sign-in off" and "sign-in on" gives; and the identity provider's check, which no page
waits for."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from ui.access import (
    OFFICER,
    PUBLIC,
    SIGNIN_BROKEN,
    SIGNIN_OFF,
    SIGNIN_ON,
    auth_problems,
    decide,
    is_officer,
    officers_problems,
    parse_address,
)

AUTH = {
    "redirect_uri": "https://dash.example.gov.uk/oauth2callback",
    "cookie_secret": "k" * 32,
    "client_id": "client",
    "client_secret": "secret",
    "server_metadata_url": "https://login.example.com/.well-known/openid-configuration",
}
LIST = {"emails": ["Chair@Partner.org.uk"], "domains": ["bury.gov.uk", "@nhs.net"]}
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
OTHER_TENANT = "9188040d-6c67-4c5b-b112-36a304b66dad"
OID = "00000000-0000-0000-66f3-3332eca7ea81"
ENTRA = {**LIST, "entra_tenant_id": TENANT.upper(), "entra_object_ids": [OID]}


def user(email, **claims):
    """A signed-in identity whose provider says its email is verified (unless the claims say otherwise)."""
    return {"is_logged_in": True, "email": email, "name": "Someone", "email_verified": True, **claims}


def unverified(email, **claims):
    """A signed-in identity whose provider says nothing about its email (as Entra ID tokens normally do)."""
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
        (user("x@bury.gov.uk@attacker.com"), False),  # two @s
        (user("attacker@evil.com@bury.gov.uk"), False),  # two @s, the listed domain last
        (user('"x@evil.com"@bury.gov.uk'), False),  # a quoted local part holding an @
        (user('"x"@bury.gov.uk'), False),  # any quoted local part
        (user("x @bury.gov.uk"), False),  # a space inside
        (user("Someone <x@bury.gov.uk>"), False),  # a display name and brackets
        (user("x@bury.gov.uk\n"), True),  # trailing whitespace is stripped, as leading is
        (user("x@bury.gov.uk\nBcc: y@bury.gov.uk"), False),
        ({"is_logged_in": True, "name": "No email", "email_verified": True}, False),
        (user(None), False),
        (user(["x@bury.gov.uk"]), False),  # not a string
        (user("x@bury.gov.uk", email_verified=False), False),
        (user("x@bury.gov.uk", email_verified="false"), False),
        (user("x@bury.gov.uk", email_verified="true"), True),
        (user("x@bury.gov.uk", email_verified=None), False),  # null proves nothing
        (user("x@bury.gov.uk", email_verified=0), False),
        (user("x@bury.gov.uk", email_verified="yes please"), False),
        (unverified("x@bury.gov.uk"), False),  # absent proves nothing
        ({"is_logged_in": False, "email": "x@bury.gov.uk", "email_verified": True}, False),  # claims without sign-in
        ({}, False),
    ],
)
def test_officer_by_email_and_by_domain(who, expected):
    assert is_officer(who, LIST) is expected


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        # Entra ID: the tenant configured, the token's tid that tenant, and xms_edov (the tenant verified the domain)
        (unverified("x@bury.gov.uk", tid=TENANT, xms_edov=True), True),
        (unverified("x@bury.gov.uk", tid=TENANT, xms_edov="1"), True),
        (unverified("x@bury.gov.uk", tid=TENANT), False),  # an Entra email alone is no proof
        (unverified("x@bury.gov.uk", tid=TENANT, xms_edov=False), False),
        (unverified("x@bury.gov.uk", tid=TENANT, xms_edov=None), False),
        (unverified("x@bury.gov.uk", tid=OTHER_TENANT, xms_edov=True), False),  # another tenant
        (unverified("x@bury.gov.uk", xms_edov=True), False),  # no tenant at all
        (user("x@bury.gov.uk", tid=OTHER_TENANT), False),  # email_verified from another tenant does not help
        (user("x@bury.gov.uk", tid=TENANT), True),  # the tenant, and a provider that says verified
        # the object id allow-list: the person, whatever their email
        (unverified("guest@partner.example", tid=TENANT, oid=OID), True),
        (unverified(None, tid=TENANT, oid=OID.upper()), True),
        (unverified("x@bury.gov.uk", tid=OTHER_TENANT, oid=OID), False),  # the same oid in another tenant
        (unverified("guest@partner.example", tid=TENANT, oid=OID.replace("0", "1")), False),
        (unverified("attacker@evil.com@bury.gov.uk", tid=TENANT, xms_edov=True), False),
    ],
)
def test_entra_id_needs_its_tenant_and_a_verified_domain_or_a_listed_object_id(who, expected):
    assert is_officer(who, ENTRA) is expected


def test_without_a_tenant_configured_entra_claims_prove_nothing():
    assert not is_officer(unverified("x@bury.gov.uk", tid=TENANT, xms_edov=True), LIST)
    assert not is_officer(unverified("x@bury.gov.uk", tid=TENANT, oid=OID), {**LIST, "entra_object_ids": [OID]})


@pytest.mark.parametrize(
    ("address", "parsed"),
    [
        ("Data.Officer@Bury.gov.uk", ("data.officer", "bury.gov.uk")),
        ("o'brien+send@nhs.net", ("o'brien+send", "nhs.net")),
        ("a@b@bury.gov.uk", None),
        ('"a@b"@bury.gov.uk', None),
        ("a..b@bury.gov.uk", None),
        ("a@bury..gov.uk", None),
        ("a@-bury.gov.uk", None),
        ("a@localhost", None),  # one label is not a domain on the list's terms
        ("x" * 250 + "@bury.gov.uk", None),  # longer than an address can be (254)
    ],
)
def test_an_address_parses_to_one_local_part_and_one_domain(address, parsed):
    assert parse_address(address) == parsed


@pytest.mark.parametrize("officers", [None, {}, {"emails": [], "domains": []}, {"emails": "", "domains": [3, None]}])
def test_an_empty_or_missing_list_has_no_officers(officers):
    assert not is_officer(user("x@bury.gov.uk"), officers)


def test_a_lone_string_is_read_as_a_list_of_one():
    assert is_officer(user("x@bury.gov.uk"), {"domains": "bury.gov.uk"})


def test_without_auth_or_officers_the_local_user_is_an_officer():
    for secrets in (None, {}, {"snapshots": {"key": "k" * 40}}, {"SEND_SNAPSHOT_ROOT": "/srv/snapshots"}):
        access = decide({}, secrets)
        assert (access.role, access.signin) == (OFFICER, SIGNIN_OFF), secrets
    assert decide({}, None).publisher == {"name": "local user", "email": ""}


@pytest.mark.parametrize(
    ("secrets", "problem"),
    [
        ({"officers": LIST}, "[auth] is missing"),  # used to make every visitor an officer
        ({"officers": LIST, "snapshots": {"key": "k" * 40}}, "[auth] is missing"),
        ({"Auth": AUTH, "officers": LIST}, "[Auth] is not a section this dashboard reads (did you mean [auth]?"),
        ({"Auth": AUTH}, "[Auth] is not a section this dashboard reads"),  # misspelt, and alone
        ({"AUTH": AUTH}, "did you mean [auth]?"),
        ({"Officers": LIST}, "did you mean [officers]?"),
        ({"auth": AUTH}, "[officers] is missing, so nobody can be an officer"),
        ({"redirect_uri": AUTH["redirect_uri"], "officers": LIST}, "redirect_uri is outside any section"),
        ({"auth": AUTH, "officers": {"domain": ["bury.gov.uk"]}}, "[officers] has domain, which this dashboard"),
        ({"auth": AUTH, "officers": {"emails": "x@evil.com@bury.gov.uk"}}, "emails must be a list of email"),
        ({"auth": AUTH, "officers": {**LIST, "entra_tenant_id": "my tenant"}}, "entra_tenant_id must be"),
        ({"auth": AUTH, "officers": {"entra_object_ids": [OID]}}, "entra_object_ids needs entra_tenant_id"),
        ({"auth": AUTH, "officers": {"domains": []}}, "[officers] lists nobody"),
    ],
)
def test_anything_between_off_and_on_is_a_configuration_error_with_the_public_view(secrets, problem):
    officer = user("x@bury.gov.uk", name="Data officer")
    access = decide(officer, secrets)
    assert (access.role, access.signin) == (PUBLIC, SIGNIN_BROKEN)
    assert problem in access.problem
    assert "secret" not in access.problem.replace("secrets file", "")  # never a value from the file


@pytest.mark.parametrize(
    ("who", "role", "signed_in"),
    [({}, PUBLIC, False), (user("x@bury.gov.uk"), OFFICER, True), (user("x@example.com"), PUBLIC, True)],
)
def test_with_auth_the_role_follows_the_list(who, role, signed_in):
    access = decide(who, {"auth": AUTH, "officers": LIST})
    assert (access.role, access.signin, access.signed_in) == (role, SIGNIN_ON, signed_in)
    assert access.metadata_url == AUTH["server_metadata_url"]


def test_with_auth_an_unverified_email_on_an_officer_domain_stays_public():
    for claims in ({}, {"email_verified": None}):
        access = decide(unverified("x@bury.gov.uk", **claims), {"auth": AUTH, "officers": LIST})
        assert (access.role, access.signin, access.signed_in) == (PUBLIC, SIGNIN_ON, True)


def test_the_publisher_is_the_signed_in_officer():
    access = decide(user("x@bury.gov.uk", name="Data officer"), {"auth": AUTH, "officers": LIST})
    assert access.publisher == {"name": "Data officer", "email": "x@bury.gov.uk"}


def test_a_good_officers_block_has_no_problems():
    assert officers_problems(LIST) == [] and officers_problems(ENTRA) == []


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


def test_the_app_with_officers_but_no_auth_shows_the_public_view_and_names_the_problem(sentinel_root, monkeypatch):
    """Issue 24 item 7: a secrets file with [officers] (and a signing key) but no [auth] made every visitor an
    officer; now everyone gets the public view and the sidebar says what is wrong."""
    from tests.pages_helper import TEST_OFFICERS, app

    monkeypatch.setenv("SEND_SNAPSHOT_ROOT", str(sentinel_root))
    at = app(mode="officer")
    at.secrets["officers"] = TEST_OFFICERS
    at.secrets["Auth"] = {"client_id": "dashboard"}  # misspelt: not read
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    [error] = at.sidebar.error
    assert "Sign-in is not working:** \\[Auth\\] is not a section this dashboard reads" in error.value
    assert "\\[auth\\] is missing" in error.value
    assert not at.sidebar.toggle  # no board-mode switch: the public view
    assert "Update data" not in [link.label for link in at.sidebar.get("page_link")]


# --- the identity provider's check: in the background, never waited for ----------------------------------------------


@pytest.fixture
def hung_provider():
    """A loopback socket that accepts connections and never answers; yields its OpenID configuration address."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])  # accepted, never read from or written to
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/.well-known/openid-configuration", held
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


@pytest.fixture
def fresh_checks(monkeypatch):
    import ui.signin as signin

    signin._CHECKED.clear()
    yield signin
    deadline = time.monotonic() + 10
    while getattr(signin, "_RUNNING", None) and time.monotonic() < deadline:  # let a check started here finish
        time.sleep(0.05)
    signin._CHECKED.clear()


def test_a_hung_provider_is_checked_in_the_background_and_never_waited_for(hung_provider, fresh_checks, monkeypatch):
    """Issue 24 item 2: the check used to wait on the provider (two tries of five seconds) inside the page run. Now
    asking costs nothing: the answer is "not known yet" until the background check gives up at its deadline."""
    signin = fresh_checks
    url, held = hung_provider
    monkeypatch.setattr(signin, "CHECK_DEADLINE", 1.0, raising=False)
    started = time.monotonic()
    assert signin.provider_problem(url) is None  # not known yet
    assert signin.provider_problem(url) is None  # and asked again: still one check, not two
    assert time.monotonic() - started < 0.5
    deadline = time.monotonic() + 10
    while signin.provider_problem(url) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert signin.provider_problem(url) == "the identity provider cannot be reached just now"
    assert len(held) == 1  # the socket did accept: it is hung, not refused; and it was asked once


def test_a_page_run_does_not_wait_for_a_hung_provider(hung_provider, fresh_checks, sentinel_root, monkeypatch):
    """The whole public page run with sign-in pointing at the hung provider finishes in about its usual time (the
    old check held it at least ten seconds); the sidebar says the check is under way, then why sign-in is
    unavailable."""
    from tests.pages_helper import TEST_AUTH, TEST_OFFICERS, app

    signin = fresh_checks
    url, _ = hung_provider
    monkeypatch.setattr(signin, "CHECK_DEADLINE", 2.0, raising=False)
    monkeypatch.setenv("SEND_SNAPSHOT_ROOT", str(sentinel_root))

    def run():
        at = app()
        at.secrets["auth"] = {**TEST_AUTH, "server_metadata_url": url}
        at.secrets["officers"] = TEST_OFFICERS
        started = time.monotonic()
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        return at, time.monotonic() - started

    at, _ = run()  # warms the caches (snapshots, charts) so the next run's time is the page's own
    deadline = time.monotonic() + 10
    while getattr(signin, "_RUNNING", None) and time.monotonic() < deadline:
        time.sleep(0.05)
    signin._CHECKED.clear()  # as on a server's first page
    at, seconds = run()
    assert seconds < 2.0, seconds  # the check's deadline is 2 s; the page did not wait for any of it
    assert "Checking whether signing in is available" in " ".join(c.value for c in at.sidebar.caption)
    assert "Public view." in " ".join(m.value for m in at.sidebar.markdown)
    while signin.provider_problem(url) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    at, _ = run()
    assert "Signing in is unavailable: the identity provider cannot be reached just now" in at.sidebar.warning[0].value
    assert not at.sidebar.button


def test_the_provider_check_is_shared_and_retried(fresh_checks, monkeypatch):
    """The identity provider's configuration is fetched once for every session; an answer is trusted for ten
    minutes, a failure is asked again after twenty seconds, each time in the background (on loopback only)."""
    import http.server

    signin = fresh_checks

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

    def settled():
        deadline = time.monotonic() + 10
        while signin._RUNNING and time.monotonic() < deadline:
            time.sleep(0.02)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/.well-known/openid-configuration"
    clock = [1000.0]
    monkeypatch.setattr(signin.time, "monotonic", lambda: clock[0])
    assert signin.provider_problem(url) is None
    settled()
    assert signin.provider_problem(url) == "" and signin.provider_problem(url) == "" and Handler.calls == 1
    server.shutdown()
    server.server_close()
    clock[0] += 599
    assert signin.provider_problem(url) == "" and not signin._RUNNING  # still trusted, not asked again
    clock[0] += 2
    assert signin.provider_problem(url) == ""  # due: the last answer stands while it is asked again
    settled()
    assert signin.provider_problem(url) == "the identity provider cannot be reached just now"
    clock[0] += 10
    assert signin.provider_problem(url) != "" and not signin._RUNNING and Handler.calls == 1  # remembered a while
    clock[0] += 11
    signin.provider_problem(url)
    assert signin._RUNNING or signin._CHECKED[url][0] == clock[0]  # and asked again after twenty seconds

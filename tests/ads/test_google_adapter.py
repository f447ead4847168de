"""The Google Ads adapter with Google's real `google-ads` client against a local gRPC fake
(tests/fakes/google_ads_server.py) and its local OAuth token endpoint."""

from __future__ import annotations

import socket
import threading
import time
from datetime import date
from decimal import Decimal

import pytest

from tests.fakes.google_ads_server import (
    CLIENT_ID,
    CLIENT_SECRET,
    DEVELOPER_TOKEN,
    REFRESH_TOKEN,
    FakeGoogleAds,
    Metrics,
    policy_violation,
    rate_limited,
    unavailable,
)
from webapp.integrations.ads.base import PlatformCampaign, Refused
from webapp.integrations.ads.google import GoogleAdsAdapter, minor_unit_micros
from webapp.integrations.resilience import ErrorClass, IntegrationError


def adapter_for(fake: FakeGoogleAds, **overrides) -> GoogleAdsAdapter:
    settings = {
        "developer_token": DEVELOPER_TOKEN,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "refresh_token": REFRESH_TOKEN,
        "customer_id": "123-456-7890",
        "endpoint": fake.endpoint,
        "token_uri": fake.token_uri,
        "timeout": 5,
    } | overrides
    return GoogleAdsAdapter(**settings)


@pytest.fixture
def fake():
    server = FakeGoogleAds().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def ads(fake):
    with adapter_for(fake) as adapter:
        yield adapter


def test_list_campaigns_reads_budgets_in_cents_and_skips_removed(fake, ads):
    fake.add_campaign("Search – bakery", 25_000_000)
    fake.add_campaign("Brand", 10_500_000, status="PAUSED")
    fake.add_campaign("Old summer promo", 5_000_000, status="REMOVED")

    campaigns = ads.list_campaigns()

    assert [(c.name, c.status, c.daily_budget_minor, c.currency) for c in campaigns] == [
        ("Brand", "PAUSED", 1050, "USD"),
        ("Search – bakery", "ENABLED", 2500, "USD"),
    ]
    metadata = fake.calls[-1].metadata
    assert metadata["developer-token"] == DEVELOPER_TOKEN
    assert metadata["authorization"].startswith("Bearer ya29.fake-")
    assert "login-customer-id" not in metadata


def test_pull_returns_corrected_figures_after_late_conversions(fake, ads):
    bakery = fake.add_campaign("Search – bakery", 25_000_000)
    brand = fake.add_campaign("Brand", 10_000_000)
    fake.metrics[(bakery.id, date(2026, 11, 30))] = Metrics(12_340_000, 900, 41, 2.0, 58.5)
    fake.metrics[(bakery.id, date(2026, 12, 1))] = Metrics(9_990_000, 700, 30, 1.0, 20.0)
    fake.metrics[(brand.id, date(2026, 12, 1))] = Metrics(3_000_000, 100, 7, 0.0, 0.0)
    fake.metrics[(bakery.id, date(2026, 11, 20))] = Metrics(1_000_000, 1, 1, 0.0, 0.0)

    first = ads.results(date(2026, 11, 28), date(2026, 12, 2))
    # Two days later Google has attributed late conversions to Nov 30.
    fake.metrics[(bakery.id, date(2026, 11, 30))] = Metrics(12_340_000, 900, 41, 5.0, 161.25)
    second = ads.results(date(2026, 11, 28), date(2026, 12, 2))

    by_key = {(r.campaign_id, r.day): r for r in first}
    assert set(by_key) == {
        (str(bakery.id), date(2026, 11, 30)),
        (str(bakery.id), date(2026, 12, 1)),
        (str(brand.id), date(2026, 12, 1)),
    }
    nov30 = by_key[(str(bakery.id), date(2026, 11, 30))]
    assert (nov30.spend, nov30.impressions, nov30.clicks) == (Decimal("12.34"), 900, 41)
    assert (nov30.conversions, nov30.conversion_value) == (Decimal("2"), Decimal("58.5"))
    corrected = {(r.campaign_id, r.day): r for r in second}[(str(bakery.id), date(2026, 11, 30))]
    assert (corrected.conversions, corrected.conversion_value) == (Decimal("5"), Decimal("161.25"))
    assert corrected.spend == Decimal("12.34")
    assert "segments.date BETWEEN '2026-11-28' AND '2026-12-02'" in fake.calls[-1].request.query


def test_set_daily_budget_writes_micros_and_returns_the_read_back(fake, ads):
    campaign = fake.add_campaign("Search – bakery", 25_000_000)

    assert ads.set_daily_budget(str(campaign.id), 4321) == 4321

    assert fake.budgets[campaign.budget_id].amount_micros == 43_210_000
    mutate = [c for c in fake.calls if c.method == "MutateCampaignBudgets"][-1].request
    assert list(mutate.operations[0].update_mask.paths) == ["amount_micros"]
    assert fake.calls[-1].method == "Search"
    assert "campaign_budget.amount_micros" in fake.calls[-1].request.query


def test_yen_budgets_have_no_minor_unit(fake):
    fake.currency = fake.customer["currency_code"] = "JPY"
    campaign = fake.add_campaign("検索", 3_000_000_000)  # ¥3,000 a day
    with adapter_for(fake) as ads:
        assert ads.list_campaigns()[0].daily_budget_minor == 3000
        assert ads.set_daily_budget(str(campaign.id), 4500) == 4500
    assert fake.budgets[campaign.budget_id].amount_micros == 4_500_000_000
    assert (minor_unit_micros("USD"), minor_unit_micros("KWD")) == (10_000, 1_000)


def test_refused_budget_change_is_permanent_with_the_reason(fake, ads):
    campaign = fake.add_campaign("Search – bakery", 25_000_000)
    fake.fail_next(
        "MutateCampaignBudgets",
        policy_violation("The account is under review; budget changes are blocked."),
    )

    with pytest.raises(Refused) as caught:
        ads.set_daily_budget(str(campaign.id), 9000)

    assert "The account is under review; budget changes are blocked." in str(caught.value)
    assert caught.value.error_class == ErrorClass.CONFIGURATION_ERROR
    assert not caught.value.retryable
    assert caught.value.provider_code == "policy_violation_error.POLICY_ERROR"
    assert ads.list_campaigns()[0].daily_budget_minor == 2500  # what the platform still has


def test_shared_budget_is_refused_without_a_mutate(fake, ads):
    campaign = fake.add_campaign("Search – bakery", 25_000_000)
    fake.budgets[campaign.budget_id].explicitly_shared = True

    with pytest.raises(Refused, match="shared budget"):
        ads.set_daily_budget(str(campaign.id), 9000)
    assert fake.count("MutateCampaignBudgets") == 0


def test_rate_limit_carries_the_retry_delay(fake, ads):
    fake.fail_next("SearchStream", rate_limited(42), rate_limited(None))

    with pytest.raises(IntegrationError) as first:
        ads.list_campaigns()
    with pytest.raises(IntegrationError) as second:
        ads.list_campaigns()

    assert first.value.error_class == ErrorClass.RATE_LIMITED
    assert first.value.retry_after == 42
    assert first.value.retryable
    assert (second.value.error_class, second.value.retry_after) == (ErrorClass.RATE_LIMITED, None)


def test_unavailable_and_unreachable_are_transient(fake, ads):
    fake.fail_next("SearchStream", unavailable())
    with pytest.raises(IntegrationError) as caught:
        ads.list_campaigns()
    assert caught.value.error_class == ErrorClass.TRANSIENT_NETWORK

    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        closed = f"127.0.0.1:{free.getsockname()[1]}"
    with adapter_for(fake, endpoint=closed, timeout=2) as nowhere:
        with pytest.raises(IntegrationError) as caught:
            nowhere.list_campaigns()
    assert caught.value.error_class == ErrorClass.TRANSIENT_NETWORK

    with adapter_for(fake, token_uri=f"http://{closed}/token") as no_sign_in:
        with pytest.raises(IntegrationError) as caught:
            no_sign_in.list_campaigns()
    assert caught.value.error_class == ErrorClass.TRANSIENT_NETWORK


@pytest.mark.parametrize("endpoint", [None, "ads-proxy.example:443"])
def test_other_endpoints_are_reached_over_tls(endpoint):
    adapter = GoogleAdsAdapter(
        developer_token="t",
        client_id="c",
        client_secret="s",
        refresh_token="r",
        customer_id="1234567890",
        endpoint=endpoint,
    )
    with adapter:  # channels connect lazily: no network here
        adapter._service("GoogleAdsService")
        assert adapter._local is None  # get_service's TLS channel, not the loopback one
        assert adapter._client.endpoint == endpoint  # None: get_service's Google default
    assert adapter._credentials.token_uri == "https://oauth2.googleapis.com/token"


def test_revoked_refresh_token_is_auth_failed_with_the_fix(fake, ads):
    fake.revoke()

    with pytest.raises(IntegrationError) as caught:
        ads.list_campaigns()

    assert caught.value.error_class == ErrorClass.THIRD_PARTY_AUTH_FAILED
    assert caught.value.provider_code == "invalid_grant"
    assert "Regenerate the refresh token" in str(caught.value)
    assert fake.calls == []  # no API call without a token


def test_token_revoked_mid_session_is_auth_failed(fake, ads):
    fake.add_campaign("Brand", 10_000_000)
    assert len(ads.list_campaigns()) == 1
    fake.revoke()  # the cached access token dies with it

    with pytest.raises(IntegrationError) as caught:
        ads.list_campaigns()

    assert caught.value.error_class == ErrorClass.THIRD_PARTY_AUTH_FAILED
    assert caught.value.provider_code == "authentication_error.OAUTH_TOKEN_INVALID"
    assert "Regenerate the refresh token" in str(caught.value)


def test_pause_sets_status_and_reads_it_back(fake, ads):
    campaign = fake.add_campaign("Search – bakery", 25_000_000)

    ads.pause(str(campaign.id))
    ads.pause(str(campaign.id))  # already paused: nothing to change

    assert fake.campaigns[campaign.id].status == "PAUSED"
    mutates = [c.request for c in fake.calls if c.method == "MutateCampaigns"]
    assert len(mutates) == 1
    assert list(mutates[0].operations[0].update_mask.paths) == ["status"]
    assert fake.calls[-1].method == "Search"


def test_pause_of_a_removed_or_foreign_campaign_is_refused(fake, ads):
    removed = fake.add_campaign("Old", 5_000_000, status="REMOVED")
    with pytest.raises(Refused, match="not in this Google Ads account"):
        ads.pause(str(removed.id))
    with pytest.raises(Refused, match="not a Google Ads campaign id"):
        ads.pause("1 OR campaign.id > 0")
    assert fake.count("MutateCampaigns") == 0


def test_create_paused_campaign_with_its_own_budget(fake, ads):
    created = ads.create_paused_campaign("Winter sale", 1500)

    assert isinstance(created, PlatformCampaign)
    assert (created.name, created.status, created.daily_budget_minor) == (
        "Winter sale",
        "PAUSED",
        1500,
    )
    stored = fake.campaigns[int(created.id)]
    assert (stored.status, stored.channel) == ("PAUSED", "SEARCH")
    budget = fake.budgets[stored.budget_id]
    assert (budget.amount_micros, budget.explicitly_shared) == (15_000_000, False)
    request = [c.request for c in fake.calls if c.method == "MutateCampaigns"][0]
    assert "target_spend" in request.operations[0].create


def test_create_refused_leaves_no_orphan_budget(fake, ads):
    fake.add_campaign("Winter sale", 10_000_000)
    budgets_before = set(fake.budgets)

    with pytest.raises(Refused, match="DUPLICATE_CAMPAIGN_NAME"):
        ads.create_paused_campaign("Winter sale", 1500)

    assert set(fake.budgets) == budgets_before
    assert fake.count("MutateCampaignBudgets") == 2  # the create, then its removal


def test_check_names_each_step(fake, ads):
    fake.add_campaign("Brand", 10_000_000)

    steps = ads.check()

    assert [(what, ok) for what, ok, _ in steps] == [
        ("Google sign-in (refresh token)", True),
        ("Developer token and access", True),
        ("Ads account 123-456-7890", True),
        ("Campaigns", True),
    ]
    assert steps[2][2] == "Corner Bakery · USD · Europe/Berlin"
    assert steps[3][2] == "1 campaign(s) readable"


def test_check_stops_at_the_first_failure_with_the_fix(fake):
    with adapter_for(fake, developer_token="wrong") as ads:
        steps = ads.check()
    assert [(what, ok) for what, ok, _ in steps] == [
        ("Google sign-in (refresh token)", True),
        ("Developer token and access", False),
    ]
    assert "API Center" in steps[-1][2]

    fake.revoke()
    with adapter_for(fake) as ads:
        steps = ads.check()
    assert [ok for _, ok, _ in steps] == [False]
    assert "Regenerate the refresh token" in steps[0][2]


def test_manager_account_needs_the_login_customer_id(fake):
    fake.login_customer_id = "9998887777"
    with adapter_for(fake) as ads:
        steps = ads.check()
    assert steps[-1][:2] == ("Developer token and access", False)
    assert "manager's customer id" in steps[-1][2]

    assert fake.count("ListAccessibleCustomers") == 1 and fake.count("Search") == 0

    with adapter_for(fake, login_customer_id="999-888-7777") as ads:
        assert all(ok for _, ok, _ in ads.check())
    assert fake.calls[-1].metadata["login-customer-id"] == "9998887777"


def test_a_manager_id_given_as_the_customer_id_is_named(fake, ads):
    fake.customer["manager"] = True

    steps = ads.check()

    assert steps[-1][:2] == ("Ads account 123-456-7890", False)
    assert "This is a manager account" in steps[-1][2]


def test_a_malformed_customer_id_is_a_configuration_error(fake):
    with pytest.raises(IntegrationError) as caught:
        adapter_for(fake, customer_id="123-456")
    assert caught.value.error_class == ErrorClass.CONFIGURATION_ERROR


def _python_threads() -> set[threading.Thread]:
    # gRPC core's own (process-wide) threads show up as _DummyThread once they run a Python
    # callback such as the OAuth metadata plugin; they are not this fake's or adapter's.
    return {t for t in threading.enumerate() if not isinstance(t, threading._DummyThread)}


def test_no_threads_or_ports_left_behind():
    before = _python_threads()
    fake = FakeGoogleAds().start()
    ports = [fake.port, int(fake.token_uri.split(":")[2].split("/")[0])]
    with adapter_for(fake) as ads:
        ads.list_campaigns()
    fake.stop()

    deadline = time.monotonic() + 5
    while _python_threads() - before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _python_threads() - before == set()
    for port in ports:  # nothing listens any more
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0


def test_check_raises_what_is_worth_retrying_instead_of_naming_a_setting(fake, ads):
    # A rate limit or an outage says nothing about the credentials: the probe is told to
    # try later (the service shows it as the provider's trouble), not "credentials refused".
    fake.fail_next("ListAccessibleCustomers", unavailable())
    with pytest.raises(IntegrationError) as caught:
        ads.check()
    assert caught.value.error_class == ErrorClass.TRANSIENT_NETWORK

import importlib.resources

import pytest

from dealflow_libs import domains
from dealflow_libs.domains import (
    PERSONAL_DOMAINS,
    EmailIdentity,
    company_domain_of,
    identify,
    is_personal_domain,
    normalise_email,
    person_key,
    registrable_domain,
)
from dealflow_libs.tenants import TenantProfile


def company(email: str) -> str | None:
    identity = identify(email)
    assert identity is not None, email
    return identity.company_domain


# --- company domain ---------------------------------------------------------------------------


def test_identify_returns_the_full_identity() -> None:
    assert identify("  Jane.Doe@Mail.ACME.co.uk ") == EmailIdentity(
        email="jane.doe@mail.acme.co.uk",
        host="mail.acme.co.uk",
        company_domain="acme.co.uk",
        is_personal=False,
    )


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        ("jane@acme.co.uk", "acme.co.uk"),
        ("jane@mail.acme.co.uk", "acme.co.uk"),
        ("jane@acme.com", "acme.com"),
        ("jane@a.b.acme.com", "acme.com"),
        ("jane@eu.sales.acme.com", "acme.com"),
        ("jane@acme.com.au", "acme.com.au"),
        ("jane@sydney.acme.com.au", "acme.com.au"),
        ("jane@acme.co.jp", "acme.co.jp"),
        ("jane@tokyo.acme.co.jp", "acme.co.jp"),
        ("jane@acme.io", "acme.io"),
    ],
)
def test_company_is_the_registrable_domain(email: str, expected: str) -> None:
    assert company(email) == expected


def test_case_and_whitespace_do_not_matter() -> None:
    assert company("\tJANE@ACME.COM \n") == "acme.com"
    assert normalise_email("  Jane@Acme.Com ") == "jane@acme.com"


@pytest.mark.parametrize(
    ("spellings", "key"),
    [
        (["Jane@Acme.com", " jane@ACME.COM\t", "jane@acme.com."], "jane@acme.com"),
        (["anna@Bücher.de", "anna@xn--bcher-kva.de", "ANNA@BÜCHER.DE"], "anna@xn--bcher-kva.de"),
        # Not an email, still a person's key: kept, trimmed and lower-cased, never merged.
        (["  Someone@Localhost "], "someone@localhost"),
    ],
)
def test_every_spelling_of_an_address_has_one_person_key(spellings: list[str], key: str) -> None:
    assert {person_key(s) for s in spellings} == {key}


def test_fully_qualified_trailing_dot_is_the_same_host() -> None:
    identity = identify("jane@acme.com.")
    assert identity is not None
    assert identity.host == "acme.com"
    assert identity.company_domain == "acme.com"


def test_plus_addressing_is_kept_in_the_email_but_not_in_the_domain() -> None:
    identity = identify("Jane+CRM@Acme.com")
    assert identity is not None
    assert identity.email == "jane+crm@acme.com"
    assert identity.company_domain == "acme.com"
    assert identity.company_domain == company("jane@acme.com")


def test_idn_and_punycode_are_the_same_company() -> None:
    unicode_form = identify("user@münchen.de")
    punycode_form = identify("user@xn--mnchen-3ya.de")
    assert unicode_form is not None
    assert punycode_form is not None
    assert unicode_form.company_domain == "xn--mnchen-3ya.de"
    assert punycode_form.company_domain == "xn--mnchen-3ya.de"
    assert unicode_form.email == punycode_form.email == "user@xn--mnchen-3ya.de"
    assert company("user@MÜNCHEN.DE") == "xn--mnchen-3ya.de"
    assert company("user@büro.münchen.de") == "xn--mnchen-3ya.de"


def test_idna_2008_keeps_sharp_s_distinct() -> None:
    # IDNA 2003 (Python's built-in codec) would fold faß.de into fass.de, another owner.
    assert company("user@faß.de") == "xn--fa-hia.de"
    assert company("user@fass.de") == "fass.de"


def test_private_psl_suffixes_are_separate_owners() -> None:
    assert company("me@foo.github.io") == "foo.github.io"
    assert company("me@bar.github.io") == "bar.github.io"
    assert company("me@foo.herokuapp.com") == "foo.herokuapp.com"
    assert identify("me@github.io") is None


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("acme.co.uk", "acme.co.uk"),
        ("mail.acme.co.uk", "acme.co.uk"),
        ("A.B.ACME.COM", "acme.com"),
        ("münchen.de", "xn--mnchen-3ya.de"),
        ("acme\uff0ecom", "acme.com"),  # full-width dot, as typed with CJK input methods
        ("co.uk", None),
        ("com", None),
        ("github.io", None),
        ("localhost", None),
        ("acme.local", None),
        ("acme.internal", None),
        ("1.2.3.4", None),
        ("[1.2.3.4]", None),
        ("::1", None),
        ("", None),
        ("a..b.com", None),
        ("-acme.com", None),
        ("ac_me.com", None),
        ("a" * 64 + ".com", None),
    ],
)
def test_registrable_domain(host: str, expected: str | None) -> None:
    assert registrable_domain(host) == expected


# --- invalid input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "acme.com",
        "jane@",
        "@acme.com",
        "jane@@acme.com",
        "jane@bob@acme.com",
        "jane doe@acme.com",
        "Jane <jane@acme.com>",
        "jane@[1.2.3.4]",
        "jane@[IPv6:::1]",
        "jane@1.2.3.4",
        "jane@localhost",
        "jane@acme..com",
        "x" * 65 + "@acme.com",
    ],
)
def test_not_an_email(raw: str) -> None:
    assert normalise_email(raw) is None
    assert identify(raw) is None


@pytest.mark.parametrize("raw", ["user@co.uk", "user@com.au", "user@github.io", "user@acme.local"])
def test_email_without_a_registrable_domain_has_no_identity(raw: str) -> None:
    # Syntactically an email, but there is no company behind a bare public suffix or unknown TLD.
    assert normalise_email(raw) == raw
    assert identify(raw) is None


# --- personal domains -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "email",
    [
        "jane@gmail.com",
        "jane@GoogleMail.com",
        "jane@yahoo.com",
        "jane@yahoo.co.uk",
        "jane@yahoo.fr",
        "jane@yahoo.com.au",
        "jane@hotmail.co.uk",
        "jane@hotmail.fr",
        "jane@outlook.com",
        "jane@icloud.com",
        "jane@proton.me",
        "jane@gmx.de",
        "jane@web.de",
        "jane@orange.fr",
        "jane@btinternet.com",
        "jane@docomo.ne.jp",
    ],
)
def test_personal_provider_creates_no_company(email: str) -> None:
    identity = identify(email)
    assert identity is not None
    assert identity.is_personal is True
    assert identity.company_domain is None
    assert identity.email == email.lower()


def test_subdomain_of_personal_provider_is_personal() -> None:
    identity = identify("jane@mail.yahoo.co.uk")
    assert identity is not None
    assert identity.host == "mail.yahoo.co.uk"
    assert identity.is_personal is True
    assert identity.company_domain is None
    assert is_personal_domain("MAIL.Yahoo.co.uk") is True


def test_provider_corporate_domain_is_a_company() -> None:
    assert company("sundar@google.com") == "google.com"
    assert company("satya@microsoft.com") == "microsoft.com"
    # A company whose name merely contains a provider's name is not personal either.
    assert company("jane@gmail-consulting.com") == "gmail-consulting.com"
    assert company("jane@notyahoo.co.uk") == "notyahoo.co.uk"


def test_is_personal_domain() -> None:
    assert is_personal_domain("gmail.com") is True
    assert is_personal_domain(" GMAIL.COM. ") is True
    assert is_personal_domain("acme.com") is False
    assert is_personal_domain("co.uk") is False
    assert is_personal_domain("not a domain") is False


def test_personal_domains_constant() -> None:
    assert isinstance(PERSONAL_DOMAINS, frozenset)
    assert {"gmail.com", "yahoo.co.uk", "hotmail.fr", "proton.me", "qq.com"} <= PERSONAL_DOMAINS
    assert "google.com" not in PERSONAL_DOMAINS
    assert 80 <= len(PERSONAL_DOMAINS) <= 250
    assert domains.PERSONAL_DOMAINS is PERSONAL_DOMAINS


def test_every_personal_domain_is_a_registrable_ascii_domain() -> None:
    # An entry below or above the registrable domain would silently never match (or match too
    # much), and an entry the PSL snapshot no longer knows would be dead weight.
    wrong = {d: registrable_domain(d) for d in PERSONAL_DOMAINS if registrable_domain(d) != d}
    assert wrong == {}


def test_personal_domains_file_is_packaged_and_has_no_duplicates() -> None:
    resource = importlib.resources.files("dealflow_libs").joinpath("personal_domains.txt")
    assert resource.is_file()
    entries = [
        line.partition("#")[0].strip()
        for line in resource.read_text("utf-8").splitlines()
        if line.partition("#")[0].strip()
    ]
    assert len(entries) == len(set(entries))
    assert set(entries) == PERSONAL_DOMAINS


# --- tenant overrides -------------------------------------------------------------------------


def test_tenant_extra_personal_domain() -> None:
    identity = identify("bob@mycompany-alumni.org", extra_personal=["mycompany-alumni.org"])
    assert identity is not None
    assert identity.is_personal is True
    assert identity.company_domain is None
    # Without the tenant's list it is an ordinary company.
    assert company("bob@mycompany-alumni.org") == "mycompany-alumni.org"
    assert is_personal_domain("mycompany-alumni.org", extra=["MyCompany-Alumni.org"]) is True


def test_tenant_extra_covers_subdomains_only_below_the_entry() -> None:
    extra = ["alumni.acme.org"]
    alumni = identify("bob@alumni.acme.org", extra_personal=extra)
    staff = identify("bob@acme.org", extra_personal=extra)
    assert alumni is not None
    assert staff is not None
    assert alumni.is_personal is True
    assert staff.is_personal is False
    assert staff.company_domain == "acme.org"
    assert is_personal_domain("class-of-2020.alumni.acme.org", extra=extra) is True


def test_tenant_not_personal_overrides_builtin_list() -> None:
    identity = identify("freelancer@gmail.com", not_personal=["gmail.com"])
    assert identity == EmailIdentity(
        email="freelancer@gmail.com",
        host="gmail.com",
        company_domain="gmail.com",
        is_personal=False,
    )
    assert is_personal_domain("gmail.com", not_personal=["gmail.com"]) is False
    assert is_personal_domain("mail.yahoo.co.uk", not_personal=["yahoo.co.uk"]) is False
    # Overriding one provider leaves the others personal.
    assert is_personal_domain("yahoo.com", not_personal=["gmail.com"]) is True


def test_most_specific_tenant_entry_wins() -> None:
    assert is_personal_domain("a.acme.org", extra=["a.acme.org"], not_personal=["acme.org"])
    assert not is_personal_domain("acme.org", extra=["a.acme.org"], not_personal=["acme.org"])
    # Same entry in both lists: the explicit override wins.
    assert not is_personal_domain("acme.org", extra=["acme.org"], not_personal=["acme.org"])


def test_tenant_lists_accept_idn_in_either_form() -> None:
    assert is_personal_domain("xn--mnchen-3ya.de", extra=["münchen.de"]) is True
    assert is_personal_domain("münchen.de", extra=["xn--mnchen-3ya.de"]) is True


def test_tenant_lists_accept_any_iterable() -> None:
    assert is_personal_domain("acme.org", extra=(d for d in ["acme.org"])) is True
    assert is_personal_domain("gmail.com", not_personal={"gmail.com"}) is False


@pytest.mark.parametrize("entry", ["co.uk", "com", "localhost", "not a domain", "", "[1.2.3.4]"])
def test_invalid_tenant_entry_is_an_error_not_ignored(entry: str) -> None:
    with pytest.raises(ValueError, match="not a domain name"):
        identify("jane@acme.com", extra_personal=[entry])
    with pytest.raises(ValueError, match="not a domain name"):
        is_personal_domain("acme.com", not_personal=[entry])


def test_public_suffix_cannot_be_listed_to_swallow_companies() -> None:
    # Even if a caller bypassed validation, matching stops at the registrable domain.
    for suffix in ("co.uk", "uk"):
        assert not domains._is_personal(
            "acme.co.uk", "acme.co.uk", frozenset({suffix}), frozenset()
        )


class TestOneRuleForEveryService:
    """Meetings classifies attendees with company_domain_of, deals CRM contacts through the
    tenant's profile: both are `identify` given the tenant's list, so they cannot disagree."""

    @pytest.mark.parametrize(
        "email",
        ["jo@family-mail.org", "jo@eu.family-mail.org", "jo@gmail.com", "jo@acme.co.uk", "x@co.uk"],
    )
    def test_the_profile_and_the_function_agree(self, email: str) -> None:
        tenant = TenantProfile(personal_domains=("family-mail.org",))
        identity = tenant.identify(email)

        seen_by_deals = (
            (identity.company_domain, identity.is_personal) if identity else (None, False)
        )
        assert company_domain_of(email, tenant.personal_domains) == seen_by_deals

    def test_a_tenant_personal_domain_is_personal_only_for_that_tenant(self) -> None:
        assert company_domain_of("jo@family-mail.org", ["family-mail.org"]) == (None, True)
        assert company_domain_of("jo@family-mail.org") == ("family-mail.org", False)
        assert TenantProfile().identify("jo@family-mail.org").company_domain == "family-mail.org"

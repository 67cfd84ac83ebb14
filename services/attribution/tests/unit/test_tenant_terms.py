"""TenantTerms.company_of (memoised per host, with a fast path) agrees with the one rule of
dealflow_libs.domains for every kind of address."""

import pytest

from attribution.attributing import TenantTerms
from attribution.domain.account import email_domain
from attribution.domain.default_channels import default_rule_set
from dealflow_libs.domains import company_domain_of, person_key
from dealflow_libs.tenants import TenantProfile

EMAILS = [
    "ana@acme.com",
    "bo@eu.acme.com",
    "jo@gmail.com",
    "x@mail.yahoo.co.uk",
    "y@yahoo.co.uk",
    "z@alumni.school.edu",
    "w@school.edu",
    "v@MÜNCHEN.de",
    "u@tenant-mail.example.org",
    "t@sub.tenant-mail.example.org",
    "s@co.uk",
    "r@tenantmail.com",
]


@pytest.mark.parametrize(
    "personal", [(), ("tenant-mail.example.org", "alumni.school.edu", "TenantMail.com")]
)
def test_company_of_is_the_shared_rule(personal: tuple[str, ...]) -> None:
    terms = TenantTerms.of("t", TenantProfile(personal_domains=personal), default_rule_set())
    for raw in EMAILS:
        email = person_key(raw)
        expected = company_domain_of(email, personal)[0]
        assert terms.company_of(email, email_domain(email)) == expected, raw
        assert terms.company_of(email, email_domain(email)) == expected, raw  # memoised

"""Which company an email address belongs to.

A company is identified by the *registrable domain* of the address's host, per the Public Suffix
List (PSL): ``jane@eu.sales.acme.com`` and ``joe@acme.com`` are both ``acme.com``, and
``mail.acme.co.uk`` is ``acme.co.uk``. Addresses at consumer mailbox providers (gmail.com,
yahoo.co.uk, ...) name a person, not a company, so they get no company domain.

Everything here is pure and offline: the PSL snapshot ships inside the ``publicsuffixlist`` wheel
and the personal-provider list is ``personal_domains.txt`` in this package; both are read once,
lazily, on first use. Refreshing either means bumping the dependency / editing the data file.

Hosts are always handled in their ASCII form (IDNA 2008 with UTS #46 mapping, i.e. punycode
``xn--`` labels), so ``münchen.de`` and ``xn--mnchen-3ya.de`` are the same company.
"""

import functools
import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources

import idna
from publicsuffixlist import PublicSuffixList

__all__ = [
    "PERSONAL_DOMAINS",
    "EmailIdentity",
    "company_domain_of",
    "identify",
    "is_personal_domain",
    "normalise_email",
    "person_key",
    "personal_domain_entry",
    "registrable_domain",
]

# RFC 5321's limit on the local part.
_MAX_LOCAL_PART = 64
# Characters that are only legal inside a quoted local part (or not at all). Quoted local parts
# are vanishingly rare in B2B traffic, so such input is treated as "not an email" rather than
# parsed. Dots are deliberately not policed: real providers (notably Japanese carriers) issue
# addresses with consecutive or trailing dots, and the domain is all that matters here.
_LOCAL_PART_INVALID = re.compile(r'[\s\x00-\x1f\x7f"(),:;<>@\[\\\]]')


@dataclass(frozen=True)
class EmailIdentity:
    """What an email address says about who sent it.

    ``email``: lower-cased, stripped, host in ASCII form; plus-addressing (``jane+crm@``) is kept,
    since it is part of the mailbox and does not affect the company.
    ``host``: the whole host part in ASCII/punycode form (``xn--mnchen-3ya.de``, not
    ``münchen.de``), lower case, no trailing dot. Use ``idna.decode`` to display it.
    ``company_domain``: the registrable domain (ASCII form), or ``None`` for a personal address.
    ``is_personal``: the address is at a consumer mailbox provider.
    """

    email: str
    host: str
    company_domain: str | None
    is_personal: bool


@functools.cache
def _psl() -> PublicSuffixList:
    # accept_unknown=False: a host whose TLD is not in the snapshot (acme.local, acme.internal,
    # acme.test, typos) cannot be a company on the public internet, so it yields no company. The
    # cost is that a TLD delegated after the snapshot is rejected until the package is bumped,
    # which fails safe (no company) rather than inventing one.
    #
    # Both PSL sections are used (the library's default). Private-section suffixes such as
    # github.io, blogspot.com or herokuapp.com are shared hosting: foo.github.io and bar.github.io
    # belong to different owners, so each is its own registrable domain, and a bare github.io
    # address yields no company. Using the ICANN section alone would merge every such tenant
    # into one "company" (github.io, blogspot.com, uk.com, ...).
    return PublicSuffixList(accept_unknown=False)


@functools.lru_cache(maxsize=65536)  # pure and hot: IDNA encoding costs ~0.1 ms per call
def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


# LDH labels of 1-63 characters, no leading or trailing hyphen, at most 253 characters.
_PLAIN_ASCII_HOST = re.compile(
    r"(?=.{1,253}\.?$)(?:(?!-)[a-z0-9-]{1,63}(?<!-)\.)*(?!-)[a-z0-9-]{1,63}(?<!-)\.?"
)


def _ascii_host(host: str) -> str | None:
    """The host in lower-case ASCII (punycode) form, or None if it is not a valid DNS name.

    Rejects IP addresses (bare or as ``[...]`` literals), which identify no company.
    """
    host = host.strip()
    if not host or host.startswith("["):
        return None
    lowered = host.lower()
    if _PLAIN_ASCII_HOST.fullmatch(lowered) and "--" not in lowered:
        # The common case needs no IDNA machinery (~0.1 ms): plain LDH labels are their own
        # UTS #46 form. Anything else (non-ASCII, punycode, odd hyphens) takes the full path.
        ascii_host = lowered.removesuffix(".")
        return None if _is_ip(ascii_host) else ascii_host
    try:
        # UTS #46 mapping lower-cases and folds look-alikes (full-width dots, compatibility
        # characters) the way browsers and mail clients do, and validates labels: LDH only,
        # no leading/trailing hyphen, at most 63 octets per label and 253 overall.
        ascii_host = idna.encode(host, uts46=True).decode("ascii")
    except UnicodeError:  # idna.IDNAError is a UnicodeError
        return None
    # One trailing dot is the fully-qualified spelling of the same name.
    ascii_host = ascii_host.removesuffix(".")
    if not ascii_host:
        return None
    try:
        ipaddress.ip_address(ascii_host)
    except ValueError:
        return ascii_host
    return None


def normalise_email(raw: str) -> str | None:
    """``raw`` lower-cased and stripped with its host in ASCII form, or None if it is not an email.

    Not an email: no ``@`` or more than one, an empty or over-long local part, characters that
    would need quoting, or a host that is not a DNS name with at least two labels (IP literals
    and ``localhost`` are rejected). Whether the host is a *registrable* domain is not checked
    here: ``user@co.uk`` is an email that belongs to no company (see ``identify``).
    """
    local, at, host = raw.strip().lower().partition("@")
    if not at or not local or "@" in host:
        return None
    if len(local.encode()) > _MAX_LOCAL_PART or _LOCAL_PART_INVALID.search(local):
        return None
    ascii_host = _ascii_host(host)
    if ascii_host is None or "." not in ascii_host:
        return None
    return f"{local}@{ascii_host}"


def person_key(raw: str) -> str:
    """The one spelling of a person's address every service stores and looks up: the
    normalised email (``normalise_email``), or for text that is no valid email, that text
    trimmed and lower-cased (kept, so nothing a sender gave is dropped or merged wrongly)."""
    return normalise_email(raw) or raw.strip().lower()


@functools.lru_cache(maxsize=65536)
def registrable_domain(host: str) -> str | None:
    """The registrable domain of ``host`` (ASCII form), e.g. ``mail.acme.co.uk`` -> ``acme.co.uk``.

    None if ``host`` is not a valid DNS name, is an IP address, has one label (``localhost``),
    is itself a public suffix (``co.uk``, ``github.io``) or has a TLD unknown to the snapshot.
    """
    ascii_host = _ascii_host(host)
    if ascii_host is None or "." not in ascii_host:
        return None
    result = _psl().privatesuffix(ascii_host)
    # privatesuffix returns bytes tuples only for tuple input; narrow for the type checker.
    return result if isinstance(result, str) else None


@functools.cache
def _personal_domains() -> frozenset[str]:
    text = resources.files("dealflow_libs").joinpath("personal_domains.txt").read_text("utf-8")
    domains: set[str] = set()
    for line in text.splitlines():
        entry = line.partition("#")[0].strip()
        if entry:
            domains.add(personal_domain_entry(entry))
    return frozenset(domains)


def personal_domain_entry(entry: str) -> str:
    """A domain from a personal-domain list (packaged or a tenant's), in ASCII form.

    Raises ValueError for an entry that is not at or below a registrable domain: silently
    dropping ``gmial.con`` or ``co.uk`` from a tenant's list would hide a configuration mistake,
    so callers should validate tenant lists when they are saved, using this same rule.
    """
    ascii_host = _ascii_host(entry)
    if ascii_host is None or registrable_domain(ascii_host) is None:
        raise ValueError(f"not a domain name with a registrable domain: {entry!r}")
    return ascii_host


@functools.lru_cache(maxsize=1024)
def _entries(entries: tuple[str, ...]) -> frozenset[str]:
    """A tenant's list in ASCII form, checked once per distinct list rather than per address
    (callers classify thousands of addresses against the same list)."""
    return frozenset(personal_domain_entry(d) for d in entries)


def _is_personal(
    host: str, registrable: str, extra: frozenset[str], not_personal: frozenset[str]
) -> bool:
    """Whether ``host`` (ASCII, under ``registrable``) is at a personal mailbox provider.

    Walks from the full host up to the registrable domain and the most specific listed domain
    decides, so a tenant can mark ``alumni.acme.org`` personal while ``acme.org`` stays a company,
    and a listed domain covers its subdomains (``mail.yahoo.co.uk`` is ``yahoo.co.uk``). At the
    same level the tenant's ``not_personal`` wins over both lists: it is the explicit override.
    The walk stops at the registrable domain, so no list entry can swallow a public suffix.
    """
    labels = host.split(".")
    stop = len(labels) - registrable.count(".") - 1
    builtin = _personal_domains()
    for start in range(stop + 1):
        candidate = ".".join(labels[start:])
        if candidate in not_personal:
            return False
        if candidate in extra or candidate in builtin:
            return True
    return False


def is_personal_domain(
    domain: str, *, extra: Iterable[str] = (), not_personal: Iterable[str] = ()
) -> bool:
    """Whether ``domain`` (any host, e.g. ``gmail.com`` or ``mail.yahoo.co.uk``) is personal.

    ``extra``: the tenant's additional personal domains; ``not_personal``: domains the tenant says
    are companies even though the built-in list has them. Entries cover their subdomains; the
    most specific entry wins (see ``_is_personal``). An invalid ``domain`` is not personal; an
    invalid list entry raises ValueError.
    """
    extra_set, not_personal_set = _entries(tuple(extra)), _entries(tuple(not_personal))
    ascii_host = _ascii_host(domain)
    if ascii_host is None:
        return False
    registrable = registrable_domain(ascii_host)
    if registrable is None:
        return False
    return _is_personal(ascii_host, registrable, extra_set, not_personal_set)


def identify(
    email: str, *, extra_personal: Iterable[str] = (), not_personal: Iterable[str] = ()
) -> EmailIdentity | None:
    """The identity behind ``email``, or None if it is not an email with a registrable domain.

    ``extra_personal`` / ``not_personal`` are the tenant's overrides of the built-in personal list,
    as for ``is_personal_domain``; an invalid entry raises ValueError.
    """
    extra_set = _entries(tuple(extra_personal))
    not_personal_set = _entries(tuple(not_personal))
    normalised = normalise_email(email)
    if normalised is None:
        return None
    host = normalised.rpartition("@")[2]
    registrable = registrable_domain(host)
    if registrable is None:
        return None
    personal = _is_personal(host, registrable, extra_set, not_personal_set)
    return EmailIdentity(
        email=normalised,
        host=host,
        company_domain=None if personal else registrable,
        is_personal=personal,
    )


def company_domain_of(email: str, personal_domains: Iterable[str] = ()) -> tuple[str | None, bool]:
    """(company domain or None, is personal) of ``email`` for a tenant with these personal
    domains: the one rule meetings applies to attendees and deals to CRM contacts."""
    identity = identify(email, extra_personal=personal_domains)
    return (identity.company_domain, identity.is_personal) if identity else (None, False)


# The built-in personal domains (ASCII form). Loaded on first access (PEP 562) so importing this
# module does no I/O.
PERSONAL_DOMAINS: frozenset[str]


def company_name(domain: str) -> str:
    """`acme-widgets.co.uk` -> `Acme Widgets`: a company's readable default name (deals names its
    companies so, crm_push the companies it creates for meetings without a deal)."""
    label = domain.split(".", 1)[0]
    return (
        " ".join(part.capitalize() for part in label.replace("_", "-").split("-") if part) or domain
    )


def __getattr__(name: str) -> frozenset[str]:
    if name == "PERSONAL_DOMAINS":
        return _personal_domains()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

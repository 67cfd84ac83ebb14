"""The default channel rules: outbound activity types first, then GA4's default channel group.

The GA4 rules follow GA4's published rule text in the evaluation order of Snowplow's
implementation (reference §3.2). Consequences of that order, kept on purpose: `cpm` matches the
paid regex first, so it is Paid Other, not Display; a paid medium from a social site is Paid
Social. The source-category list is a short hand-made list of well-known sites (GA4's own list is
longer); tenants extend it as data.
"""

from attribution.domain.channels import Condition, Field, Op, Rule, RuleSet, rule, when
from attribution.domain.touches import ActivityType as A

DEFAULT_RULE_VERSION = 1
DIRECT = "Direct"
UNASSIGNED = "Unassigned"

PAID_MEDIUM = r"^(.*cp.*|ppc|retargeting|paid.*)$"
SHOP_CAMPAIGN = r"^(.*(([^a-df-z]|^)shop|shopping).*)$"
EMAIL_WORDS = ("email", "e-mail", "e_mail", "e mail")


def _categories(**names: str) -> dict[str, str]:
    return {name: category for category, text in names.items() for name in text.split()}


# GA4 source categories (search, social, video, shopping) of well-known sites.
SOURCE_CATEGORIES: dict[str, str] = _categories(
    search=(
        "google google.com bing bing.com yahoo yahoo.com search.yahoo.com duckduckgo "
        "duckduckgo.com baidu baidu.com yandex yandex.ru yandex.com ecosia ecosia.org ask "
        "ask.com aol search.aol.com naver naver.com seznam seznam.cz startpage startpage.com "
        "qwant qwant.com search.brave.com perplexity perplexity.ai"
    ),
    social=(
        "facebook facebook.com fb instagram instagram.com ig linkedin linkedin.com lnkd.in "
        "twitter twitter.com t.co x.com reddit reddit.com pinterest pinterest.com quora "
        "quora.com tiktok tiktok.com threads.net mastodon.social bsky.app xing xing.com "
        "news.ycombinator.com medium.com discord discord.com slack slack.com whatsapp "
        "whatsapp.com telegram t.me"
    ),
    video=(
        "youtube youtube.com youtu.be vimeo vimeo.com twitch twitch.tv dailymotion "
        "dailymotion.com wistia wistia.com"
    ),
    shopping=(
        "amazon amazon.com ebay ebay.com etsy etsy.com shopify shopify.com walmart "
        "walmart.com aliexpress aliexpress.com shopping.google.com"
    ),
)

NO_UTM = (when(Field.SOURCE, Op.EMPTY), when(Field.MEDIUM, Op.EMPTY))
PAID = when(Field.MEDIUM, Op.MATCHES, PAID_MEDIUM)


def _is(*types: A) -> tuple[Condition, ...]:
    return (when(Field.ACTIVITY_TYPE, Op.IN, *types),)


def _category(name: str) -> tuple[Condition, ...]:
    return (when(Field.SOURCE_CATEGORY, Op.EQUALS, name),)


# Outbound and offline activity carries no UTM; it is classified by what it is. A paid LinkedIn
# ad click is an ad_click with UTMs, so it stays Paid Social below.
OUTBOUND_RULES: tuple[Rule, ...] = (
    rule(
        "outbound-email",
        "Outbound Email",
        _is(A.EMAIL_SENT, A.EMAIL_OPENED, A.EMAIL_REPLIED, A.EMAIL_CLICKED),
    ),
    rule("outbound-linkedin", "LinkedIn (Outbound)", _is(A.LINKEDIN_MESSAGE, A.LINKEDIN_CONNECT)),
    rule("outbound-call", "Phone", _is(A.CALL)),
    rule("outbound-sms", "SMS", _is(A.SMS)),
    rule("event", "Events", _is(A.EVENT)),
    rule("meeting-without-utm", "Sales Meeting", (*_is(A.MEETING_BOOKED), *NO_UTM)),
    rule("referral-without-utm", "Referral", (*_is(A.REFERRAL), *NO_UTM)),
    rule("ad-click-without-utm", "Paid Other", (*_is(A.AD_CLICK), *NO_UTM)),
)

GA4_RULES: tuple[Rule, ...] = (
    rule(
        "ga4-direct",
        DIRECT,
        (
            when(Field.SOURCE, Op.IN, "(direct)", "direct"),
            when(Field.MEDIUM, Op.IN, "(not set)", "(none)", "not set", "none"),
        ),
        # A visit or form with no source and no medium is what GA4 records as (direct)/(none).
        (*_is(A.WEB_VISIT, A.FORM_SUBMIT), *NO_UTM),
    ),
    rule(
        "ga4-cross-network", "Cross-network", (when(Field.CAMPAIGN, Op.CONTAINS, "cross-network"),)
    ),
    rule(
        "ga4-paid-shopping",
        "Paid Shopping",
        (*_category("shopping"), PAID),
        (when(Field.CAMPAIGN, Op.MATCHES, SHOP_CAMPAIGN), PAID),
    ),
    rule("ga4-paid-search", "Paid Search", (*_category("search"), PAID)),
    rule("ga4-paid-social", "Paid Social", (*_category("social"), PAID)),
    rule("ga4-paid-video", "Paid Video", (*_category("video"), PAID)),
    rule("ga4-paid-other", "Paid Other", (PAID,)),
    rule(
        "ga4-display",
        "Display",
        (when(Field.MEDIUM, Op.IN, "display", "banner", "expandable", "interstitial", "cpm"),),
    ),
    rule(
        "ga4-organic-shopping",
        "Organic Shopping",
        _category("shopping"),
        (when(Field.CAMPAIGN, Op.MATCHES, SHOP_CAMPAIGN),),
    ),
    rule(
        "ga4-organic-social",
        "Organic Social",
        _category("social"),
        (
            when(
                Field.MEDIUM,
                Op.IN,
                "social",
                "social-network",
                "social-media",
                "sm",
                "social network",
                "social media",
            ),
        ),
    ),
    rule(
        "ga4-organic-video",
        "Organic Video",
        _category("video"),
        (when(Field.MEDIUM, Op.MATCHES, r"^(.*video.*)$"),),
    ),
    rule(
        "ga4-organic-search",
        "Organic Search",
        _category("search"),
        (when(Field.MEDIUM, Op.EQUALS, "organic"),),
    ),
    rule("ga4-referral", "Referral", (when(Field.MEDIUM, Op.IN, "referral", "app", "link"),)),
    rule(
        "ga4-email",
        "Email",
        (when(Field.SOURCE, Op.IN, *EMAIL_WORDS),),
        (when(Field.MEDIUM, Op.IN, *EMAIL_WORDS),),
    ),
    rule("ga4-affiliates", "Affiliates", (when(Field.MEDIUM, Op.EQUALS, "affiliate"),)),
    rule("ga4-audio", "Audio", (when(Field.MEDIUM, Op.EQUALS, "audio"),)),
    rule(
        "ga4-sms",
        "SMS",
        (when(Field.SOURCE, Op.EQUALS, "sms"),),
        (when(Field.MEDIUM, Op.EQUALS, "sms"),),
    ),
    rule(
        "ga4-mobile-push",
        "Mobile Push Notifications",
        (when(Field.MEDIUM, Op.ENDS_WITH, "push"),),
        (when(Field.MEDIUM, Op.MATCHES, r".*(mobile|notification).*"),),
        (when(Field.SOURCE, Op.EQUALS, "firebase"),),
    ),
    rule("unassigned", UNASSIGNED),
)


def default_rule_set(version: int = DEFAULT_RULE_VERSION) -> RuleSet:
    return RuleSet(version, OUTBOUND_RULES + GA4_RULES, SOURCE_CATEGORIES)

"""Tables owned by attribution."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    Identity,
    Index,
    Integer,
    Numeric,
    Table,
    Text,
    false,
    func,
    literal_column,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

from dealflow_libs.db import new_metadata, timestamp
from dealflow_libs.inbox import inbox_table
from dealflow_libs.outbox import outbox_table
from dealflow_libs.tenants import tenants_table

metadata = new_metadata()

#: Every touch once per (tenant, sender's touch_id), with the channel its rules gave it then.
touches = Table(
    "touches",
    metadata,
    Column("tenant_id", Text, primary_key=True),
    Column("touch_id", Text, primary_key=True),
    Column("person_email", Text, nullable=False),
    # The registrable domain of the address (whatever the tenant's personal domains): how a
    # deal's account finds its people's touches by index, subdomains included.
    Column("email_domain", Text),
    timestamp("occurred_at", nullable=False),
    Column("activity_type", Text, nullable=False),
    # What the sender named, if anything; `channel` is what counts (explicit or classified).
    Column("explicit_channel", Text),
    Column("channel", Text, nullable=False),
    Column("channel_rule_id", Text, nullable=False),
    Column("rule_version", Integer, nullable=False),
    Column("utm_source", Text),
    Column("utm_medium", Text),
    Column("utm_campaign", Text),
    Column("utm_content", Text),
    Column("utm_term", Text),
    Column("campaign_id", Text),
    Column("external_activity_id", Text),
    Column("metadata", JSONB, nullable=False, server_default="{}"),
    # Where it came in: "api", "kafka" or "meeting".
    Column("source", Text, nullable=False),
    timestamp("received_at", nullable=False),
    Index("ix_touches_person", "tenant_id", "person_email", "occurred_at", "touch_id"),
    Index("ix_touches_domain", "tenant_id", "email_domain"),
    # The funnel's people touched in its window, from the index alone.
    Index("ix_touches_occurred", "tenant_id", "occurred_at", postgresql_include=["person_email"]),
)

#: Each booked meeting once: who booked (the person and every attendee) and when; deals link
#: their meetings, and a deal's journey takes in these people.
meeting_bookings = Table(
    "meeting_bookings",
    metadata,
    Column("meeting_id", UUID(as_uuid=True), primary_key=True),
    Column("tenant_id", Text, nullable=False),
    Column("person_email", Text, nullable=False),
    Column("attendee_emails", ARRAY(Text), nullable=False, server_default="{}"),
    Column("company_domain", Text),
    timestamp("booked_at", nullable=False),
    Column("touch_id", Text, nullable=False),
    # The cohort funnel's fact (migration 0022, set by the unit of work that writes leads:
    # `db.reporting.refresh_meeting_cohort_seen`): the latest first-seen of its people's leads;
    # and its meeting state's attendance, copied by triggers on both tables.
    timestamp("cohort_seen_at"),
    Column("showed_up", Boolean),
    Index("ix_meeting_bookings_company", "tenant_id", "company_domain"),
    Index("ix_meeting_bookings_booked", "tenant_id", "booked_at"),
    Index(
        "ix_meeting_bookings_cohort",
        "tenant_id",
        "cohort_seen_at",
        postgresql_include=["showed_up"],
    ),
)

#: Who booked or attends each booked meeting, one row per person: how a lead's meetings are
#: found by index. Kept by triggers on meeting_bookings (migration 0010), so every way a
#: booking is written fills it.
meeting_attendees = Table(
    "meeting_attendees",
    metadata,
    Column("tenant_id", Text, primary_key=True),
    Column("email", Text, primary_key=True),
    Column("meeting_id", UUID(as_uuid=True), primary_key=True),
    # The people of the meetings booked in a window (the funnel), of a deleted booking.
    Index("ix_meeting_attendees_meeting", "meeting_id"),
)

#: Append-only: every attribution run of a won deal under one model. A run that replaces
#: another names it in `supersedes`; a reopened deal's runs are voided in `run_voids`.
attribution_runs = Table(
    "attribution_runs",
    metadata,
    Column("run_id", UUID(as_uuid=True), primary_key=True),
    # Insertion order: the latest run of a (deal, model) is the one with the highest seq.
    Column("seq", BigInteger, Identity(), nullable=False, unique=True),
    Column("tenant_id", Text, nullable=False),
    Column("deal_id", UUID(as_uuid=True), nullable=False),
    Column("model", Text, nullable=False),
    Column("parameters", JSONB, nullable=False),
    Column("rule_version", Integer, nullable=False),
    Column("rule_digest", Text, nullable=False),
    Column("window", JSONB, nullable=False),
    timestamp("conversion_at", nullable=False),
    Column("value_minor", BigInteger, nullable=False),
    Column("currency", Text, nullable=False),
    Column("input_hash", Text, nullable=False),
    Column("supersedes", UUID(as_uuid=True)),
    # The whole run (AttributionRun.to_dict(): touches, channels, exclusions, reasons).
    Column("result", JSONB, nullable=False),
    Column("caused_by", Text),
    timestamp("created_at", nullable=False),
    Index("ix_attribution_runs_deal", "tenant_id", "deal_id", "model", "seq"),
    # History (`as_of` reports): the deals with a run closing in a window (migration 0018).
    Index(
        "ix_attribution_runs_closing",
        "tenant_id",
        "model",
        "conversion_at",
        postgresql_include=["deal_id"],
    ),
)

run_voids = Table(
    "run_voids",
    metadata,
    Column("run_id", UUID(as_uuid=True), primary_key=True),
    Column("tenant_id", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("caused_by", Text),
    timestamp("voided_at", nullable=False),
)

#: Each closed deal's channel path (won or lost): the training data of the Markov model.
deal_journeys = Table(
    "deal_journeys",
    metadata,
    Column("deal_id", UUID(as_uuid=True), primary_key=True),
    Column("tenant_id", Text, nullable=False, index=True),
    Column("channels", ARRAY(Text), nullable=False),
    Column("converted", Boolean, nullable=False),
    timestamp("closed_at", nullable=False),
)

#: Each closed (won or lost) deal as its latest event described it (`ClosedDeal`): what a
#: recompute needs without the event, and the index by which a late touch finds the deals
#: whose journeys it joins (by company domain, or by a linked person's email).
closed_deals = Table(
    "closed_deals",
    metadata,
    Column("deal_id", UUID(as_uuid=True), primary_key=True),
    Column("tenant_id", Text, nullable=False),
    Column("won", Boolean, nullable=False),
    Column("company_domain", Text),
    Column("linked_emails", ARRAY(Text), nullable=False, server_default="{}"),
    Column("value_minor", BigInteger, nullable=False),
    Column("currency", Text, nullable=False),
    timestamp("closed_at", nullable=False),
    timestamp("lead_created_at"),
    timestamp("deal_created_at"),
    Index("ix_closed_deals_company", "tenant_id", "company_domain"),
    # A tenant recompute walks its deals by id, a batch at a time (keyset).
    Index("ix_closed_deals_tenant", "tenant_id", "deal_id"),
    Index("ix_closed_deals_linked", "linked_emails", postgresql_using="gin"),
)

#: A tenant's exchange rates: 1 base = rate quote from effective_from on (reports convert each
#: deal at its close date with the latest row on or before it).
currency_rates = Table(
    "currency_rates",
    metadata,
    Column("tenant_id", Text, primary_key=True),
    Column("base", Text, primary_key=True),
    Column("quote", Text, primary_key=True),
    Column("effective_from", Date, primary_key=True),
    Column("rate", Numeric(30, 18), nullable=False),
    timestamp("updated_at", nullable=False),
)

#: Each meeting's latest state as the funnel needs it (from every meeting event, which carries
#: the full state); `state_at` is the event's time, so an older event never overwrites a newer.
meeting_states = Table(
    "meeting_states",
    metadata,
    Column("meeting_id", UUID(as_uuid=True), primary_key=True),
    Column("tenant_id", Text, nullable=False),
    Column("status", Text, nullable=False),
    timestamp("scheduled_at"),
    Column("showed_up", Boolean),
    timestamp("state_at", nullable=False),
    # The meetings held in a window with their attendance, from the index alone (the period
    # funnel, migration 0016).
    Index(
        "ix_meeting_states_tenant", "tenant_id", "scheduled_at", postgresql_include=["showed_up"]
    ),
)

#: Decimal places of a deal's value: a sum of values in a currency of at least that many is exact
#: in its minor units (no rounding), so the funnel sums those in the database.
DEAL_VALUE_SCALE = 2

#: Each deal's latest state (from every deal event): created, value, status, closed; the funnel
#: and its values read it.
deal_states = Table(
    "deal_states",
    metadata,
    Column("deal_id", UUID(as_uuid=True), primary_key=True),
    Column("tenant_id", Text, nullable=False),
    Column("company_domain", Text),
    Column("primary_contact_email", Text),
    Column("meeting_ids", ARRAY(UUID(as_uuid=True)), nullable=False, server_default="{}"),
    Column("status", Text, nullable=False),
    Column("stage", Text, nullable=False),
    Column("value", Numeric(14, DEAL_VALUE_SCALE)),
    Column("currency", Text, nullable=False),
    timestamp("created_at", nullable=False),
    timestamp("closed_at"),
    timestamp("state_at", nullable=False),
    # The cohort funnel's fact (migration 0020, set by the units of work that write leads and
    # deal states: `db.reporting.refresh_cohort_seen`): the latest first-seen of the account's
    # leads at or before the deal's creation.
    timestamp("cohort_seen_at"),
    Index("ix_deal_states_created", "tenant_id", "created_at"),
    Index("ix_deal_states_cohort", "tenant_id", "cohort_seen_at"),
    Index("ix_deal_states_closed", "tenant_id", "closed_at"),
    # How a lead finds its account's deals: by company, as primary contact, by meeting.
    Index("ix_deal_states_company", "tenant_id", "company_domain"),
    Index("ix_deal_states_contact", "tenant_id", "primary_contact_email"),
    Index("ix_deal_states_meetings", "meeting_ids", postgresql_using="gin"),
    # The period funnel's deals in a currency other than the report's (migration 0025).
    Index("ix_deal_states_currency_created", "tenant_id", "currency", "created_at"),
    Index("ix_deal_states_currency_closed", "tenant_id", "currency", "closed_at"),
    Index("ix_deal_states_currency_cohort", "tenant_id", "currency", "cohort_seen_at"),
)


#: The period funnel's meetings per UTC day (migration 0026, kept by triggers on
#: meeting_bookings and meeting_states): booked that day, and of the states with a scheduled
#: time and an attendance, those scheduled that day that showed up or not.
def _meeting_rollup(name: str) -> Table:
    """Meetings per tenant and UTC day: booked, showed up, did not."""
    return Table(
        name,
        metadata,
        Column("tenant_id", Text, primary_key=True),
        Column("day", Date, primary_key=True),
        *(Column(figure, BigInteger, nullable=False) for figure in ("booked", "showed", "no_show")),
    )


meeting_days = _meeting_rollup("meeting_days")

#: The cohort funnel's meetings per UTC day of their cohort fact (`cohort_seen_at`), by their
#: attendance copy (migration 0028, kept by triggers on meeting_bookings).
meeting_cohort_days = _meeting_rollup("meeting_cohort_days")


def _deal_rollup(name: str) -> Table:
    """Deals per tenant, UTC day and currency: counted (created), not cancelled (live) and
    their value, won and their value, lost."""
    return Table(
        name,
        metadata,
        Column("tenant_id", Text, primary_key=True),
        Column("day", Date, primary_key=True),
        Column("currency", Text, primary_key=True),
        Column("created", BigInteger, nullable=False),
        Column("live", BigInteger, nullable=False),
        Column("live_value", Numeric, nullable=False),
        Column("won", BigInteger, nullable=False),
        Column("won_value", Numeric, nullable=False),
        Column("lost", BigInteger, nullable=False),
    )


#: The period funnel's deals per UTC day and currency (migration 0025, kept by triggers on
#: deal_states): created that day (not cancelled: live, with their value), and closed that day
#: by their current status (won with their value, lost).
deal_days = _deal_rollup("deal_days")

#: The cohort funnel's deals per UTC day of their cohort fact (`cohort_seen_at`) and currency,
#: by their current status (migration 0028, kept by triggers on deal_states).
deal_cohort_days = _deal_rollup("deal_cohort_days")

#: Append-only: every version of a tenant's channel rules (the one home of them). The highest
#: version is current; touches name the version that classified them. A tenant without rows
#: uses the built-in defaults; its first change stores those too, so history is complete.
channel_rule_versions = Table(
    "channel_rule_versions",
    metadata,
    Column("tenant_id", Text, primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("digest", Text, nullable=False),
    # RuleSet.to_dict(with_version=False): rules and source categories.
    Column("content", JSONB, nullable=False),
    timestamp("created_at", nullable=False),
)

#: The current runs' channel credits, one row per (run, channel): what the channel report sums in
#: SQL instead of reading every run. Kept by triggers on attribution_runs and run_voids
#: (migration 0007: a deal and model's latest run replaces its rows, a void or delete removes
#: them), so every way a run is written keeps it current.
report_credits = Table(
    "report_credits",
    metadata,
    Column("run_id", UUID(as_uuid=True), primary_key=True),
    Column("channel", Text, primary_key=True),
    Column("tenant_id", Text, nullable=False),
    Column("deal_id", UUID(as_uuid=True), nullable=False),
    Column("model", Text, nullable=False),
    Column("minor_units", BigInteger, nullable=False),
    # The channel's share of the deal, weight_num / weight_den in lowest terms (exact).
    Column("weight_num", Numeric, nullable=False),
    Column("weight_den", Numeric, nullable=False),
    Column("touches", Integer, nullable=False),
    Column("value_minor", BigInteger, nullable=False),
    Column("currency", Text, nullable=False),
    timestamp("conversion_at", nullable=False),
    Index("ix_report_credits_report", "tenant_id", "model", "conversion_at"),
    Index("ix_report_credits_deal", "tenant_id", "deal_id", "model"),
    Index("ix_report_credits_currency", "tenant_id", "model", "currency", "conversion_at"),
)


def _credit_rollup(name: str, period: str) -> Table:
    """report_credits summed per tenant, model, currency, UTC close `period` and channel."""
    return Table(
        name,
        metadata,
        Column("tenant_id", Text, primary_key=True),
        Column("model", Text, primary_key=True),
        Column("currency", Text, primary_key=True),
        Column(period, Date, primary_key=True),
        Column("channel", Text, primary_key=True),
        Column("deals", BigInteger, nullable=False),
        Column("minor_units", BigInteger, nullable=False),
        Column("weight_floor", Numeric, nullable=False),
        Column("weight_inexact", BigInteger, nullable=False),
    )


#: The funnel's leads per UTC day: how many have their latest activity, latest booking, and the
#: earlier of their latest won close and latest activity on it (the period's), and how many were
#: first seen on it, of those in a meeting and won since (the cohort's; `domain.lead_days`;
#: migrations 0024, 0028). Kept by the leads' unit of work.
lead_days = Table(
    "lead_days",
    metadata,
    Column("tenant_id", Text, primary_key=True),
    Column("day", Date, primary_key=True),
    Column("active", BigInteger, nullable=False),
    Column("booked", BigInteger, nullable=False),
    Column("won", BigInteger, nullable=False),
    # The cohort's (migration 0028): first seen that day, of those in a meeting, won since.
    Column("seen", BigInteger, nullable=False, server_default="0"),
    Column("seen_met", BigInteger, nullable=False, server_default="0"),
    Column("seen_won", BigInteger, nullable=False, server_default="0"),
)

#: report_credits summed per UTC close day, currency and channel, kept by triggers on
#: report_credits (migrations 0011, 0017): what a current-run report reads for the days wholly
#: inside its window. Credited deals as bounds (`domain.credit_bounds`): Σ floor(weight * SCALE)
#: and how many weights were not exact at SCALE.
report_daily = _credit_rollup("report_daily", "close_day")

#: report_daily's sums per UTC close month (`close_month`, its first day), kept by the same
#: triggers (migration 0023): what a report reads for the months wholly inside its window.
report_monthly = _credit_rollup("report_monthly", "close_month")

#: Per deal with current runs: the models they are under and whether they all agree on close,
#: value and currency (then those). Kept from report_credits by triggers (migration 0019); the
#: model comparison reads it to find the few deals it must not compare.
report_deals = Table(
    "report_deals",
    metadata,
    Column("tenant_id", Text, primary_key=True),
    Column("deal_id", UUID(as_uuid=True), primary_key=True),
    Column("models", ARRAY(Text), nullable=False),
    Column("uniform", Boolean, nullable=False),
    timestamp("first_close", nullable=False),
    timestamp("last_close", nullable=False),
    Column("value_minor", BigInteger, nullable=False),
    Column("currency", Text, nullable=False),
    Index(
        "ix_report_deals_close",
        "tenant_id",
        "first_close",
        postgresql_include=["models", "uniform", "value_minor", "currency"],
    ),
    Index(
        "ix_report_deals_mixed",
        "tenant_id",
        "first_close",
        "last_close",
        postgresql_where=text("NOT uniform"),
    ),
)

#: The deals whose current runs agree (report_deals), per tenant, UTC day of their close and set
#: of models (migration 0027, kept by triggers on report_deals): the model comparison's whole
#: days.
report_deal_days = Table(
    "report_deal_days",
    metadata,
    Column("tenant_id", Text, primary_key=True),
    Column("day", Date, primary_key=True),
    Column("models", ARRAY(Text), primary_key=True),
    Column("deals", BigInteger, nullable=False),
)

#: The leads read model (`domain.leads`): one row per person with a touch or a meeting, derived
#: from touches, meeting_bookings and deal_states and rewritten in the same unit of work as the
#: events that change them (`attribution.leads`). Listed in email order (byte order, "C", so a
#: prefix search and the cursor use the primary key).
leads = Table(
    "leads",
    metadata,
    Column("tenant_id", Text, primary_key=True),
    Column("email", Text(collation="C"), primary_key=True),
    Column("company_domain", Text),
    Column("status", Text, nullable=False),
    timestamp("first_seen_at", nullable=False),
    timestamp("first_touch_at"),
    Column("first_touch_channel", Text),
    timestamp("last_touch_at"),
    Column("touches", Integer, nullable=False),
    Column("meetings", Integer, nullable=False),
    # The account's deals: how a later deal event finds the leads it was reaching.
    Column("deal_ids", ARRAY(UUID(as_uuid=True)), nullable=False, server_default="{}"),
    # The funnel's cohort facts (`domain.funnel.won_since`; `meetings` > 0 is the other): the
    # cohort's lead counts are an index-only scan of ix_leads_first_seen, never every lead.
    Column("won_since_first_seen", Boolean, nullable=False, server_default=false()),
    # The period funnel's facts (`domain.leads.Lead`): its lead counts over a window ending now
    # are index-only ranges of these (migration 0016).
    timestamp("last_active_at", nullable=False),
    timestamp("last_booked_at"),
    timestamp("last_won_at"),
    timestamp("updated_at", nullable=False),
    Index("ix_leads_status", "tenant_id", "status", "email"),
    Index("ix_leads_company", "tenant_id", "company_domain", "email"),
    Index("ix_leads_channel", "tenant_id", "first_touch_channel", "email"),
    Index(
        "ix_leads_first_seen",
        "tenant_id",
        "first_seen_at",
        postgresql_include=["meetings", "won_since_first_seen"],
    ),
    Index("ix_leads_deals", "deal_ids", postgresql_using="gin"),
    Index("ix_leads_last_active", "tenant_id", "last_active_at"),
    # Partial: a range of the column implies it is set, in generic plans too.
    Index(
        "ix_leads_last_booked",
        "tenant_id",
        "last_booked_at",
        postgresql_where=text("last_booked_at IS NOT NULL"),
    ),
    Index(
        "ix_leads_last_won",
        "tenant_id",
        "last_won_at",
        postgresql_include=["last_active_at"],
        postgresql_where=text("last_won_at IS NOT NULL"),
    ),
)

#: The cohort funnel's leads that can reach a meeting, and those that can reach a deal. Literal
#: constants (never bound), so the queries that repeat them match the partial indexes below in
#: generic plans too.
LEADS_IN_A_MEETING = leads.c.meetings > literal_column("0")
LEADS_WITH_AN_ACCOUNT = func.cardinality(leads.c.deal_ids) > literal_column("0")
# The cohort funnel's joins, index-only (migration 0015): its leads in a meeting with their
# email (to the attendees), those with an account with its deals.
Index(
    "ix_leads_cohort_meetings",
    leads.c.tenant_id,
    leads.c.first_seen_at,
    postgresql_include=["email"],
    postgresql_where=LEADS_IN_A_MEETING,
)
Index(
    "ix_leads_cohort_deals",
    leads.c.tenant_id,
    leads.c.first_seen_at,
    postgresql_include=["deal_ids"],
    postgresql_where=LEADS_WITH_AN_ACCOUNT,
)

tenants = tenants_table(metadata)
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)

"""HubSpot's object types, default properties, association type ids and the standard pipeline."""

# Object types the emulator serves, and the ids v4 answers use for them.
OBJECT_TYPE_IDS = {"contacts": "0-1", "companies": "0-2", "deals": "0-3", "meetings": "0-47"}
TYPE_BY_ID = {v: k for k, v in OBJECT_TYPE_IDS.items()}
SINGULAR = {"contacts": "contact", "companies": "company", "deals": "deal", "meetings": "meeting"}

# Returned when a read names no `properties` (§1.3a for contacts; the others alike).
DEFAULT_PROPERTIES = {
    "contacts": (
        "createdate",
        "email",
        "firstname",
        "hs_object_id",
        "lastmodifieddate",
        "lastname",
    ),
    "companies": ("createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"),
    "deals": (
        "amount",
        "closedate",
        "createdate",
        "dealname",
        "dealstage",
        "hs_lastmodifieddate",
        "hs_object_id",
        "pipeline",
    ),
    "meetings": ("hs_createdate", "hs_lastmodifieddate", "hs_object_id"),
}
MODIFIED_PROPERTY = {
    "contacts": "lastmodifieddate",
    "companies": "hs_lastmodifieddate",
    "deals": "hs_lastmodifieddate",
    "meetings": "hs_lastmodifieddate",
}
CREATED_PROPERTY = {
    "contacts": "createdate",
    "companies": "createdate",
    "deals": "createdate",
    "meetings": "hs_createdate",
}
# Where full-text `query` looks (a small subset of HubSpot's searchable properties).
QUERY_PROPERTIES = {
    "contacts": ("email", "firstname", "lastname", "company", "phone"),
    "companies": ("name", "domain", "website"),
    "deals": ("dealname",),
    "meetings": ("hs_meeting_title", "hs_meeting_body"),
}
SCOPE_FAMILY = {
    "contacts": "crm.objects.contacts",
    "companies": "crm.objects.companies",
    "deals": "crm.objects.deals",
    "meetings": "crm.objects.contacts",  # engagements ride on the contacts scopes
}

# HUBSPOT_DEFINED association types (§1.3): id -> (from type, to type, v3 label).
ASSOCIATION_TYPES: dict[int, tuple[str, str, str]] = {
    1: ("contacts", "companies", "contact_to_company"),
    2: ("companies", "contacts", "company_to_contact"),
    3: ("deals", "contacts", "deal_to_contact"),
    4: ("contacts", "deals", "contact_to_deal"),
    5: ("deals", "companies", "deal_to_company"),
    6: ("companies", "deals", "company_to_deal"),
    279: ("contacts", "companies", "contact_to_company_unlabeled"),
    280: ("companies", "contacts", "company_to_contact_unlabeled"),
    341: ("deals", "companies", "deal_to_company_unlabeled"),
    342: ("companies", "deals", "company_to_deal_unlabeled"),
    187: ("companies", "meetings", "company_to_meeting_event"),
    188: ("meetings", "companies", "meeting_event_to_company"),
    199: ("contacts", "meetings", "contact_to_meeting_event"),
    200: ("meetings", "contacts", "meeting_event_to_contact"),
    211: ("deals", "meetings", "deal_to_meeting_event"),
    212: ("meetings", "deals", "meeting_event_to_deal"),
}
INVERSE_TYPE = {
    1: 2, 2: 1, 3: 4, 4: 3, 5: 6, 6: 5, 279: 280, 280: 279, 341: 342, 342: 341,
    187: 188, 188: 187, 199: 200, 200: 199, 211: 212, 212: 211,
}  # fmt: skip
LABELS = {label: type_id for type_id, (_, _, label) in ASSOCIATION_TYPES.items()}
LABELS.update({"deal_to_company": 341, "company_to_deal": 342, "contact_to_company": 279})
# The type a default (unlabelled) association gets, per (from, to).
DEFAULT_TYPE = {
    ("deals", "contacts"): 3,
    ("contacts", "deals"): 4,
    ("deals", "companies"): 341,
    ("companies", "deals"): 342,
    ("contacts", "companies"): 279,
    ("companies", "contacts"): 280,
    ("meetings", "contacts"): 200,
    ("contacts", "meetings"): 199,
    ("meetings", "deals"): 212,
    ("deals", "meetings"): 211,
    ("meetings", "companies"): 188,
    ("companies", "meetings"): 187,
}

# Every account's default deal pipeline (§1.3c-f): id, label, probability, closed.
DEFAULT_PIPELINE_ID = "default"
DEFAULT_STAGES = (
    ("appointmentscheduled", "Appointment Scheduled", "0.2", "false"),
    ("qualifiedtobuy", "Qualified To Buy", "0.4", "false"),
    ("presentationscheduled", "Presentation Scheduled", "0.6", "false"),
    ("decisionmakerboughtin", "Decision Maker Bought-In", "0.8", "false"),
    ("contractsent", "Contract Sent", "0.9", "false"),
    ("closedwon", "Closed Won", "1.0", "true"),
    ("closedlost", "Closed Lost", "0.0", "true"),
)

DEFAULT_OWNERS = (
    {"id": "123456", "email": "owner@dealflow.example", "firstName": "Olivia", "lastName": "Owner"},
    {"id": "123457", "email": "sam@dealflow.example", "firstName": "Sam", "lastName": "Seller"},
)

# Standard properties a write may set (a practical subset of HubSpot's); custom ones are added
# through the properties API. Checked only with `strict_properties` (§1.2: unknown and read-only
# properties raise an error).
_COMMON = ("hubspot_owner_id", "hs_object_id")
STANDARD_PROPERTIES: dict[str, frozenset[str]] = {
    "contacts": frozenset((*_COMMON, "email", "firstname", "lastname", "phone", "mobilephone",
        "company", "website", "jobtitle", "lifecyclestage", "hs_lead_status", "city", "country",
        "state", "zip", "address", "hs_timezone", "createdate", "lastmodifieddate",
        "hs_analytics_source", "hs_analytics_source_data_1", "hs_analytics_source_data_2")),
    "companies": frozenset((*_COMMON, "name", "domain", "website", "phone", "industry", "city",
        "country", "numberofemployees", "annualrevenue", "lifecyclestage", "createdate",
        "hs_lastmodifieddate")),
    "deals": frozenset((*_COMMON, "dealname", "dealstage", "pipeline", "amount", "closedate",
        "dealtype", "description", "closed_lost_reason", "closed_won_reason", "deal_currency_code",
        "hs_priority", "createdate", "hs_lastmodifieddate", "hs_is_closed", "hs_is_closed_won",
        "hs_deal_stage_probability", "hs_analytics_source", "hs_analytics_source_data_1",
        "hs_analytics_source_data_2")),
    "meetings": frozenset((*_COMMON, "hs_timestamp", "hs_meeting_title", "hs_meeting_body",
        "hs_internal_meeting_notes", "hs_meeting_external_url", "hs_meeting_location",
        "hs_meeting_start_time", "hs_meeting_end_time", "hs_meeting_outcome", "hs_activity_type",
        "hs_createdate", "hs_lastmodifieddate")),
}  # fmt: skip
READ_ONLY_PROPERTIES = frozenset(
    ("hs_object_id", "lastmodifieddate", "hs_lastmodifieddate", "hs_createdate", "hs_is_closed",
     "hs_is_closed_won", "hs_deal_stage_probability")
)  # fmt: skip

"""Names that come from CRMs (the CRM itself, its stage names): one way to key them."""


def crm_key(name: str) -> str:
    """How CRM names and CRM stage names are keyed: trimmed and case-folded.

    `"Closed Won "`, `"closed won"` and `"CLOSED WON"` are one stage; inner spaces stay, since
    CRMs use them to separate words (`"needs analysis"`).
    """
    return name.strip().casefold()

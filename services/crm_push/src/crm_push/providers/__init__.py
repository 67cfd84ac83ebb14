"""One adapter per external system, all behind `providers.base.CrmAdapter` / `NotionTarget`."""

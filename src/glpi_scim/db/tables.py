"""SQLAlchemy Core tables: the GLPI 10.0 tables the tool reads or writes, and the tool's own.

GLPI's tables are described with GLPI's real column names, types, nullability and defaults
(a MariaDB test reflects GLPI's schema and compares it column by column). The tool never
creates or alters GLPI's tables in a real GLPI database: `GLPI_METADATA` is only created for the
embedded SQLite default and for test databases. The tool's own tables (`TOOL_METADATA`) follow
GLPI's conventions (InnoDB, utf8mb4_unicode_ci, unsigned ids, 0 for "no link") and are named
`glpi_plugin_glpiscim_*`; Alembic migrations create and upgrade them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    CHAR,
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects import mysql

# Unsigned ints on MySQL; plain INTEGER on SQLite so that `INTEGER PRIMARY KEY` is the rowid.
UINT = Integer().with_variant(mysql.INTEGER(unsigned=True), "mysql", "mariadb")
INT = Integer().with_variant(mysql.INTEGER(), "mysql", "mariadb")
TINYINT = SmallInteger().with_variant(mysql.TINYINT(), "mysql", "mariadb")
TEXT = Text().with_variant(mysql.TEXT(), "mysql", "mariadb")
LONGTEXT = Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")
TIMESTAMP = DateTime().with_variant(mysql.TIMESTAMP(), "mysql", "mariadb")
BIGINT = BigInteger().with_variant(mysql.BIGINT(unsigned=True), "mysql", "mariadb")


TABLE_ARGS: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_unicode_ci",
    "mysql_row_format": "DYNAMIC",
}

GLPI_METADATA = MetaData()
TOOL_METADATA = MetaData()

# ---------------------------------------------------------------------------------------------
# GLPI 10.0 tables (subset of GLPI's schema; columns exactly as GLPI 10.0.19 declares them)
# ---------------------------------------------------------------------------------------------
metadata = GLPI_METADATA

users = Table(
    "glpi_users",
    metadata,
    Column("id", UINT, primary_key=True, autoincrement=True),
    Column("name", String(255), nullable=True),
    Column("password", String(255), nullable=True),
    Column("password_last_update", TIMESTAMP, nullable=True),
    Column("phone", String(255), nullable=True),
    Column("phone2", String(255), nullable=True),
    Column("mobile", String(255), nullable=True),
    Column("realname", String(255), nullable=True),
    Column("firstname", String(255), nullable=True),
    Column("locations_id", UINT, nullable=False, server_default="0"),
    Column("language", CHAR(10), nullable=True),
    Column("use_mode", INT, nullable=False, server_default="0"),
    Column("list_limit", INT, nullable=True),
    Column("is_active", TINYINT, nullable=False, server_default="1"),
    Column("comment", TEXT, nullable=True),
    Column("auths_id", UINT, nullable=False, server_default="0"),
    Column("authtype", INT, nullable=False, server_default="0"),
    Column("last_login", TIMESTAMP, nullable=True),
    Column("date_mod", TIMESTAMP, nullable=True),
    Column("date_sync", TIMESTAMP, nullable=True),
    Column("is_deleted", TINYINT, nullable=False, server_default="0"),
    Column("profiles_id", UINT, nullable=False, server_default="0"),
    Column("entities_id", UINT, nullable=True, server_default="0"),
    Column("usertitles_id", UINT, nullable=False, server_default="0"),
    Column("usercategories_id", UINT, nullable=False, server_default="0"),
    Column("date_format", INT, nullable=True),
    Column("number_format", INT, nullable=True),
    Column("names_format", INT, nullable=True),
    Column("csv_delimiter", CHAR(1), nullable=True),
    Column("is_ids_visible", TINYINT, nullable=True),
    Column("use_flat_dropdowntree", TINYINT, nullable=True),
    Column("use_flat_dropdowntree_on_search_result", TINYINT, nullable=True),
    Column("show_jobs_at_login", TINYINT, nullable=True),
    Column("priority_1", CHAR(20), nullable=True),
    Column("priority_2", CHAR(20), nullable=True),
    Column("priority_3", CHAR(20), nullable=True),
    Column("priority_4", CHAR(20), nullable=True),
    Column("priority_5", CHAR(20), nullable=True),
    Column("priority_6", CHAR(20), nullable=True),
    Column("followup_private", TINYINT, nullable=True),
    Column("task_private", TINYINT, nullable=True),
    Column("default_requesttypes_id", UINT, nullable=True),
    Column("password_forget_token", CHAR(40), nullable=True),
    Column("password_forget_token_date", TIMESTAMP, nullable=True),
    Column("user_dn", TEXT, nullable=True),
    Column("user_dn_hash", String(32), nullable=True),
    Column("registration_number", String(255), nullable=True),
    Column("show_count_on_tabs", TINYINT, nullable=True),
    Column("refresh_views", INT, nullable=True),
    Column("set_default_tech", TINYINT, nullable=True),
    Column("personal_token", String(255), nullable=True),
    Column("personal_token_date", TIMESTAMP, nullable=True),
    Column("api_token", String(255), nullable=True),
    Column("api_token_date", TIMESTAMP, nullable=True),
    Column("cookie_token", String(255), nullable=True),
    Column("cookie_token_date", TIMESTAMP, nullable=True),
    Column("display_count_on_home", INT, nullable=True),
    Column("notification_to_myself", TINYINT, nullable=True),
    Column("duedateok_color", String(255), nullable=True),
    Column("duedatewarning_color", String(255), nullable=True),
    Column("duedatecritical_color", String(255), nullable=True),
    Column("duedatewarning_less", INT, nullable=True),
    Column("duedatecritical_less", INT, nullable=True),
    Column("duedatewarning_unit", String(255), nullable=True),
    Column("duedatecritical_unit", String(255), nullable=True),
    Column("display_options", TEXT, nullable=True),
    Column("is_deleted_ldap", TINYINT, nullable=False, server_default="0"),
    Column("pdffont", String(255), nullable=True),
    Column("picture", String(255), nullable=True),
    Column("begin_date", TIMESTAMP, nullable=True),
    Column("end_date", TIMESTAMP, nullable=True),
    Column("keep_devices_when_purging_item", TINYINT, nullable=True),
    Column("privatebookmarkorder", LONGTEXT, nullable=True),
    Column("backcreated", TINYINT, nullable=True),
    Column("task_state", INT, nullable=True),
    Column("palette", CHAR(20), nullable=True),
    Column("page_layout", CHAR(20), nullable=True),
    Column("fold_menu", TINYINT, nullable=True),
    Column("fold_search", TINYINT, nullable=True),
    Column("savedsearches_pinned", TEXT, nullable=True),
    Column("timeline_order", CHAR(20), nullable=True),
    Column("itil_layout", TEXT, nullable=True),
    Column("richtext_layout", CHAR(20), nullable=True),
    Column("set_default_requester", TINYINT, nullable=True),
    Column("lock_autolock_mode", TINYINT, nullable=True),
    Column("lock_directunlock_notification", TINYINT, nullable=True),
    Column("date_creation", TIMESTAMP, nullable=True),
    Column("highcontrast_css", TINYINT, nullable=True, server_default="0"),
    Column("plannings", TEXT, nullable=True),
    Column("sync_field", String(255), nullable=True),
    Column("groups_id", UINT, nullable=False, server_default="0"),
    Column("users_id_supervisor", UINT, nullable=False, server_default="0"),
    Column("timezone", String(50), nullable=True),
    Column("default_dashboard_central", String(100), nullable=True),
    Column("default_dashboard_assets", String(100), nullable=True),
    Column("default_dashboard_helpdesk", String(100), nullable=True),
    Column("default_dashboard_mini_ticket", String(100), nullable=True),
    Column("default_central_tab", TINYINT, nullable=True, server_default="0"),
    Column("nickname", String(255), nullable=True),
    Column("timeline_action_btn_layout", TINYINT, nullable=True),
    Column("timeline_date_format", TINYINT, nullable=True),
    UniqueConstraint("name", "authtype", "auths_id", name="unicityloginauth"),
    Index("glpi_users_firstname", "firstname"),
    Index("glpi_users_realname", "realname"),
    Index("glpi_users_entities_id", "entities_id"),
    Index("glpi_users_profiles_id", "profiles_id"),
    Index("glpi_users_locations_id", "locations_id"),
    Index("glpi_users_usertitles_id", "usertitles_id"),
    Index("glpi_users_usercategories_id", "usercategories_id"),
    Index("glpi_users_is_deleted", "is_deleted"),
    Index("glpi_users_is_active", "is_active"),
    Index("glpi_users_date_mod", "date_mod"),
    Index("glpi_users_authitem", "authtype", "auths_id"),
    Index("glpi_users_is_deleted_ldap", "is_deleted_ldap"),
    Index("glpi_users_date_creation", "date_creation"),
    Index("glpi_users_begin_date", "begin_date"),
    Index("glpi_users_end_date", "end_date"),
    Index("glpi_users_sync_field", "sync_field"),
    Index("glpi_users_groups_id", "groups_id"),
    Index("glpi_users_users_id_supervisor", "users_id_supervisor"),
    Index("glpi_users_auths_id", "auths_id"),
    Index("glpi_users_default_requesttypes_id", "default_requesttypes_id"),
    Index("glpi_users_user_dn_hash", "user_dn_hash"),
    **TABLE_ARGS,
)

useremails = Table(
    "glpi_useremails",
    metadata,
    Column("id", UINT, primary_key=True, autoincrement=True),
    Column("users_id", UINT, nullable=False, server_default="0"),
    Column("is_default", TINYINT, nullable=False, server_default="0"),
    Column("is_dynamic", TINYINT, nullable=False, server_default="0"),
    Column("email", String(255), nullable=True),
    UniqueConstraint("users_id", "email", name="unicity"),
    Index("glpi_useremails_email", "email"),
    Index("glpi_useremails_is_default", "is_default"),
    Index("glpi_useremails_is_dynamic", "is_dynamic"),
    **TABLE_ARGS,
)

groups = Table(
    "glpi_groups",
    metadata,
    Column("id", UINT, primary_key=True, autoincrement=True),
    Column("entities_id", UINT, nullable=False, server_default="0"),
    Column("is_recursive", TINYINT, nullable=False, server_default="0"),
    Column("name", String(255), nullable=True),
    Column("comment", TEXT, nullable=True),
    Column("ldap_field", String(255), nullable=True),
    Column("ldap_value", TEXT, nullable=True),
    Column("ldap_group_dn", TEXT, nullable=True),
    Column("date_mod", TIMESTAMP, nullable=True),
    Column("groups_id", UINT, nullable=False, server_default="0"),
    Column("completename", TEXT, nullable=True),
    Column("level", INT, nullable=False, server_default="0"),
    Column("ancestors_cache", LONGTEXT, nullable=True),
    Column("sons_cache", LONGTEXT, nullable=True),
    Column("is_requester", TINYINT, nullable=False, server_default="1"),
    Column("is_watcher", TINYINT, nullable=False, server_default="1"),
    Column("is_assign", TINYINT, nullable=False, server_default="1"),
    Column("is_task", TINYINT, nullable=False, server_default="1"),
    Column("is_notify", TINYINT, nullable=False, server_default="1"),
    Column("is_itemgroup", TINYINT, nullable=False, server_default="1"),
    Column("is_usergroup", TINYINT, nullable=False, server_default="1"),
    Column("is_manager", TINYINT, nullable=False, server_default="1"),
    Column("date_creation", TIMESTAMP, nullable=True),
    Index("glpi_groups_name", "name"),
    Index("glpi_groups_ldap_field", "ldap_field"),
    Index("glpi_groups_entities_id", "entities_id"),
    Index("glpi_groups_is_recursive", "is_recursive"),
    Index("glpi_groups_date_mod", "date_mod"),
    Index("glpi_groups_ldap_value", "ldap_value", mysql_length={"ldap_value": 200}),
    Index("glpi_groups_ldap_group_dn", "ldap_group_dn", mysql_length={"ldap_group_dn": 200}),
    Index("glpi_groups_groups_id", "groups_id"),
    Index("glpi_groups_is_requester", "is_requester"),
    Index("glpi_groups_is_watcher", "is_watcher"),
    Index("glpi_groups_is_assign", "is_assign"),
    Index("glpi_groups_is_notify", "is_notify"),
    Index("glpi_groups_is_itemgroup", "is_itemgroup"),
    Index("glpi_groups_is_usergroup", "is_usergroup"),
    Index("glpi_groups_is_manager", "is_manager"),
    Index("glpi_groups_date_creation", "date_creation"),
    Index("glpi_groups_level", "level"),
    **TABLE_ARGS,
)

groups_users = Table(
    "glpi_groups_users",
    metadata,
    Column("id", UINT, primary_key=True, autoincrement=True),
    Column("users_id", UINT, nullable=False, server_default="0"),
    Column("groups_id", UINT, nullable=False, server_default="0"),
    Column("is_dynamic", TINYINT, nullable=False, server_default="0"),
    Column("is_manager", TINYINT, nullable=False, server_default="0"),
    Column("is_userdelegate", TINYINT, nullable=False, server_default="0"),
    UniqueConstraint("users_id", "groups_id", name="unicity"),
    Index("glpi_groups_users_groups_id", "groups_id"),
    Index("glpi_groups_users_is_dynamic", "is_dynamic"),
    Index("glpi_groups_users_is_manager", "is_manager"),
    Index("glpi_groups_users_is_userdelegate", "is_userdelegate"),
    **TABLE_ARGS,
)

profiles = Table(
    "glpi_profiles",
    metadata,
    Column("id", UINT, primary_key=True, autoincrement=True),
    Column("name", String(255), nullable=True),
    Column("interface", String(255), nullable=True, server_default="helpdesk"),
    Column("is_default", TINYINT, nullable=False, server_default="0"),
    Column("helpdesk_hardware", INT, nullable=False, server_default="0"),
    Column("helpdesk_item_type", TEXT, nullable=True),
    Column("ticket_status", TEXT, nullable=True),
    Column("date_mod", TIMESTAMP, nullable=True),
    Column("comment", TEXT, nullable=True),
    Column("problem_status", TEXT, nullable=True),
    Column("create_ticket_on_login", TINYINT, nullable=False, server_default="0"),
    Column("tickettemplates_id", UINT, nullable=False, server_default="0"),
    Column("changetemplates_id", UINT, nullable=False, server_default="0"),
    Column("problemtemplates_id", UINT, nullable=False, server_default="0"),
    Column("change_status", TEXT, nullable=True),
    Column("managed_domainrecordtypes", TEXT, nullable=True),
    Column("date_creation", TIMESTAMP, nullable=True),
    Index("glpi_profiles_name", "name"),
    Index("glpi_profiles_interface", "interface"),
    Index("glpi_profiles_is_default", "is_default"),
    Index("glpi_profiles_date_mod", "date_mod"),
    Index("glpi_profiles_date_creation", "date_creation"),
    Index("glpi_profiles_tickettemplates_id", "tickettemplates_id"),
    Index("glpi_profiles_changetemplates_id", "changetemplates_id"),
    Index("glpi_profiles_problemtemplates_id", "problemtemplates_id"),
    **TABLE_ARGS,
)

profiles_users = Table(
    "glpi_profiles_users",
    metadata,
    Column("id", UINT, primary_key=True, autoincrement=True),
    Column("users_id", UINT, nullable=False, server_default="0"),
    Column("profiles_id", UINT, nullable=False, server_default="0"),
    Column("entities_id", UINT, nullable=False, server_default="0"),
    Column("is_recursive", TINYINT, nullable=False, server_default="1"),
    Column("is_dynamic", TINYINT, nullable=False, server_default="0"),
    Column("is_default_profile", TINYINT, nullable=False, server_default="0"),
    Index("glpi_profiles_users_entities_id", "entities_id"),
    Index("glpi_profiles_users_profiles_id", "profiles_id"),
    Index("glpi_profiles_users_users_id", "users_id"),
    Index("glpi_profiles_users_is_recursive", "is_recursive"),
    Index("glpi_profiles_users_is_dynamic", "is_dynamic"),
    **TABLE_ARGS,
)

# Rights per profile; read only, to decide who may grant an OAuth2 client access.
profilerights = Table(
    "glpi_profilerights",
    metadata,
    Column("id", UINT, primary_key=True, autoincrement=True),
    Column("profiles_id", UINT, nullable=False, server_default="0"),
    Column("name", String(255), nullable=True),
    Column("rights", INT, nullable=False, server_default="0"),
    UniqueConstraint("profiles_id", "name", name="unicity"),
    Index("glpi_profilerights_name", "name"),
    **TABLE_ARGS,
)

entities = Table(
    "glpi_entities",
    metadata,
    Column("id", UINT, primary_key=True, autoincrement=False, server_default="0"),
    Column("name", String(255), nullable=True),
    Column("entities_id", UINT, nullable=True, server_default="0"),
    Column("completename", TEXT, nullable=True),
    Column("comment", TEXT, nullable=True),
    Column("level", INT, nullable=False, server_default="0"),
    Column("sons_cache", LONGTEXT, nullable=True),
    Column("ancestors_cache", LONGTEXT, nullable=True),
    Column("registration_number", String(255), nullable=True),
    Column("address", TEXT, nullable=True),
    Column("postcode", String(255), nullable=True),
    Column("town", String(255), nullable=True),
    Column("state", String(255), nullable=True),
    Column("country", String(255), nullable=True),
    Column("website", String(255), nullable=True),
    Column("phonenumber", String(255), nullable=True),
    Column("fax", String(255), nullable=True),
    Column("email", String(255), nullable=True),
    Column("admin_email", String(255), nullable=True),
    Column("admin_email_name", String(255), nullable=True),
    Column("from_email", String(255), nullable=True),
    Column("from_email_name", String(255), nullable=True),
    Column("noreply_email", String(255), nullable=True),
    Column("noreply_email_name", String(255), nullable=True),
    Column("replyto_email", String(255), nullable=True),
    Column("replyto_email_name", String(255), nullable=True),
    Column("notification_subject_tag", String(255), nullable=True),
    Column("ldap_dn", String(255), nullable=True),
    Column("tag", String(255), nullable=True),
    Column("authldaps_id", UINT, nullable=False, server_default="0"),
    Column("mail_domain", String(255), nullable=True),
    Column("entity_ldapfilter", TEXT, nullable=True),
    Column("mailing_signature", TEXT, nullable=True),
    Column("cartridges_alert_repeat", INT, nullable=False, server_default="-2"),
    Column("consumables_alert_repeat", INT, nullable=False, server_default="-2"),
    Column("use_licenses_alert", INT, nullable=False, server_default="-2"),
    Column("send_licenses_alert_before_delay", INT, nullable=False, server_default="-2"),
    Column("use_certificates_alert", INT, nullable=False, server_default="-2"),
    Column("send_certificates_alert_before_delay", INT, nullable=False, server_default="-2"),
    Column("certificates_alert_repeat_interval", INT, nullable=False, server_default="-2"),
    Column("use_contracts_alert", INT, nullable=False, server_default="-2"),
    Column("send_contracts_alert_before_delay", INT, nullable=False, server_default="-2"),
    Column("use_infocoms_alert", INT, nullable=False, server_default="-2"),
    Column("send_infocoms_alert_before_delay", INT, nullable=False, server_default="-2"),
    Column("use_reservations_alert", INT, nullable=False, server_default="-2"),
    Column("use_domains_alert", INT, nullable=False, server_default="-2"),
    Column("send_domains_alert_close_expiries_delay", INT, nullable=False, server_default="-2"),
    Column("send_domains_alert_expired_delay", INT, nullable=False, server_default="-2"),
    Column("autoclose_delay", INT, nullable=False, server_default="-2"),
    Column("autopurge_delay", INT, nullable=False, server_default="-2"),
    Column("notclosed_delay", INT, nullable=False, server_default="-2"),
    Column("calendars_strategy", TINYINT, nullable=False, server_default="-2"),
    Column("calendars_id", UINT, nullable=False, server_default="0"),
    Column("auto_assign_mode", INT, nullable=False, server_default="-2"),
    Column("tickettype", INT, nullable=False, server_default="-2"),
    Column("max_closedate", TIMESTAMP, nullable=True),
    Column("inquest_config", INT, nullable=False, server_default="-2"),
    Column("inquest_rate", INT, nullable=False, server_default="0"),
    Column("inquest_delay", INT, nullable=False, server_default="-10"),
    Column("inquest_URL", String(255), nullable=True),
    Column("autofill_warranty_date", String(255), nullable=False, server_default="-2"),
    Column("autofill_use_date", String(255), nullable=False, server_default="-2"),
    Column("autofill_buy_date", String(255), nullable=False, server_default="-2"),
    Column("autofill_delivery_date", String(255), nullable=False, server_default="-2"),
    Column("autofill_order_date", String(255), nullable=False, server_default="-2"),
    Column("tickettemplates_strategy", TINYINT, nullable=False, server_default="-2"),
    Column("tickettemplates_id", UINT, nullable=False, server_default="0"),
    Column("changetemplates_strategy", TINYINT, nullable=False, server_default="-2"),
    Column("changetemplates_id", UINT, nullable=False, server_default="0"),
    Column("problemtemplates_strategy", TINYINT, nullable=False, server_default="-2"),
    Column("problemtemplates_id", UINT, nullable=False, server_default="0"),
    Column("entities_strategy_software", TINYINT, nullable=False, server_default="-2"),
    Column("entities_id_software", UINT, nullable=False, server_default="0"),
    Column("default_contract_alert", INT, nullable=False, server_default="-2"),
    Column("default_infocom_alert", INT, nullable=False, server_default="-2"),
    Column("default_cartridges_alarm_threshold", INT, nullable=False, server_default="-2"),
    Column("default_consumables_alarm_threshold", INT, nullable=False, server_default="-2"),
    Column("delay_send_emails", INT, nullable=False, server_default="-2"),
    Column("is_notif_enable_default", INT, nullable=False, server_default="-2"),
    Column("inquest_duration", INT, nullable=False, server_default="0"),
    Column("date_mod", TIMESTAMP, nullable=True),
    Column("date_creation", TIMESTAMP, nullable=True),
    Column("autofill_decommission_date", String(255), nullable=False, server_default="-2"),
    Column("suppliers_as_private", INT, nullable=False, server_default="-2"),
    Column("anonymize_support_agents", INT, nullable=False, server_default="-2"),
    Column("display_users_initials", INT, nullable=False, server_default="-2"),
    Column("contracts_strategy_default", TINYINT, nullable=False, server_default="-2"),
    Column("contracts_id_default", UINT, nullable=False, server_default="0"),
    Column("enable_custom_css", INT, nullable=False, server_default="-2"),
    Column("custom_css_code", TEXT, nullable=True),
    Column("latitude", String(255), nullable=True),
    Column("longitude", String(255), nullable=True),
    Column("altitude", String(255), nullable=True),
    Column("transfers_strategy", TINYINT, nullable=False, server_default="-2"),
    Column("transfers_id", UINT, nullable=False, server_default="0"),
    Column("agent_base_url", String(255), nullable=True),
    UniqueConstraint("entities_id", "name", name="unicity"),
    Index("glpi_entities_name", "name"),
    Index("glpi_entities_date_mod", "date_mod"),
    Index("glpi_entities_date_creation", "date_creation"),
    Index("glpi_entities_tickettemplates_id", "tickettemplates_id"),
    Index("glpi_entities_changetemplates_id", "changetemplates_id"),
    Index("glpi_entities_problemtemplates_id", "problemtemplates_id"),
    Index("glpi_entities_transfers_id", "transfers_id"),
    Index("glpi_entities_authldaps_id", "authldaps_id"),
    Index("glpi_entities_calendars_id", "calendars_id"),
    Index("glpi_entities_entities_id_software", "entities_id_software"),
    Index("glpi_entities_contracts_id_default", "contracts_id_default"),
    Index("glpi_entities_level", "level"),
    **TABLE_ARGS,
)

logs = Table(
    "glpi_logs",
    metadata,
    Column("id", UINT, primary_key=True, autoincrement=True),
    Column("itemtype", String(100), nullable=False, server_default=""),
    Column("items_id", UINT, nullable=False, server_default="0"),
    Column("itemtype_link", String(100), nullable=False, server_default=""),
    Column("linked_action", INT, nullable=False, server_default="0"),
    Column("user_name", String(255), nullable=True),
    Column("date_mod", TIMESTAMP, nullable=True),
    Column("id_search_option", INT, nullable=False, server_default="0"),
    Column("old_value", String(255), nullable=True),
    Column("new_value", String(255), nullable=True),
    Index("glpi_logs_date_mod", "date_mod"),
    Index("glpi_logs_itemtype_link", "itemtype_link"),
    Index("glpi_logs_item", "itemtype", "items_id"),
    Index("glpi_logs_id_search_option", "id_search_option"),
    **TABLE_ARGS,
)

usertitles = Table(
    "glpi_usertitles",
    metadata,
    Column("id", UINT, primary_key=True, autoincrement=True),
    Column("name", String(255), nullable=True),
    Column("comment", TEXT, nullable=True),
    Column("date_mod", TIMESTAMP, nullable=True),
    Column("date_creation", TIMESTAMP, nullable=True),
    Index("glpi_usertitles_name", "name"),
    Index("glpi_usertitles_date_mod", "date_mod"),
    Index("glpi_usertitles_date_creation", "date_creation"),
    **TABLE_ARGS,
)

usercategories = Table(
    "glpi_usercategories",
    metadata,
    Column("id", UINT, primary_key=True, autoincrement=True),
    Column("name", String(255), nullable=True),
    Column("comment", TEXT, nullable=True),
    Column("date_mod", TIMESTAMP, nullable=True),
    Column("date_creation", TIMESTAMP, nullable=True),
    Index("glpi_usercategories_name", "name"),
    Index("glpi_usercategories_date_mod", "date_mod"),
    Index("glpi_usercategories_date_creation", "date_creation"),
    **TABLE_ARGS,
)

configs = Table(
    "glpi_configs",
    metadata,
    Column("id", UINT, primary_key=True, autoincrement=True),
    Column("context", String(150), nullable=True),
    Column("name", String(150), nullable=True),
    Column("value", TEXT, nullable=True),
    UniqueConstraint("context", "name", name="unicity"),
    Index("glpi_configs_name", "name"),
    **TABLE_ARGS,
)

# ---------------------------------------------------------------------------------------------
# The tool's own tables (created and upgraded by Alembic, see glpi_scim/migrations)
# ---------------------------------------------------------------------------------------------
metadata = TOOL_METADATA
PREFIX = "glpi_plugin_glpiscim_"

# One identity server = one IdP connection with its own URL, security and GLPI placement.
identity_servers = Table(
    f"{PREFIX}servers",
    metadata,
    Column("id", UINT, primary_key=True, autoincrement=True),
    Column("name", String(255), nullable=False),
    Column("users_id_applied", UINT, nullable=False, server_default="0"),
    Column("is_active", TINYINT, nullable=False, server_default="1"),
    Column("log_requests", TINYINT, nullable=False, server_default="0"),
    Column("is_default", TINYINT, nullable=False, server_default="0"),
    # none | basic | digest | bearer | oauth2
    Column("auth_method", String(16), nullable=False, server_default="bearer"),
    Column("auth_username", String(255), nullable=True),
    # Basic: a salted password hash. Digest: JSON of HA1 per algorithm (never the password).
    Column("auth_secret", TEXT, nullable=True),
    # Per-server key for HS256 JWTs and signed Digest nonces (needed raw to sign).
    Column("signing_key", String(255), nullable=False),
    Column("allowed_networks", TEXT, nullable=True),  # JSON list of CIDRs; NULL = anywhere
    Column("entities_id", UINT, nullable=False, server_default="0"),
    Column("profiles_id", UINT, nullable=False, server_default="0"),  # 0 = GLPI's default
    Column("is_recursive", TINYINT, nullable=False, server_default="0"),
    Column("password_sync", TINYINT, nullable=False, server_default="0"),
    Column("delete_policy", String(16), nullable=False, server_default="trash"),
    Column("options", TEXT, nullable=True),  # JSON: per-IdP behaviour switches
    Column("date_creation", TIMESTAMP, nullable=True),
    Column("date_mod", TIMESTAMP, nullable=True),
    UniqueConstraint("name", name="name"),
    **TABLE_ARGS,
)

# Bearer JWTs issued by `glpi-scim token issue`: the token is shown once, only its jti is kept.
tokens = Table(
    f"{PREFIX}tokens",
    metadata,
    Column("id", UINT, primary_key=True, autoincrement=True),
    Column("servers_id", UINT, nullable=False, server_default="0"),
    Column("jti", String(64), nullable=False),
    Column("comment", String(255), nullable=True),
    Column("date_creation", TIMESTAMP, nullable=True),
    Column("date_expiration", TIMESTAMP, nullable=True),
    Column("is_revoked", TINYINT, nullable=False, server_default="0"),
    Column("date_revoked", TIMESTAMP, nullable=True),
    Column("date_last_use", TIMESTAMP, nullable=True),
    UniqueConstraint("jti", name="jti"),
    Index(f"{PREFIX}tokens_servers_id", "servers_id"),
    **TABLE_ARGS,
)

oauth_clients = Table(
    f"{PREFIX}oauthclients",
    metadata,
    Column("id", UINT, primary_key=True, autoincrement=True),
    Column("servers_id", UINT, nullable=False, server_default="0"),
    Column("client_id", String(64), nullable=False),
    Column("secret_hash", String(255), nullable=True),  # NULL for public (PKCE) clients
    Column("name", String(255), nullable=True),
    Column("redirect_uris", TEXT, nullable=True),  # JSON list, matched exactly
    Column("grant_types", TEXT, nullable=True),  # JSON list
    Column("date_creation", TIMESTAMP, nullable=True),
    UniqueConstraint("client_id", name="client_id"),
    Index(f"{PREFIX}oauthclients_servers_id", "servers_id"),
    **TABLE_ARGS,
)

# Authorization codes: single use, minutes of life; only a hash of the code is stored.
oauth_codes = Table(
    f"{PREFIX}oauthcodes",
    metadata,
    Column("id", UINT, primary_key=True, autoincrement=True),
    Column("code_hash", String(64), nullable=False),
    Column("servers_id", UINT, nullable=False, server_default="0"),
    Column("client_id", String(64), nullable=False),
    Column("users_id", UINT, nullable=False, server_default="0"),
    Column("redirect_uri", TEXT, nullable=True),
    Column("scopes", TEXT, nullable=True),
    Column("code_challenge", String(128), nullable=True),
    Column("code_challenge_method", String(16), nullable=True),
    Column("date_expiration", TIMESTAMP, nullable=True),
    Column("is_used", TINYINT, nullable=False, server_default="0"),
    UniqueConstraint("code_hash", name="code_hash"),
    **TABLE_ARGS,
)

# OAuth2 access and refresh tokens, stored as hashes so that any instance can validate them.
oauth_tokens = Table(
    f"{PREFIX}oauthtokens",
    metadata,
    Column("id", UINT, primary_key=True, autoincrement=True),
    Column("servers_id", UINT, nullable=False, server_default="0"),
    Column("client_id", String(64), nullable=False),
    Column("users_id", UINT, nullable=False, server_default="0"),
    Column("access_hash", String(64), nullable=False),
    Column("refresh_hash", String(64), nullable=True),
    # The grant these tokens descend from (hash of the authorization code, or a random id):
    # replaying a rotated refresh token or a used code revokes every row of the grant.
    Column("grant_hash", String(64), nullable=True),
    Column("scopes", TEXT, nullable=True),
    Column("access_expiration", TIMESTAMP, nullable=True),
    Column("refresh_expiration", TIMESTAMP, nullable=True),
    Column("is_revoked", TINYINT, nullable=False, server_default="0"),
    Column("date_creation", TIMESTAMP, nullable=True),
    # When the grantor approved the grant (carried through refreshes): its absolute lifetime.
    Column("date_grant", TIMESTAMP, nullable=True),
    UniqueConstraint("access_hash", name="access_hash"),
    UniqueConstraint("refresh_hash", name="refresh_hash"),
    Index(f"{PREFIX}oauthtokens_client_id", "client_id"),
    Index(f"{PREFIX}oauthtokens_grant_hash", "grant_hash"),
    **TABLE_ARGS,
)

# Digest nonce counts seen (replay protection within a nonce's life), shared by all instances.
digest_nonces = Table(
    f"{PREFIX}digestnonces",
    metadata,
    Column("id", UINT, primary_key=True, autoincrement=True),
    Column("servers_id", UINT, nullable=False, server_default="0"),
    Column("nonce_hash", String(64), nullable=False),
    Column("last_nc", BIGINT, nullable=False, server_default="0"),
    Column("date_expiration", TIMESTAMP, nullable=True),
    UniqueConstraint("nonce_hash", name="nonce_hash"),
    Index(f"{PREFIX}digestnonces_date_expiration", "date_expiration"),
    **TABLE_ARGS,
)

# Authentication failures per client address and server, to slow down guessing.
auth_failures = Table(
    f"{PREFIX}authfailures",
    metadata,
    Column("id", UINT, primary_key=True, autoincrement=True),
    Column("servers_id", UINT, nullable=False, server_default="0"),
    Column("client_ip", String(64), nullable=False),
    Column("failures", INT, nullable=False, server_default="0"),
    Column("window_start", TIMESTAMP, nullable=True),
    Column("blocked_until", TIMESTAMP, nullable=True),
    UniqueConstraint("servers_id", "client_ip", name="server_ip"),
    **TABLE_ARGS,
)

# The request log ("Historical" tab of a server); secrets are redacted before storage.
request_logs = Table(
    f"{PREFIX}requestlogs",
    metadata,
    Column("id", UINT, primary_key=True, autoincrement=True),
    Column("servers_id", UINT, nullable=False, server_default="0"),
    Column("request_id", String(64), nullable=True),
    Column("date_creation", TIMESTAMP, nullable=True),
    Column("client_ip", String(64), nullable=True),
    Column("method", String(10), nullable=False, server_default=""),
    Column("path", TEXT, nullable=True),
    Column("query", TEXT, nullable=True),
    Column("status", INT, nullable=False, server_default="0"),
    Column("duration_ms", INT, nullable=False, server_default="0"),
    Column("request_headers", TEXT, nullable=True),
    Column("request_body", LONGTEXT, nullable=True),
    Column("response_body", LONGTEXT, nullable=True),
    Column("is_truncated", TINYINT, nullable=False, server_default="0"),
    Column("note", TEXT, nullable=True),
    Index(f"{PREFIX}requestlogs_server_date", "servers_id", "date_creation"),
    Index(f"{PREFIX}requestlogs_date_creation", "date_creation"),
    **TABLE_ARGS,
)

# A VARCHAR(255) compared case-sensitively: utf8mb4_bin on MariaDB; SQLite's default (BINARY)
# already is.
EXACT_TEXT_255 = String(255).with_variant(
    mysql.VARCHAR(255, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb"
)

# Per identity server: a GLPI user or group's externalId and the SCIM attributes GLPI has no
# column for (displayName, addresses, ...), kept verbatim so that a GET returns what was sent.
scim_resources = Table(
    f"{PREFIX}resources",
    metadata,
    Column("id", UINT, primary_key=True, autoincrement=True),
    Column("servers_id", UINT, nullable=False, server_default="0"),
    Column("itemtype", String(100), nullable=False),  # GLPI's itemtype: User or Group
    Column("items_id", UINT, nullable=False, server_default="0"),
    # RFC 7643: externalId is caseExact, so MariaDB compares it byte for byte.
    Column("external_id", EXACT_TEXT_255, nullable=True),
    Column("attributes", LONGTEXT, nullable=True),  # JSON object
    # 1: deleted through SCIM under the "deactivate" policy (GLPI keeps the user, inactive;
    # SCIM answers 404 for it on this server until the identity provider creates it again).
    Column("is_deleted", TINYINT, nullable=False, server_default="0"),
    Column("date_creation", TIMESTAMP, nullable=True),
    Column("date_mod", TIMESTAMP, nullable=True),
    UniqueConstraint("servers_id", "itemtype", "items_id", name="item"),
    UniqueConstraint("servers_id", "itemtype", "external_id", name="external_id"),
    Index(f"{PREFIX}resources_items", "itemtype", "items_id"),
    Index(f"{PREFIX}resources_tombstones", "servers_id", "itemtype", "is_deleted"),
    **TABLE_ARGS,
)

# The mass-change guard of each identity server: its limit (deactivations and deletions per
# sliding window; 0 turns it off) and its state. Tripped, the server refuses further removals
# until `glpi-scim server resume`.
guards = Table(
    f"{PREFIX}guards",
    metadata,
    Column("id", UINT, primary_key=True, autoincrement=True),
    Column("servers_id", UINT, nullable=False, server_default="0"),
    Column("max_removals", INT, nullable=False, server_default="50"),
    Column("window_seconds", INT, nullable=False, server_default="600"),
    Column("is_tripped", TINYINT, nullable=False, server_default="0"),
    Column("date_tripped", TIMESTAMP, nullable=True),
    Column("tripped_count", INT, nullable=False, server_default="0"),  # removals in the window
    Column("refused_count", INT, nullable=False, server_default="0"),
    Column("date_last_refused", TIMESTAMP, nullable=True),
    Column("last_refused", String(255), nullable=True),  # e.g. "DELETE User 12"
    Column("date_resumed", TIMESTAMP, nullable=True),
    UniqueConstraint("servers_id", name="servers_id"),
    **TABLE_ARGS,
)

# One row per deactivation or deletion a server made, kept for its guard's window.
removals = Table(
    f"{PREFIX}removals",
    metadata,
    Column("id", UINT, primary_key=True, autoincrement=True),
    Column("servers_id", UINT, nullable=False, server_default="0"),
    Column("date_creation", TIMESTAMP, nullable=True),
    Column("itemtype", String(100), nullable=False),
    Column("items_id", UINT, nullable=False, server_default="0"),
    Index(f"{PREFIX}removals_server_date", "servers_id", "date_creation"),
    **TABLE_ARGS,
)

# The one identity server that owns a GLPI user or group: only it writes the item. `origin`
# says how it came to own it: created, adopted (an existing GLPI item it linked to) or migrated
# (it wrote the item before ownership was recorded); `date_mod` is its last write.
owners = Table(
    f"{PREFIX}owners",
    metadata,
    Column("id", UINT, primary_key=True, autoincrement=True),
    Column("itemtype", String(100), nullable=False),  # User or Group
    Column("items_id", UINT, nullable=False, server_default="0"),
    Column("servers_id", UINT, nullable=False, server_default="0"),
    Column("origin", String(16), nullable=False, server_default="created"),
    Column("date_creation", TIMESTAMP, nullable=True),
    Column("date_mod", TIMESTAMP, nullable=True),
    UniqueConstraint("itemtype", "items_id", name="item"),
    Index(f"{PREFIX}owners_server", "servers_id", "itemtype"),
    **TABLE_ARGS,
)

# Request counts per identity server and 5-minute period, for `server status` and whatever the
# request log keeps: each process adds its counters here every few seconds (servers/stats.py).
# The last error's status and detail come before its date: MariaDB assigns SET columns left to
# right, and the conditions that pick the newest error read the date before it changes.
server_stats = Table(
    f"{PREFIX}serverstats",
    metadata,
    Column("id", UINT, primary_key=True, autoincrement=True),
    Column("servers_id", UINT, nullable=False, server_default="0"),
    Column("period_start", TIMESTAMP, nullable=True),
    Column("requests", INT, nullable=False, server_default="0"),
    Column("errors", INT, nullable=False, server_default="0"),
    Column("date_last_request", TIMESTAMP, nullable=True),
    Column("date_last_success", TIMESTAMP, nullable=True),
    Column("last_error_status", INT, nullable=False, server_default="0"),
    Column("last_error_detail", TEXT, nullable=True),
    Column("date_last_error", TIMESTAMP, nullable=True),
    UniqueConstraint("servers_id", "period_start", name="server_period"),
    Index(f"{PREFIX}serverstats_period_start", "period_start"),
    **TABLE_ARGS,
)

# Signed-in sessions of the web console: only a hash of the session id is stored; idle and
# absolute timeouts are checked against the two dates (console/sessions.py).
console_sessions = Table(
    f"{PREFIX}consolesessions",
    metadata,
    Column("id", UINT, primary_key=True, autoincrement=True),
    Column("session_hash", String(64), nullable=False),
    Column("users_id", UINT, nullable=False, server_default="0"),
    Column("login", String(255), nullable=False),
    Column("client_ip", String(64), nullable=True),
    Column("date_creation", TIMESTAMP, nullable=True),
    Column("date_last_use", TIMESTAMP, nullable=True),
    UniqueConstraint("session_hash", name="session_hash"),
    Index(f"{PREFIX}consolesessions_date_last_use", "date_last_use"),
    **TABLE_ARGS,
)

# Every administrative change (console or CLI): who, when, what, from where. Kept when its
# server is removed, so that the removal itself stays on record.
audit = Table(
    f"{PREFIX}audit",
    metadata,
    Column("id", UINT, primary_key=True, autoincrement=True),
    Column("servers_id", UINT, nullable=False, server_default="0"),
    Column("server_name", String(255), nullable=True),
    Column("date_creation", TIMESTAMP, nullable=True),
    Column("actor", String(255), nullable=False),
    Column("origin", String(16), nullable=False),  # cli | console
    Column("client_ip", String(64), nullable=True),
    Column("action", String(64), nullable=False),
    Column("detail", TEXT, nullable=True),
    Index(f"{PREFIX}audit_server_date", "servers_id", "date_creation"),
    **TABLE_ARGS,
)

del metadata

GLPI_TABLES = tuple(GLPI_METADATA.sorted_tables)
TOOL_TABLES = tuple(TOOL_METADATA.sorted_tables)
__all__ = ["CHAR", "GLPI_METADATA", "TOOL_METADATA", "text"]

"""The rights of GLPI 10.0.19's eight standard profiles, as its installer writes them.

Derived from a database made by GLPI 10.0.19's own installer (`bin/console db:install`): its
753 `glpi_profilerights` rows, one per (profile, right name). Each line is a right name and its
bit set for profiles 1 Self-Service, 2 Observer, 3 Admin, 4 Super-Admin, 5 Hotliner,
6 Technician, 7 Supervisor, 8 Read-Only; None where the install writes no row (GLPI reads a
missing row as 0). Bits (GLPI's inc/define.php): READ 1, UPDATE 2, CREATE 4, DELETE 8, PURGE 16,
READNOTE 32, UPDATENOTE 64, UNLOCK 128, and rights of one kind add their own.
The embedded SQLite file is seeded from this table so that it decides who may change whom as a
fresh GLPI does.
"""

from __future__ import annotations

PROFILE_IDS = (1, 2, 3, 4, 5, 6, 7, 8)

# fmt: off
FRESH_PROFILE_RIGHTS: tuple[tuple[str, tuple[int | None, ...]], ...] = (
    ("computer", (0, 33, 127, 255, 0, 127, 127, 33)),
    ("monitor", (0, 33, 127, 255, 0, 127, 127, 33)),
    ("software", (0, 33, 127, 255, 0, 127, 127, 33)),
    ("networking", (0, 33, 127, 255, 0, 127, 127, 33)),
    ("internet", (0, 1, 31, 159, 0, 31, 31, 1)),
    ("printer", (0, 33, 127, 255, 0, 127, 127, 33)),
    ("peripheral", (0, 33, 127, 255, 0, 127, 127, 33)),
    ("cartridge", (0, 33, 127, 255, 0, 127, 127, 33)),
    ("consumable", (0, 33, 127, 255, 0, 127, 127, 33)),
    ("phone", (0, 33, 127, 255, 0, 127, 127, 33)),
    ("queuednotification", (0, 0, 0, 31, 0, 0, 0, 1)),
    ("contact_enterprise", (0, 33, 127, 255, 0, 96, 96, 33)),
    ("document", (0, 33, 127, 255, 0, 127, 127, 33)),
    ("contract", (0, 33, 127, 255, 0, 96, 96, 33)),
    ("infocom", (0, 1, 23, 23, 0, 0, 0, 1)),
    ("knowbase", (2048, 10241, 14359, 15383, 10240, 14359, 14359, 10241)),
    ("reservation", (1024, 1025, 1055, 1055, 0, 1055, 1055, 129)),
    ("reports", (0, 1, 1, 1, 0, 1, 1, 1)),
    ("dropdown", (0, 0, 23, 23, 0, 0, 0, 1)),
    ("device", (0, 0, 23, 23, 0, 0, 0, 1)),
    ("typedoc", (0, 1, 23, 23, 0, 0, 0, 1)),
    ("link", (0, 1, 23, 159, 0, 0, 0, 1)),
    ("config", (0, 0, 0, 3, 0, 0, 0, 1)),
    ("rule_ticket", (0, 0, 1047, 1047, 0, 0, 1047, 1)),
    ("rule_import", (0, 0, 0, 23, 0, 0, 0, 1)),
    ("rule_location", (0, 0, 0, 23, 0, 0, 0, 1)),
    ("rule_ldap", (0, 0, 0, 23, 0, 0, 0, 1)),
    ("rule_softwarecategories", (0, 0, 0, 23, 0, 0, 0, 1)),
    ("search_config", (0, 1024, 3072, 3072, 0, 0, 0, 0)),
    ("location", (0, 0, 23, 23, 0, 0, 23, 1)),
    ("domain", (0, 0, 31, 31, 0, 0, 31, 1)),
    ("profile", (0, 0, 1, 23, 0, 0, 0, 1)),
    ("user", (0, 2049, 7199, 7327, 1025, 1055, 1055, 1)),
    ("group", (0, 33, 119, 119, 0, 1, 1, 33)),
    ("entity", (0, 0, 33, 3327, 0, 33, 33, 33)),
    ("transfer", (0, 0, 1, 23, 0, 1, 1, 1)),
    ("logs", (0, 0, 1, 1, 0, 0, 1, 1)),
    ("reminder_public", (1, 129, 151, 159, 128, 151, 151, 1)),
    ("rssfeed_public", (1, 129, 151, 159, 128, 151, 151, 129)),
    ("bookmark_public", (0, 0, 23, 23, 0, 0, 0, 1)),
    ("backup", (0, 0, 1024, 1045, 0, 0, 0, 1)),
    ("ticket", (5, 168989, 261151, 261151, 140295, 166919, 261151, 138241)),
    ("followup", (5, 5, 31767, 31767, 12295, 13319, 31767, 8193)),
    ("task", (1, 1, 13329, 13329, 8193, 13329, 13329, 8193)),
    ("planning", (0, 1, 3073, 3073, 1, 1, 3073, 3073)),
    ("state", (0, 0, 23, 23, 0, 0, 23, 1)),
    ("taskcategory", (0, 0, 23, 23, 0, 0, 23, 1)),
    ("statistic", (0, 1, 1, 1, 1, 1, 1, 1)),
    ("password_update", (1, 1, 1, 1, 1, 1, 1, 0)),
    ("show_group_hardware", (0, 0, 0, 1, 0, 0, 0, 1)),
    ("rule_dictionnary_software", (0, 0, 0, 23, 0, 0, 0, 1)),
    ("rule_dictionnary_dropdown", (0, 0, 0, 23, 0, 0, 0, 1)),
    ("budget", (0, 33, 127, 127, 0, 96, 96, 33)),
    ("notification", (0, 0, 0, 23, 0, 0, 0, 1)),
    ("rule_mailcollector", (0, 0, 23, 23, 0, 0, 23, 1)),
    ("solutiontemplate", (0, 0, 23, 23, 0, 0, 23, 1)),
    ("itilfollowuptemplate", (0, 0, 23, 23, 0, 0, 23, 1)),
    ("calendar", (0, 0, 23, 23, 0, 0, 23, 1)),
    ("slm", (0, 0, 23, 23, 0, 1, 23, 1)),
    ("rule_dictionnary_printer", (0, 0, 0, 23, 0, 0, 0, 1)),
    ("problem", (0, 1057, 1151, 1151, 1024, 1121, 1151, 1057)),
    ("cable_management", (0, 0, 31, 31, 0, 0, 31, 1)),
    ("knowbasecategory", (0, 0, 23, 23, 0, 0, 23, 1)),
    ("itilcategory", (0, 0, 23, 23, 0, 0, 23, 1)),
    ("itiltemplate", (0, 0, 23, 23, 0, 1, 23, 1)),
    ("ticketrecurrent", (0, 0, 1, 23, 0, 1, 1, 1)),
    ("ticketcost", (0, 1, 23, 23, 23, 23, 23, 1)),
    ("changevalidation", (0, 1044, 1044, 1044, 20, 20, 1044, 0)),
    ("ticketvalidation", (0, 15376, 15376, 15376, 3088, 3088, 15376, 0)),
    ("projecttask", (0, 1025, 1121, 1121, 0, 1025, 1025, 33)),
    ("project", (0, 1025, 1151, 1151, 1151, 1151, 1151, 1057)),
    ("change", (0, 1057, 1151, 1151, 1054, 1151, 1151, 1057)),
    ("global_validation", (0, 0, 0, 0, 0, 0, 0, 0)),
    ("license", (0, 33, 127, 255, 0, 127, 127, 33)),
    ("line", (0, 33, 127, 255, 0, 127, 127, 33)),
    ("lineoperator", (0, 33, 23, 23, 0, 0, 23, 1)),
    ("devicesimcard_pinpuk", (0, 1, 3, 3, 0, 3, 3, 1)),
    ("certificate", (0, 33, 127, 255, 0, 127, 127, 33)),
    ("datacenter", (0, 1, 31, 31, 0, 31, 31, 1)),
    ("rule_asset", (0, 0, 0, 1047, 0, 0, 0, 0)),
    ("personalization", (3, 3, 3, 3, 3, 3, 3, 3)),
    ("cluster", (0, 1, 31, 31, 0, 31, 31, 1)),
    ("externalevent", (0, 1, 1055, 1055, 0, 1, 31, 1)),
    ("dashboard", (0, 0, 0, 23, 0, 0, 0, 0)),
    ("appliance", (0, 1, 31, 31, 0, 31, 31, 1)),
    ("inventory", (0, 0, 3073, 3073, 0, 0, 0, 0)),
    ("pendingreason", (0, 0, 31, 31, 1, 1, 1, 1)),
    ("database", (0, 1, 31, 31, 0, 31, 31, 1)),
    ("recurrentchange", (0, 0, 1, 31, 0, 1, 1, 1)),
    ("locked_field", (0, 0, 0, 6, 0, 0, 0, 0)),
    ("snmpcredential", (0, 0, 0, 31, 0, 0, 0, 0)),
    ("refusedequipment", (0, 0, 0, 19, 0, 0, 0, 0)),
    ("agent", (0, 0, 0, 19, 0, 0, 0, 0)),
    ("unmanaged", (0, 0, 0, 27, 0, 0, 0, 0)),
    ("system_logs", (None, None, None, 1, None, None, None, None)),
)
# fmt: on


def fresh_profile_rights() -> list[dict[str, object]]:
    """glpi_profilerights rows (profiles_id, name, rights) in the installer's order."""
    rows: list[dict[str, object]] = []
    for profile_id in PROFILE_IDS:
        for name, values in FRESH_PROFILE_RIGHTS:
            value = values[profile_id - 1]
            if value is not None:
                rows.append({"profiles_id": profile_id, "name": name, "rights": value})
    return rows

"""SCIM language tags (`en-US`, `fr`, `de-AT,de;q=0.9`) <-> GLPI 10's language codes (`en_US`)."""

from __future__ import annotations

import re

# The languages GLPI 10.0 ships (keys of $CFG_GLPI['languages']), in GLPI's order.
GLPI_LANGUAGES: tuple[str, ...] = (
    "ar_SA", "bg_BG", "id_ID", "ms_MY", "ca_ES", "cs_CZ", "de_DE", "da_DK", "et_EE", "en_GB",
    "en_US", "es_AR", "es_EC", "es_CO", "es_ES", "es_419", "es_MX", "es_VE", "eu_ES", "fr_FR",
    "fr_CA", "fr_BE", "gl_ES", "el_GR", "he_IL", "hi_IN", "hr_HR", "hu_HU", "it_IT", "lv_LV",
    "lt_LT", "mn_MN", "nl_NL", "nl_BE", "nb_NO", "nn_NO", "fa_IR", "pl_PL", "pt_PT", "pt_BR",
    "ro_RO", "ru_RU", "sk_SK", "sl_SI", "sr_RS", "fi_FI", "sv_SE", "vi_VN", "th_TH", "tr_TR",
    "uk_UA", "ja_JP", "zh_CN", "zh_TW", "ko_KR", "zh_HK", "be_BY", "is_IS", "es_CL",
)  # fmt: skip
_BY_LOWER = {code.lower(): code for code in GLPI_LANGUAGES}
# The first tag of a list: language, optional region, then the end of that tag (so that
# "be18bb8c-..." is no Belarusian tag, while "fr-CA,fr;q=0.9" and "en-US-u-ca" are tags).
_FIRST_TAG = re.compile(r"^\s*([A-Za-z]{2,3})(?:[-_]([A-Za-z0-9]{2,8}))?(?=$|[-_,;\s])")


def _default_for(language: str) -> str | None:
    """GLPI's code for a bare language: `fr` -> fr_FR, `en` -> en_GB (the first one listed)."""
    same = _BY_LOWER.get(f"{language}_{language}")
    if same:
        return same
    prefix = language + "_"
    return next((code for code in GLPI_LANGUAGES if code.lower().startswith(prefix)), None)


def to_glpi(tag: str) -> str | None:
    """GLPI's language code for a SCIM language tag or locale; None when GLPI has no such language.

    Only the first tag of an Accept-Language list counts; an unknown region falls back to the
    language's main GLPI code (`de-AT` -> de_DE).
    """
    match = _FIRST_TAG.match(tag)
    if not match:
        return None
    language = match.group(1).lower()
    region = match.group(2)
    if region:
        exact = _BY_LOWER.get(f"{language}_{region.lower()}")
        if exact:
            return exact
    return _default_for(language)


def to_scim(code: str) -> str:
    """The BCP 47 form of a GLPI language code: en_US -> en-US."""
    return code.strip().replace("_", "-")

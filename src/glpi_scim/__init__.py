"""glpi-scim: a SCIM 2.0 service provider that provisions users and groups into GLPI."""

__version__ = "0.1.0"

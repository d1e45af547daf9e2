"""The steps every request to an identity server goes through before its endpoint runs,
free of any web framework: which server it names, whether that server is usable here, where
the request comes from, how often that address failed, how large its body is.

The SCIM routes (`server/middleware.py`) and the OAuth2 routes (`security/oauth_endpoints.py`
through `server/oauth.py`) both run it; each renders its refusals in its own format.
"""

from glpi_scim.pipeline.gate import OAUTH_MACHINE, OAUTH_PAGE, SCIM, RequestPipeline, Route
from glpi_scim.pipeline.request import Incoming

__all__ = ["OAUTH_MACHINE", "OAUTH_PAGE", "SCIM", "Incoming", "RequestPipeline", "Route"]

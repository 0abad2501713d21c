"""The JSON API, assembled from the apps' routers. OpenAPI document at /api/v1/openapi.json."""

from ninja import NinjaAPI

from vardkontakt.cases.api import router as cases_router
from vardkontakt.directory.api import router as directory_router

api = NinjaAPI(title="Vårdkontakt API", version="1", urls_namespace="api")
api.add_router("/units", directory_router, tags=["Hitta vård"])
api.add_router("/cases", cases_router, tags=["Ärenden"])

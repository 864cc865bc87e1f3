"""OpenAPI description of the tenant-carrying JWT authentication."""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme


class TenantJWTScheme(SimpleJWTScheme):
    target_class = "tenancy.authentication.TenantJWTAuthentication"
    name = "jwtAuth"

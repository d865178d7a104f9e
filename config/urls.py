from django.contrib import admin
from django.contrib.auth.views import LogoutView
from django.urls import include, path
from django.views.decorators.http import require_http_methods, require_safe

from tenancy.portals import ADMIN_CENTER, OFFICE_ADMIN, PARTNER_CENTER
from tenancy.web import account, language_picker, sign_in

admin.site.site_header = "Reseller relationships portal — operators"
admin.site.site_title = "Operators"
admin.site.index_title = "Tenants, relationships and requests"

_form_page = require_http_methods(["GET", "HEAD", "POST"])

urlpatterns = [
    # Only the methods each page serves (Django's form views would take a PUT as a post).
    path("", require_safe(sign_in.home), name="home"),
    path("sign-in/", _form_page(sign_in.SignInView.as_view()), name="sign-in"),
    path("sign-out/", LogoutView.as_view(), name="sign-out"),
    path("sign-in/verify/", account.verify, name="sign-in-verify"),
    path("account/password/", _form_page(sign_in.password_change), name="password-change"),
    path("account/security/", account.security_info, name="security-info"),
    path(
        "account/security/authenticator/",
        account.authenticator_add,
        name="authenticator-add",
    ),
    path("account/security/recovery-codes/", account.recovery_codes, name="recovery-codes"),
    path(
        "account/security/<str:kind>/<int:pk>/remove/",
        account.method_remove,
        name="sign-in-method-remove",
    ),
    path("account/passkeys/", include("tenancy.web.passkey_urls")),
    path("account/language/", language_picker.set_language, name="set-language"),
    path("healthz", sign_in.healthz, name="healthz"),
    path("operators/", admin.site.urls),
    path("v1/", include("api.urls")),
    path(PARTNER_CENTER.mount, include("partner_center.urls")),
    # One admin center app, served twice: the Microsoft 365 admin center for the public cloud
    # (the app's default instance) and the Microsoft Office Admin portal for US Government.
    path(ADMIN_CENTER.mount, include("admin_center.urls", namespace=ADMIN_CENTER.namespace)),
    path(OFFICE_ADMIN.mount, include("admin_center.urls", namespace=OFFICE_ADMIN.namespace)),
]

# Under /v1/ a server error is the API's JSON (api.errors); elsewhere Django's page.
handler500 = "api.errors.server_error"

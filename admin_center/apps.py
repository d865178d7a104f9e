from django.apps import AppConfig


class AdminCenterConfig(AppConfig):
    name = "admin_center"
    verbose_name = "Admin center"

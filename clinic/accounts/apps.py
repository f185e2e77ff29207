from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    """Roles, sign-in, two-factor, sessions and the navigation: the bottom floor, importing no
    other app of ours."""

    name = "clinic.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        from clinic.accounts import signals  # noqa: F401  (session rules at login)
        from clinic.accounts.roles import sync_role_groups

        post_migrate.connect(sync_role_groups, dispatch_uid="registry_sync_role_groups")

"""The access room: who is acting (users, logins, tokens, the system principal)
and what they may see and do (the one policy: `may` and `visible_filter`)."""

from chartdesk.access.accounts import (
    User,
    add_user,
    change_own_password,
    count_users,
    get_user,
    list_users,
    require_manager,
    reset_password,
    set_disabled,
    set_role,
)
from chartdesk.access.bootstrap import PASSWORD_FILE, ensure_first_admin
from chartdesk.access.errors import (
    AuthenticationError,
    DocumentNotFoundError,
    LoginRequiredError,
    NotPermittedError,
)
from chartdesk.access.login import LoginResult, authenticate, authenticate_token, load_principal
from chartdesk.access.passwords import generate_password
from chartdesk.access.principal import ALL, SYSTEM, Principal, Rights, principal_for
from chartdesk.access.session import HOW_TO_LOG_IN, PASSWORD_ENV, USER_ENV, cli_login
from chartdesk.access.tokens import TOKEN_DIR_ENV, issue_token, revoke_own_tokens, token_path

__all__ = [
    "ALL", "HOW_TO_LOG_IN", "PASSWORD_ENV", "PASSWORD_FILE", "SYSTEM", "TOKEN_DIR_ENV", "USER_ENV",
    "AuthenticationError", "DocumentNotFoundError", "LoginRequiredError", "LoginResult", "NotPermittedError",
    "Principal", "Rights", "User",
    "add_user", "authenticate", "authenticate_token", "change_own_password", "cli_login", "count_users",
    "ensure_first_admin", "generate_password", "get_user", "issue_token", "list_users", "load_principal",
    "principal_for", "require_manager", "reset_password", "revoke_own_tokens", "set_disabled", "set_role",
    "token_path",
]

"""The access room: who is acting (users, logins, tokens, the system principal)
and what they may see and do. One policy answers both questions every caller
asks: `may(principal, action, resource)` for one object and
`visible_filter(principal)` (or `search_scope(conn, principal)`) for the search
backends to apply inside their query."""

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
from chartdesk.access.changes import mark_access_change, pending_documents, prune_access_changes
from chartdesk.access.charts import restrict_chart
from chartdesk.access.errors import (
    AuthenticationError,
    DocumentNotFoundError,
    LoginRequiredError,
    NotPermittedError,
)
from chartdesk.access.facts import (
    FILED,
    LABELLED_FLAG,
    REVIEW,
    UNCLASSIFIED,
    DocumentFacts,
    PatientFacts,
    chart_document_facts,
    document_facts,
    document_status,
    documents_facts,
    patient_facts,
)
from chartdesk.access.grants import (
    Grant,
    active_grants,
    break_glass,
    get_grant,
    list_grants,
    restricted_count,
    review_grant,
)
from chartdesk.access.labels import (
    LabelInput,
    LabelStage,
    apply_labels,
    label_stage,
    rule_labels,
    set_label,
)
from chartdesk.access.login import LoginResult, authenticate, authenticate_token, load_principal
from chartdesk.access.passwords import generate_password
from chartdesk.access.policy import (
    DOCUMENT_ACTIONS,
    NO_GRANTS,
    Grants,
    is_restricted_for,
    may,
    opened_by_grant,
    require,
    visible_filter,
)
from chartdesk.access.principal import ALL, SYSTEM, Principal, Rights, principal_for
from chartdesk.access.scope import require_document, search_scope
from chartdesk.access.session import HOW_TO_LOG_IN, PASSWORD_ENV, USER_ENV, cli_login
from chartdesk.access.tokens import TOKEN_DIR_ENV, issue_token, revoke_own_tokens, token_path

__all__ = [
    "ALL", "DOCUMENT_ACTIONS", "FILED", "HOW_TO_LOG_IN", "LABELLED_FLAG", "NO_GRANTS", "PASSWORD_ENV",
    "PASSWORD_FILE", "REVIEW", "SYSTEM", "TOKEN_DIR_ENV", "UNCLASSIFIED", "USER_ENV",
    "AuthenticationError", "DocumentFacts", "DocumentNotFoundError", "Grant", "Grants", "LabelInput",
    "LabelStage", "LoginRequiredError", "LoginResult", "NotPermittedError", "PatientFacts", "Principal",
    "Rights", "User",
    "active_grants", "add_user", "apply_labels", "authenticate", "authenticate_token", "break_glass",
    "change_own_password", "chart_document_facts", "cli_login", "count_users", "document_facts",
    "document_status", "documents_facts", "ensure_first_admin", "generate_password", "get_grant", "get_user",
    "is_restricted_for", "issue_token", "label_stage", "list_grants", "list_users", "load_principal",
    "mark_access_change", "may", "opened_by_grant", "patient_facts", "pending_documents", "principal_for",
    "prune_access_changes", "require", "require_document", "require_manager", "reset_password",
    "restrict_chart", "restricted_count", "review_grant", "revoke_own_tokens", "rule_labels", "search_scope",
    "set_disabled", "set_label", "set_role", "token_path", "visible_filter",
]

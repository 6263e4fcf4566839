"""Who is acting: a user (or the pipeline) with the rights of their role."""

from __future__ import annotations

from dataclasses import dataclass, field

from chartdesk.config import AccessSettings, Permission

ALL = "*"


@dataclass(frozen=True, slots=True)
class Rights:
    """A role resolved from config: what it may do and which documents it sees.

    `classes`/`labels` hold names, or "*" for all. `known_labels` is every
    configured label (a label outside a role's list restricts the document).
    """

    permissions: frozenset[str] = frozenset()
    classes: frozenset[str] = frozenset()
    labels: frozenset[str] = frozenset()
    known_labels: frozenset[str] = frozenset()
    restricted_charts: bool = False
    system: bool = False

    def has(self, permission: str) -> bool:
        return self.system or permission in self.permissions

    @property
    def all_classes(self) -> bool:
        return ALL in self.classes

    @property
    def forbidden_labels(self) -> frozenset[str]:
        return frozenset() if ALL in self.labels else self.known_labels - self.labels

    @classmethod
    def for_role(cls, access: AccessSettings, role: str) -> Rights:
        """The rights of `role`; none at all for a role no longer in config."""
        settings = access.roles.get(role)
        known = frozenset(access.labels)
        if settings is None:
            return cls(known_labels=known)
        return cls(
            permissions=frozenset(str(p) for p in settings.permissions),
            classes=frozenset(settings.classes),
            labels=frozenset(settings.labels),
            known_labels=known,
            restricted_charts=settings.restricted_charts,
        )


NO_RIGHTS = Rights()


@dataclass(frozen=True, slots=True)
class Principal:
    """A logged-in user, or SYSTEM. `client` is where the request came from:
    "cli:<verb>" for the command line, the address for the web."""

    user_id: int | None
    username: str
    role: str
    client: str
    rights: Rights = field(default=NO_RIGHTS, compare=False, repr=False)

    @property
    def is_system(self) -> bool:
        return self.rights.system


SYSTEM = Principal(
    user_id=None,
    username="system",
    role="system",
    client="pipeline",
    rights=Rights(permissions=frozenset(p.value for p in Permission), classes=frozenset({ALL}),
                  labels=frozenset({ALL}), restricted_charts=True, system=True),
)


def principal_for(access: AccessSettings, *, user_id: int | None, username: str, role: str, client: str) -> Principal:
    return Principal(user_id, username, role, client, Rights.for_role(access, role))

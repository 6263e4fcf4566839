"""Names on the cluster, all under search.cluster.index_prefix:

  <prefix>-documents                      the alias every search and write goes through
  <prefix>-documents-s<schema>-<random>   the index behind it (its name is the identity)
  <prefix>-documents-s<schema>-initial    the first one (a fixed name, so that two
                                          processes starting together make one)
  <prefix>-locks                          writer locks (lock.py)
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from chartdesk.index.cluster.mapping import SCHEMA_VERSION

_SCHEMA = re.compile(r"-s(\d+)-[a-z0-9]+$")


@dataclass(frozen=True, slots=True)
class Names:
    prefix: str

    @property
    def alias(self) -> str:
        return f"{self.prefix}-documents"

    @property
    def lock_index(self) -> str:
        return f"{self.prefix}-locks"

    @property
    def initial(self) -> str:
        return f"{self.alias}-s{SCHEMA_VERSION}-initial"

    def new_index(self) -> str:
        return f"{self.alias}-s{SCHEMA_VERSION}-{uuid.uuid4().hex[:12]}"

    def owns(self, index: str) -> bool:
        return index.startswith(f"{self.alias}-s")


def schema_of(index: str) -> int | None:
    found = _SCHEMA.search(index)
    return int(found.group(1)) if found else None

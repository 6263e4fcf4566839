"""The search-quality bench's own corpus generator and its judged queries."""

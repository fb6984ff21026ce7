"""Stand-ins for the taxonomy and the skill vocabulary in table-level ranking tests (no model)."""


class NoTaxonomy:
    """Knows no occupation: none is 'heavy' (the age rule for minors is covered elsewhere)."""

    def get(self, code):
        return None


class IdentityVocab:
    def canonical(self, s):
        return s

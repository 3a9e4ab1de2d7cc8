"""Everything Textual. The core never imports from here."""

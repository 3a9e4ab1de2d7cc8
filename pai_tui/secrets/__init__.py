"""Finding what is shaped like a secret: one detector (`detect`) behind `pai secrets scan`, the
git pre-commit hook, the bundled secrets-guard hook and the redaction of tools' output.

The bottom of the house (below `pai_tui.scrub`, which uses it): standard library only.
"""

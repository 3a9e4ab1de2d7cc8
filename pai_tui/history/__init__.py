"""The history: sessions and messages in a SQL database (the only package that speaks SQL)."""

"""The upgrade feed: sources watched in the background, their items ranked against the user's
goals, and proposals that end as verified commits (DESIGN.md, "Upgrades")."""

"""Skills: loading SKILL.md and Fabric patterns, routing, running tools."""

"""The lead inbox, its import/export, the lead-capture settings and the public form."""

"""Domain logic: verb-named functions taking org, actor and now explicitly; they flush, never commit."""

"""Domain logic, one package per area: verb-named functions taking org, actor and now
explicitly. They flush and never commit; the edge commits (a view, the job runner, the work
engine after a job's outcome). The exceptions own their transactions and say so: the
sequence dispatcher acknowledges each message in a transaction of its own, and the
runners that start work (setup, "send now") commit before they hand over to the engine."""

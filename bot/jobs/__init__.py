"""The job engine: one row per job, one submitter, one poller; results go to the delivery writer."""

"""Background work on the Django Tasks API (the django-tasks backport).

Tasks go to the database queue (django-tasks-db) by default, so one machine needs nothing more
than `manage.py db_worker`; with REDIS_URL set they go to RQ (django-tasks-rq), whose workers
scale out across machines. Periodic scans are enqueued by `manage.py run_scheduler`, which may
run on several machines at once: each slot is claimed once (kefu.core.scheduling).
"""

import environ

env = environ.Env()

REDIS_URL = env("REDIS_URL", default="")
TASK_BACKEND = env("KEFU_TASK_BACKEND", default="rq" if REDIS_URL else "database")

QUEUES = ["default", "scans"]
RQ_QUEUES: dict[str, dict[str, object]] = {}

if TASK_BACKEND == "rq":
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": QUEUES}}
    RQ_QUEUES = {name: {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 600} for name in QUEUES}
elif TASK_BACKEND == "immediate":
    TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": QUEUES}}
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": QUEUES}}

# name, task, seconds between runs. `manage.py run_scheduler` enqueues them (kefu.core.scheduling).
KEFU_SCHEDULE = [
    ("tickets.sla_scan", "kefu.tickets.tasks.sla_scan_task", env.int("KEFU_SLA_SCAN_SECONDS", default=60)),
    ("tickets.daily_report_push", "kefu.tickets.tasks.daily_report_push_task", 900),
    ("surveys.send_due_invitations", "kefu.surveys.tasks.send_due_invitations_task", 60),
    ("engagements.scan_late_nodes", "kefu.engagements.tasks.scan_late_nodes_task", 900),
    ("engagements.remind_due_tasks", "kefu.engagements.tasks.remind_due_tasks_task", 3600),
]

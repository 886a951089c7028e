#!/bin/sh
# One machine's background work: the scheduler (enqueues periodic scans, safe on every machine),
# a worker for the configured task backend and an outbox worker that delivers notifications. `make worker` runs it; systemd or supervisord
# run the two commands separately in production (docs/deployment.md).
set -eu
PY="${PYTHON:-.venv/bin/python}"
"$PY" manage.py run_scheduler &
SCHEDULER=$!
if [ -n "${REDIS_URL:-}" ] && [ "${KEFU_TASK_BACKEND:-rq}" = "rq" ]; then
    "$PY" manage.py rqworker --job-class django_tasks_rq.Job default scans &
else
    "$PY" manage.py db_worker --queue-name '*' --no-reload &
fi
WORKER=$!
"$PY" manage.py deliver_outbox &
OUTBOX=$!
trap 'kill $SCHEDULER $WORKER $OUTBOX 2>/dev/null || true' EXIT INT TERM
wait

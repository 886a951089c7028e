"""One LOGGING for every environment; prod switches the console to JSON lines."""

import environ

env = environ.Env()

LOG_LEVEL = env("KEFU_LOG_LEVEL", default="INFO")
LOG_JSON = env.bool("KEFU_LOG_JSON", default=False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_personal_data": {"()": "kefu.core.logs.MaskPersonalDataFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "kefu.core.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_JSON else "plain",
            "filters": ["mask_personal_data"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # One line per provider request would drown the outbox workers' own log.
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
        "kefu": {"level": LOG_LEVEL},
    },
}

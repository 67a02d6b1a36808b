"""Jobs, shared by the client (enqueue hooks, inline mode) and the worker: ``registry`` (the
Ruby class name a performer answers to, hook discovery, the performers' ``Registry``) and
``perform`` (``Resque::Job#perform`` with its hooks, and the failure hooks)."""

from .perform import (
    perform,
    perform_async,
    perform_callable,
    perform_hookless,
    perform_now,
    run_failure_hooks,
)
from .registry import (
    CLIENT_HOOK_PREFIXES,
    HOOK_PREFIXES,
    FunctionJob,
    Performer,
    Registry,
    check_runnable,
    class_name,
    hook_names,
    hookless,
    hooks,
    is_coroutine_performer,
    job_methods,
    perform_function,
    queue_from_class,
)

__all__ = [
    "CLIENT_HOOK_PREFIXES",
    "HOOK_PREFIXES",
    "FunctionJob",
    "Performer",
    "Registry",
    "check_runnable",
    "class_name",
    "hook_names",
    "hookless",
    "hooks",
    "is_coroutine_performer",
    "job_methods",
    "perform",
    "perform_async",
    "perform_callable",
    "perform_function",
    "perform_hookless",
    "perform_now",
    "queue_from_class",
    "run_failure_hooks",
]
